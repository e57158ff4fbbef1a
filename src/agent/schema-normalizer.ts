import { LRUCache } from 'lru-cache';
import { type ComputeSchemaKey, createSchemaContentKeys } from '../mcp/schema-content-key.js';

/**
 * Turns an MCP tool's input schema into one that OpenAI-style function calling accepts everywhere
 * (OpenAI, DeepSeek, Qwen, Moonshot, Gemini through compatible gateways):
 * - no `$schema` / `$id` / `$comment`;
 * - local `$ref`s (`#/$defs/…`, `#/definitions/…`) inlined, cycles cut to a plain object;
 * - the top level is an object with `properties`; a top-level union (or any non-object) is wrapped in
 *   `{ input: … }`, and `unwrap` takes the model's arguments back out;
 * - keywords some providers reject (format, pattern, bounds, defaults, examples…) are removed and told to
 *   the model in the description instead, so no information is lost.
 * The model's arguments are still validated against the ORIGINAL schema before any call.
 */
export interface NormalizedSchema {
  schema: JsonObject;
  wrapped: boolean;
}

type JsonObject = Record<string, unknown>;

const DROPPED = new Set(['$schema', '$id', '$comment', '$defs', 'definitions', '$anchor', '$dynamicAnchor']);

/** Rejected by at least one common provider; moved into the description as plain words. */
// A Map, not an object literal: keys include `then`, which would make an object look like a promise.
const DESCRIBED = new Map<string, (value: unknown) => string>([
  ['format', (value) => `format: ${String(value)}`],
  ['pattern', (value) => `pattern: ${String(value)}`],
  ['minLength', (value) => `at least ${String(value)} characters`],
  ['maxLength', (value) => `at most ${String(value)} characters`],
  ['minimum', (value) => `minimum ${String(value)}`],
  ['maximum', (value) => `maximum ${String(value)}`],
  ['exclusiveMinimum', (value) => `greater than ${String(value)}`],
  ['exclusiveMaximum', (value) => `less than ${String(value)}`],
  ['multipleOf', (value) => `multiple of ${String(value)}`],
  ['minItems', (value) => `at least ${String(value)} items`],
  ['maxItems', (value) => `at most ${String(value)} items`],
  ['uniqueItems', (value) => (value ? 'items must be unique' : '')],
  ['minProperties', (value) => `at least ${String(value)} properties`],
  ['maxProperties', (value) => `at most ${String(value)} properties`],
  ['default', (value) => `default: ${JSON.stringify(value)}`],
  ['examples', (value) => `examples: ${JSON.stringify(value)}`],
  ['const', (value) => `must be ${JSON.stringify(value)}`],
  ['patternProperties', () => ''],
  ['propertyNames', () => ''],
  ['if', () => ''],
  ['then', () => ''],
  ['else', () => ''],
  ['not', () => ''],
  ['dependentRequired', (value) => `dependent requirements: ${JSON.stringify(value)}`],
  ['dependentSchemas', () => ''],
  ['contentEncoding', (value) => `encoding: ${String(value)}`],
  ['contentMediaType', (value) => `media type: ${String(value)}`],
]);

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function normalizeToolSchema(original: unknown): NormalizedSchema {
  const root = isObject(original) ? original : {};
  const resolved = normalizeNode(root, root, new Set());
  const isPlainObject =
    resolved.type === 'object' && !('anyOf' in resolved) && !('oneOf' in resolved) && !('allOf' in resolved);
  if (isPlainObject || (resolved.type === undefined && isObject(resolved.properties))) {
    return {
      schema: {
        ...resolved,
        type: 'object',
        properties: isObject(resolved.properties) ? resolved.properties : {},
      },
      wrapped: false,
    };
  }
  if (Object.keys(resolved).length === 0)
    return { schema: { type: 'object', properties: {} }, wrapped: false };
  return {
    schema: {
      type: 'object',
      properties: { input: { ...resolved, description: withNote(resolved.description, 'the tool input') } },
      required: ['input'],
    },
    wrapped: true,
  };
}

/** The model's arguments for a wrapped schema are `{ input }`: hand the tool what is inside. */
export function unwrapArguments(normalized: NormalizedSchema, modelArguments: unknown): unknown {
  if (!normalized.wrapped) return modelArguments;
  return isObject(modelArguments) ? modelArguments.input : undefined;
}

function normalizeNode(node: JsonObject, root: JsonObject, resolving: Set<string>): JsonObject {
  if (typeof node.$ref === 'string') {
    const reference = node.$ref;
    const target = resolveReference(root, reference);
    if (!target || resolving.has(reference)) {
      return {
        type: 'object',
        description: withNote(node.description as string | undefined, 'recursive structure'),
      };
    }
    const { $ref: _ignored, ...siblings } = node;
    return normalizeNode({ ...target, ...siblings }, root, new Set([...resolving, reference]));
  }
  const result: JsonObject = {};
  const notes: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    const describe = DESCRIBED.get(key);
    if (describe) {
      const note = describe(value);
      if (note) notes.push(note);
      continue;
    }
    if (key === 'properties' && isObject(value)) {
      result.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [
          name,
          isObject(child) ? normalizeNode(child, root, resolving) : {},
        ]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(value)) {
      result[key] = normalizeNode(value, root, resolving);
    } else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
      result[key] = value.map((child) => (isObject(child) ? normalizeNode(child, root, resolving) : child));
    } else {
      result[key] = value;
    }
  }
  if (Array.isArray(result.type) && result.type.length === 1) result.type = result.type[0];
  if (notes.length > 0)
    result.description = withNote(result.description as string | undefined, notes.join('; '));
  return result;
}

function resolveReference(root: JsonObject, reference: string): JsonObject | undefined {
  if (!reference.startsWith('#/')) return undefined;
  let current: unknown = root;
  for (const segment of reference.slice(2).split('/')) {
    const key = segment.replaceAll('~1', '/').replaceAll('~0', '~');
    current = isObject(current) ? current[key] : undefined;
  }
  return isObject(current) ? current : undefined;
}

function withNote(description: unknown, note: string): string {
  const base = typeof description === 'string' ? description.trim() : '';
  return base ? `${base} (${note})` : `(${note})`;
}

/** Normalised schemas by the original schema's content; what the chat loop keeps between turns. */
export interface NormalizedSchemaCache {
  get(original: object): NormalizedSchema | undefined;
  set(original: object, normalized: NormalizedSchema): void;
}

/**
 * A bounded cache of normalised schemas keyed by the original's CONTENT, so every user's copy of a tool
 * list (each refresh brings new objects) shares one entry. Least recently used entries go first. The
 * content key of a schema object is taken once (see createSchemaContentKeys).
 */
export function createNormalizedSchemaCache(options: {
  max: number;
  computeKey?: ComputeSchemaKey;
}): NormalizedSchemaCache {
  const entries = new LRUCache<string, NormalizedSchema>({ max: options.max });
  const schemaContentKey = createSchemaContentKeys(options.computeKey);
  return {
    get: (original) => {
      const key = schemaContentKey(original);
      return key === undefined ? undefined : entries.get(key);
    },
    set: (original, normalized) => {
      const key = schemaContentKey(original);
      if (key !== undefined) entries.set(key, normalized);
    },
  };
}
