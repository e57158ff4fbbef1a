import { describe, expect, it } from 'vitest';
import { createArgumentValidator } from '../../src/mcp/argument-validator.js';
import { createLogger } from '../../src/shared/logger.js';

const quietLogger = () => createLogger({ level: 'silent', destination: { write: () => undefined } });
/** A fresh object each call, as every client's tools/list parses its own. */
const searchResult = () => ({
  type: 'object' as const,
  properties: { files: { type: 'array' as const, items: { type: 'string' as const } } },
  required: ['files'],
});

describe("the MCP clients' output-schema checker", () => {
  it('compiles a schema once for every client that lists it, and checks results against it', () => {
    const validator = createArgumentValidator({ logger: quietLogger() });
    const outputSchemas = validator.outputSchemas();
    // Two clients (each handed the checker), two copies of the same schema.
    const first = outputSchemas.getValidator(searchResult());
    const second = validator.outputSchemas().getValidator(searchResult());
    expect(validator.stats().compilations).toBe(1);
    expect(first({ files: ['q3-plan.docx'] })).toEqual({
      valid: true,
      data: { files: ['q3-plan.docx'] },
      errorMessage: undefined,
    });
    const invalid = second({ files: 'q3-plan.docx' });
    expect(invalid.valid).toBe(false);
    expect(invalid.errorMessage).toMatch(/files.*must be array/);
    // The tool's arguments and its results share one compiled copy of an identical schema.
    expect(validator.validate(searchResult(), { files: [] })).toEqual([]);
    expect(validator.stats().compilations).toBe(1);
  });

  it('keeps apart two schemas that share an $id', () => {
    const outputSchemas = createArgumentValidator({ logger: quietLogger() }).outputSchemas();
    const byName = outputSchemas.getValidator({ $id: 'urn:wps:result', type: 'object', required: ['name'] });
    const byCount = outputSchemas.getValidator({
      $id: 'urn:wps:result',
      type: 'object',
      required: ['count'],
    });
    expect(byName({ name: 'plan' }).valid).toBe(true);
    expect(byName({ count: 1 }).valid).toBe(false);
    expect(byCount({ count: 1 }).valid).toBe(true);
    expect(byCount({ name: 'plan' }).valid).toBe(false);
  });

  it('lets no result through a schema it cannot compile, and says why', () => {
    const outputSchemas = createArgumentValidator({ logger: quietLogger() }).outputSchemas();
    const broken = outputSchemas.getValidator({
      type: 'object',
      properties: { files: { type: 'nonsense' } },
    });
    const result = broken({ files: [] });
    expect(result.valid).toBe(false);
    expect(result.errorMessage).toMatch(/output schema from WPS is invalid/);
  });

  it('still checks with what it compiled after the bound let it go', () => {
    const validator = createArgumentValidator({ logger: quietLogger(), maxCompiled: 2 });
    const outputSchemas = validator.outputSchemas();
    const early = outputSchemas.getValidator(searchResult());
    for (let index = 0; index < 5; index++)
      outputSchemas.getValidator({ type: 'object', required: [`field${index}`] });
    expect(validator.stats().cached).toBe(2);
    expect(early({ files: [] }).valid).toBe(true);
    expect(early({ files: 1 }).valid).toBe(false);
  });
});
