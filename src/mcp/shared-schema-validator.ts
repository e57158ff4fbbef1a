import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from '@modelcontextprotocol/sdk/validation/types.js';

/** Distinct schemas compiled by one shared Ajv before it is replaced (see below). */
const DEFAULT_MAX_COMPILED = 500;

/**
 * One checker of tool output schemas for every MCP client of the process. Left to itself the SDK gives
 * each client its own Ajv with all its formats (about 19 KB of heap: a fifth of what an idle connected
 * user held, 268 KiB then, 212 KiB now) and compiles each tool's output schema again for each client,
 * though the users of one server get the same tools. Here a schema is compiled once per distinct text.
 *
 * Ajv keeps every schema it compiles for as long as it lives, so the shared instance starts afresh once
 * it has compiled `maxCompiled` schemas: a server whose schemas keep changing cannot grow it without
 * bound. A schema with an `$id` gets an instance of its own, as it had before: Ajv resolves an `$id` it
 * already holds to the schema compiled first, and two servers may use one `$id` for different schemas.
 */
export function createSharedSchemaValidator(options: { maxCompiled?: number } = {}): jsonSchemaValidator {
  const maxCompiled = options.maxCompiled ?? DEFAULT_MAX_COMPILED;
  let shared = new AjvJsonSchemaValidator();
  let compiled = new Map<string, JsonSchemaValidator<unknown>>();
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      const text = JSON.stringify(schema);
      let validator = compiled.get(text);
      if (!validator) {
        if (compiled.size >= maxCompiled) {
          shared = new AjvJsonSchemaValidator();
          compiled = new Map();
        }
        const compiler = '$id' in schema ? new AjvJsonSchemaValidator() : shared;
        validator = compiler.getValidator(schema);
        compiled.set(text, validator);
      }
      return validator as JsonSchemaValidator<T>;
    },
  };
}
