import { type FlexibleSchema, jsonSchema } from 'ai';
import type { CatalogTool } from '../mcp/tool-catalog.js';
import {
  type NormalizedSchema,
  type NormalizedSchemaCache,
  normalizeToolSchema,
} from './schema-normalizer.js';
import { createToolAliases, type ToolAlias } from './tool-naming.js';

/** What the model is told about one WPS tool: a pure function of the catalog, the same for every turn. */
export interface CatalogToolDefinition {
  alias: ToolAlias;
  tool: CatalogTool;
  schema: NormalizedSchema;
  description: string;
  /** The normalised schema as the AI SDK takes it (a stateless wrapper, safe to share between turns). */
  inputSchema: FlexibleSchema<unknown>;
}

export interface CatalogToolDefinitions {
  definitions: CatalogToolDefinition[];
  aliases: ToolAlias[];
  bySafeName: ReadonlyMap<string, CatalogToolDefinition>;
}

/** The definitions of each tool list in use, built once per list. */
export interface ToolDefinitionCache {
  forCatalog(catalog: readonly CatalogTool[]): CatalogToolDefinitions;
}

/**
 * Tool definitions by catalog IDENTITY: the tool catalog hands a user's turns the same array until the
 * list reloads (TTL, `tools/list_changed`), and never changes an array it has handed out, so its
 * provider-safe names, normalised schemas and SDK schema wrappers are built once per list, not per turn.
 * A reloaded list is a new array and gets new definitions; the old ones go with it (a WeakMap).
 * Normalised schemas stay shared by content across users through `schemaCache`.
 */
export function createToolDefinitionCache(options: {
  schemaCache: NormalizedSchemaCache;
}): ToolDefinitionCache {
  function normalized(tool: CatalogTool): NormalizedSchema {
    const cached = options.schemaCache.get(tool.inputSchema);
    if (cached) return cached;
    const schema = normalizeToolSchema(tool.inputSchema);
    options.schemaCache.set(tool.inputSchema, schema);
    return schema;
  }

  function build(catalog: readonly CatalogTool[]): CatalogToolDefinitions {
    const { aliases } = createToolAliases(catalog);
    const definitions: CatalogToolDefinition[] = [];
    const bySafeName = new Map<string, CatalogToolDefinition>();
    for (const alias of aliases) {
      const tool = catalog.find(
        (candidate) => candidate.name === alias.name && candidate.server === alias.server,
      );
      if (!tool) continue;
      const schema = normalized(tool);
      const definition: CatalogToolDefinition = {
        alias,
        tool,
        schema,
        description: tool.description || `${tool.name} (${tool.server})`,
        inputSchema: jsonSchema(schema.schema),
      };
      definitions.push(definition);
      bySafeName.set(alias.safeName, definition);
    }
    return { definitions, aliases, bySafeName };
  }

  return { forCatalog: oncePerToolList(build) };
}

/**
 * `build` memoised by catalog IDENTITY (see createToolDefinitionCache): the catalog never changes an array
 * it has handed out, and a reloaded list is a new array, so what is built from one list is built once.
 */
export function oncePerToolList<Built>(
  build: (catalog: readonly CatalogTool[]) => Built,
): (catalog: readonly CatalogTool[]) => Built {
  const byCatalog = new WeakMap<readonly CatalogTool[], Built>();
  return (catalog) => {
    let built = byCatalog.get(catalog);
    if (!built) {
      built = build(catalog);
      byCatalog.set(catalog, built);
    }
    return built;
  };
}
