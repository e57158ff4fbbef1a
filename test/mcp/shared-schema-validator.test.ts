import { describe, expect, it } from 'vitest';
import { createSharedSchemaValidator } from '../../src/mcp/shared-schema-validator.js';

const searchResult = () => ({
  type: 'object' as const,
  properties: { files: { type: 'array' as const, items: { type: 'string' as const } } },
  required: ['files'],
});

describe('the shared output-schema validator', () => {
  it('compiles a schema once for every client that lists it, and checks values against it', () => {
    const validators = createSharedSchemaValidator();
    // Two clients, two copies of the same schema (each tools/list parses its own).
    const first = validators.getValidator(searchResult());
    const second = validators.getValidator(searchResult());
    expect(second).toBe(first);
    expect(first({ files: ['q3-plan.docx'] })).toEqual({
      valid: true,
      data: { files: ['q3-plan.docx'] },
      errorMessage: undefined,
    });
    const invalid = first({ files: 'q3-plan.docx' });
    expect(invalid.valid).toBe(false);
    expect(invalid.errorMessage).toMatch(/files.*must be array/);
  });

  it('keeps apart two schemas that share an $id', () => {
    const validators = createSharedSchemaValidator();
    const byName = validators.getValidator({
      $id: 'urn:wps:result',
      type: 'object',
      required: ['name'],
    });
    const byCount = validators.getValidator({
      $id: 'urn:wps:result',
      type: 'object',
      required: ['count'],
    });
    expect(byName({ name: 'plan' }).valid).toBe(true);
    expect(byName({ count: 1 }).valid).toBe(false);
    expect(byCount({ count: 1 }).valid).toBe(true);
    expect(byCount({ name: 'plan' }).valid).toBe(false);
  });

  it('starts afresh past its bound and still checks what it compiled before', () => {
    const validators = createSharedSchemaValidator({ maxCompiled: 2 });
    const early = validators.getValidator(searchResult());
    for (let index = 0; index < 5; index++)
      validators.getValidator({ type: 'object', required: [`field${index}`] });
    // The early schema was dropped from the cache: asked again it is compiled again, and both work.
    const again = validators.getValidator(searchResult());
    expect(again).not.toBe(early);
    expect(early({ files: [] }).valid).toBe(true);
    expect(again({ files: 1 }).valid).toBe(false);
  });
});
