import { describe, expect, it } from 'vitest';
import { createNormalizedSchemaCache, normalizeToolSchema } from '../../src/agent/schema-normalizer.js';
import { createArgumentValidator } from '../../src/mcp/argument-validator.js';
import { schemaContentKey } from '../../src/mcp/schema-content-key.js';
import { createLogger } from '../../src/shared/logger.js';

function capturedLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger({ level: 'debug', destination: { write: (line) => lines.push(line) } }),
  };
}

/** A fresh object each call, as every user's tool list (and every refresh of it) brings. */
const searchSchema = () => ({
  type: 'object',
  properties: { keyword: { type: 'string' }, page_size: { type: 'integer', minimum: 1 } },
  required: ['keyword'],
});
const schemaNumber = (n: number) => ({
  type: 'object',
  properties: { [`field_${n}`]: { type: 'string' } },
  required: [`field_${n}`],
});
/** `schemaContentKey`, counting the schemas it serialises and hashes. */
function countingKey() {
  const computed: unknown[] = [];
  return {
    computed,
    computeKey: (schema: unknown) => {
      computed.push(schema);
      return schemaContentKey(schema);
    },
  };
}
/** ajv refuses a `$ref` that points nowhere. */
const brokenSchema = () => ({ type: 'object', properties: { x: { $ref: '#/$defs/missing' } } });

describe('argument validators', () => {
  it('two users whose tools have equal schemas (different objects, keys in any order) share one compiled validator', () => {
    const validator = createArgumentValidator({ logger: capturedLogger().logger });
    const reordered = { required: ['keyword'], properties: searchSchema().properties, type: 'object' };
    expect(validator.validate(searchSchema(), { keyword: 'Q3' })).toEqual([]);
    expect(validator.validate(reordered, {})).toEqual([{ path: 'keyword', message: 'is required' }]);
    expect(validator.validate(searchSchema(), { keyword: 'Q3', page_size: 0 })).toHaveLength(1);
    expect(validator.stats().compilations).toBe(1);
  });

  it("takes a schema object's content key once, however many calls validate against it", () => {
    const { computed, computeKey } = countingKey();
    const validator = createArgumentValidator({ logger: capturedLogger().logger, computeKey });
    const catalogued = searchSchema();
    for (let turn = 0; turn < 5; turn++)
      expect(validator.validate(catalogued, { keyword: 'Q3' })).toEqual([]);
    expect(validator.argumentValidation(catalogued)).toBe('ok');
    expect(computed).toEqual([catalogued]);
    // A reloaded list brings new objects: each is keyed once, and equal content still shares the validator.
    expect(validator.validate(searchSchema(), {})).toHaveLength(1);
    expect(computed).toHaveLength(2);
    expect(validator.stats().compilations).toBe(1);
  });

  it('stays bounded: past its size the least recently used validator is dropped (and compiled again if needed)', () => {
    const validator = createArgumentValidator({ logger: capturedLogger().logger, maxCompiled: 3 });
    for (let n = 0; n < 10; n++) validator.validate(schemaNumber(n), {});
    expect(validator.stats()).toEqual({ compilations: 10, cached: 3 });
    validator.validate(schemaNumber(9), {});
    expect(validator.stats().compilations).toBe(10);
    validator.validate(schemaNumber(0), {});
    expect(validator.stats().compilations).toBe(11);
  });

  it('a schema with a top-level $id can change content under the same id', () => {
    const validator = createArgumentValidator({ logger: capturedLogger().logger });
    const first = { $id: 'urn:tool', ...schemaNumber(1) };
    const second = { $id: 'urn:tool', ...schemaNumber(2) };
    expect(validator.argumentValidation(first)).toBe('ok');
    expect(validator.argumentValidation(second)).toBe('ok');
  });

  it('a schema ajv cannot compile fails closed: every call is refused with the reason, flagged, and logged once', () => {
    const { lines, logger } = capturedLogger();
    const validator = createArgumentValidator({ logger });
    const tool = { name: 'kso_broken_tool', server: 'kso-yundoc' };
    expect(validator.argumentValidation(brokenSchema(), tool)).toBe('unavailable');
    const issues = validator.validate(brokenSchema(), { x: 1 }, tool);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain('cannot be checked');
    expect(issues[0]?.message).toContain('refused');
    const warnings = lines.filter((line) => line.includes('cannot be compiled'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('kso_broken_tool');
    expect(validator.argumentValidation(searchSchema())).toBe('ok');
  });
});

describe('normalised schemas', () => {
  it('are shared by content and bounded', () => {
    const cache = createNormalizedSchemaCache({ max: 2 });
    cache.set(searchSchema(), normalizeToolSchema(searchSchema()));
    expect(cache.get(searchSchema())).toEqual(normalizeToolSchema(searchSchema()));
    cache.set(schemaNumber(1), normalizeToolSchema(schemaNumber(1)));
    cache.set(schemaNumber(2), normalizeToolSchema(schemaNumber(2)));
    expect(cache.get(searchSchema())).toBeUndefined();
    expect(cache.get(schemaNumber(2))).toBeDefined();
  });

  it("take a schema object's content key once, for reading and writing alike", () => {
    const { computed, computeKey } = countingKey();
    const cache = createNormalizedSchemaCache({ max: 2, computeKey });
    const catalogued = searchSchema();
    expect(cache.get(catalogued)).toBeUndefined();
    cache.set(catalogued, normalizeToolSchema(catalogued));
    for (let turn = 0; turn < 5; turn++) expect(cache.get(catalogued)).toBeDefined();
    expect(computed).toEqual([catalogued]);
  });
});
