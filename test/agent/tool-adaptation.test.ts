import { describe, expect, it } from 'vitest';
import { fitToBudget } from '../../src/agent/output-budget.js';
import { normalizeToolSchema, unwrapArguments } from '../../src/agent/schema-normalizer.js';
import { createToolAliases } from '../../src/agent/tool-naming.js';

describe('provider-safe tool names', () => {
  it('keeps WPS names as they are and maps every alias back to its server and tool', () => {
    const tools = [
      { name: 'kso_yundoc_search_yundoc', server: 'kso-yundoc' },
      { name: 'kso_airpage_import_markdown_data', server: 'kso-airpage' },
    ];
    const { aliases, resolve } = createToolAliases(tools);
    expect(aliases.map((alias) => alias.safeName)).toEqual([
      'kso_yundoc_search_yundoc',
      'kso_airpage_import_markdown_data',
    ]);
    expect(resolve('kso_airpage_import_markdown_data')).toEqual({
      safeName: 'kso_airpage_import_markdown_data',
      name: 'kso_airpage_import_markdown_data',
      server: 'kso-airpage',
    });
  });

  it('cleans unsafe characters, bounds the length, and keeps names unique across servers', () => {
    const long = `documents.search/${'x'.repeat(100)}`;
    const tools = [
      { name: 'search', server: 'kso-yundoc' },
      { name: 'search', server: 'kso-airpage' },
      { name: '搜索 文档', server: 'kso-yundoc' },
      { name: long, server: 'kso-dbsheet' },
      { name: 'a.b', server: 's' },
      { name: 'a/b', server: 's' },
    ];
    const { aliases, resolve } = createToolAliases(tools);
    const names = aliases.map((alias) => alias.safeName);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    aliases.forEach((alias, index) => {
      expect(resolve(alias.safeName)).toMatchObject({
        name: tools[index]?.name,
        server: tools[index]?.server,
      });
    });
    expect(names[0]).toBe('search');
    expect(names[1]).toMatch(/^search_[0-9a-f]{6}$/);
  });
});

describe('schema normalisation for function calling', () => {
  it('drops $schema, keeps an object with properties, and moves rejected keywords into descriptions', () => {
    const { schema, wrapped } = normalizeToolSchema({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        keyword: { type: 'string', minLength: 1, description: 'What to search for' },
        page_size: { type: 'integer', minimum: 1, maximum: 50, default: 20 },
        when: { type: 'string', format: 'date-time' },
      },
      required: ['keyword'],
      additionalProperties: false,
    });
    expect(wrapped).toBe(false);
    expect(schema).not.toHaveProperty('$schema');
    expect(schema.required).toEqual(['keyword']);
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    expect(properties.keyword).toEqual({
      type: 'string',
      description: 'What to search for (at least 1 characters)',
    });
    expect(properties.page_size).toEqual({
      type: 'integer',
      description: '(minimum 1; maximum 50; default: 20)',
    });
    expect(properties.when?.description).toContain('format: date-time');
    expect(properties.when).not.toHaveProperty('format');
  });

  it('inlines local $refs and cuts recursive ones', () => {
    const { schema } = normalizeToolSchema({
      type: 'object',
      $defs: {
        record: { type: 'object', properties: { id: { type: 'string' }, child: { $ref: '#/$defs/record' } } },
      },
      properties: { records: { type: 'array', items: { $ref: '#/$defs/record' } } },
    });
    expect(JSON.stringify(schema)).not.toContain('$ref');
    expect(JSON.stringify(schema)).not.toContain('$defs');
    const items = (schema.properties as any).records.items;
    expect(items.properties.id).toEqual({ type: 'string' });
    expect(items.properties.child.type).toBe('object');
  });

  it('wraps a top-level union in an object and unwraps the arguments back', () => {
    const original = {
      anyOf: [
        { type: 'object', properties: { file_id: { type: 'string' } } },
        { type: 'object', properties: { file_url: { type: 'string' } } },
      ],
    };
    const normalized = normalizeToolSchema(original);
    expect(normalized.wrapped).toBe(true);
    expect(normalized.schema).toMatchObject({
      type: 'object',
      required: ['input'],
      properties: { input: { anyOf: expect.any(Array) } },
    });
    expect(unwrapArguments(normalized, { input: { file_id: 'f1' } })).toEqual({ file_id: 'f1' });
  });

  it('gives a schema-less tool an empty object schema', () => {
    expect(normalizeToolSchema(undefined)).toEqual({
      schema: { type: 'object', properties: {} },
      wrapped: false,
    });
    expect(normalizeToolSchema({ type: 'object' }).schema).toEqual({ type: 'object', properties: {} });
  });
});

describe('tool output budget', () => {
  it('leaves small outputs alone', () => {
    expect(fitToBudget('short', 100)).toEqual({ text: 'short', truncated: false, originalLength: 5 });
  });

  it('keeps the head and the tail of large outputs with a clear marker, within budget', () => {
    const text = `HEAD-${'中'.repeat(5000)}-TAIL`;
    const fitted = fitToBudget(text, 1000);
    expect(fitted.truncated).toBe(true);
    expect(fitted.text.length).toBeLessThanOrEqual(1000);
    expect(fitted.text.startsWith('HEAD-')).toBe(true);
    expect(fitted.text.endsWith('-TAIL')).toBe(true);
    expect(fitted.text).toMatch(
      /\[… truncated \d+ of 5010 characters; the full result is in the transcript …\]/,
    );
  });
});
