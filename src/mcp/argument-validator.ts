import type {
  JsonSchemaType,
  JsonSchemaValidator,
  JsonSchemaValidatorResult,
  jsonSchemaValidator,
} from '@modelcontextprotocol/sdk/validation/types.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import { nestingDepthExceeds } from '../shared/json-shape.js';
import type { Logger } from '../shared/logger.js';
import { type ComputeSchemaKey, createSchemaContentKeys } from './schema-content-key.js';

export interface ArgumentIssue {
  path: string;
  message: string;
}

/**
 * Bounds on tool arguments, checked before anything walks them. WPS's tools take flat objects a few
 * levels deep; arguments nested thousands of levels deep overflow the stack of every recursive step
 * after this one (JSON serialisation, the transcript, the MCP transport), and a huge payload is a
 * mistake or an attack, never a document edit (a whole document's Markdown is far below this).
 */
export const ARGUMENT_LIMITS = { maxDepth: 32, maxChars: 512_000 } as const;

/** Distinct tool schemas kept compiled; WPS's servers declare a few dozen, so this only bounds churn. */
const DEFAULT_MAX_COMPILED = 500;

/** Whether a tool's arguments can be checked against its schema: `unavailable` when ajv cannot compile it. */
export type ArgumentValidation = 'ok' | 'unavailable';

interface CompiledSchema {
  /** The schema object ajv compiled (and caches internally until we remove it). */
  schema: object;
  validate: ValidateFunction | undefined;
  compileError: string | undefined;
}

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ??
  formatsModule) as FormatsPlugin;

/**
 * Validates tool arguments against the tool's ORIGINAL input schema (what the WPS server declared), before
 * any call leaves the process. Validators are keyed by the schema's content, shared by every user and
 * every refresh of a tool list, and bounded (least recently used first out, also out of ajv's own cache,
 * which otherwise keeps every schema it ever compiled). A schema ajv cannot compile fails closed: its
 * calls are refused with a clear reason, and the tool list says so.
 */
export function createArgumentValidator(options: {
  logger: Logger;
  maxCompiled?: number;
  computeKey?: ComputeSchemaKey;
}) {
  // Taken once per schema object: a tool call validates the catalog's schema, the same object each turn.
  const schemaContentKey = createSchemaContentKeys(options.computeKey);
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  let compilations = 0;
  const compiled = new LRUCache<string, CompiledSchema>({
    max: options.maxCompiled ?? DEFAULT_MAX_COMPILED,
    dispose: (entry) => {
      ajv.removeSchema(entry.schema);
    },
  });

  function compile(original: object, tool: ToolLabel | undefined): CompiledSchema {
    compilations++;
    // Without its top-level `$id`: ajv refuses a second schema under a known id, and a WPS server that
    // changes a tool's schema keeps its id while the previous version may still be cached here.
    const { $id: _id, ...schema } = original as Record<string, unknown>;
    try {
      return { schema, validate: ajv.compile(schema), compileError: undefined };
    } catch (error) {
      const compileError = error instanceof Error ? error.message : String(error);
      options.logger.warn(
        { tool: tool?.name, server: tool?.server, reason: compileError.slice(0, 300) },
        "a tool's input schema cannot be compiled: its calls are refused until WPS serves a valid schema",
      );
      return { schema, validate: undefined, compileError };
    }
  }

  function compiledFor(schema: object, tool: ToolLabel | undefined): CompiledSchema {
    const key = schemaContentKey(schema);
    if (key === undefined)
      return { schema, validate: undefined, compileError: 'the schema nests too deeply' };
    let entry = compiled.get(key);
    if (!entry) {
      entry = compile(schema, tool);
      compiled.set(key, entry);
    }
    return entry;
  }

  return {
    /** Issues with the arguments; empty when they may be sent. `tool` only names the tool in logs. */
    validate(schema: object, value: unknown, tool?: ToolLabel): ArgumentIssue[] {
      const bounds = boundsIssue(value);
      if (bounds) return [bounds];
      const entry = compiledFor(schema, tool);
      if (!entry.validate) {
        return [
          {
            path: '',
            message: `cannot be checked: the tool's input schema from WPS is invalid (${entry.compileError?.slice(0, 200)}), so the call is refused`,
          },
        ];
      }
      if (entry.validate(value)) return [];
      return (entry.validate.errors ?? []).map(describe);
    },

    /** For the tool list: whether calls of a tool with this schema can be validated (compiles it once). */
    argumentValidation(schema: object, tool?: ToolLabel): ArgumentValidation {
      return compiledFor(schema, tool).validate ? 'ok' : 'unavailable';
    },

    /**
     * The same compiled schemas as the MCP clients' checker of tool output schemas (the SDK's
     * `jsonSchemaValidator` option). Left to itself the SDK gives each client its own Ajv with all its
     * formats, about 19 KB of heap each (a fifth of what a connected idle user held: 268 KiB then, 212
     * now), and compiles every tool's output schema again for every client, though the users of one
     * server get the same tools. A schema ajv cannot compile fails closed here too: no result passes it.
     */
    outputSchemas(): jsonSchemaValidator {
      return {
        getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
          const entry = compiledFor(schema, undefined);
          return (input): JsonSchemaValidatorResult<T> => {
            if (entry.validate?.(input)) return { valid: true, data: input as T, errorMessage: undefined };
            const errorMessage = entry.validate
              ? ajv.errorsText(entry.validate.errors)
              : `the tool's output schema from WPS is invalid (${entry.compileError?.slice(0, 200)})`;
            return { valid: false, data: undefined, errorMessage };
          };
        },
      };
    },

    stats() {
      return { compilations, cached: compiled.size };
    },
  };
}

interface ToolLabel {
  name: string;
  server: string;
}

function boundsIssue(value: unknown): ArgumentIssue | undefined {
  if (nestingDepthExceeds(value, ARGUMENT_LIMITS.maxDepth))
    return { path: '', message: `nest deeper than ${ARGUMENT_LIMITS.maxDepth} levels` };
  // Safe to serialise now that the depth is bounded.
  if ((JSON.stringify(value) ?? '').length > ARGUMENT_LIMITS.maxChars)
    return { path: '', message: `are larger than ${ARGUMENT_LIMITS.maxChars} characters as JSON` };
  return undefined;
}

function describe(error: ErrorObject): ArgumentIssue {
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { path: path ? `${path}.${missing}` : missing, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { path: path ? `${path}.${extra}` : extra, message: 'is not a known parameter' };
  }
  return { path, message: error.message ?? 'is invalid' };
}

export type ArgumentValidator = ReturnType<typeof createArgumentValidator>;
