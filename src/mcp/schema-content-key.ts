import { createHash } from 'node:crypto';
import stableStringify from 'safe-stable-stringify';

/**
 * A stable key for a JSON Schema's CONTENT (sha-256 of its canonical JSON, keys sorted): equal schemas
 * from different users' tool lists, or from successive refreshes of one list, share one key, so what is
 * derived from a schema (a compiled validator, a normalised copy) is built once and shared. Costs a few
 * microseconds for a tool schema, far less than what it saves (an ajv compile is about 2 ms).
 * `undefined` for a schema that cannot be serialised (nested too deeply to walk).
 */
export function schemaContentKey(schema: unknown): string | undefined {
  let canonical: string | undefined;
  try {
    canonical = stableStringify(schema);
  } catch {
    // A stack overflow on a pathological schema: the caller treats it as a schema it cannot use.
    return undefined;
  }
  if (canonical === undefined) return undefined;
  return createHash('sha256').update(canonical).digest('base64url');
}

/** How a schema's content key is computed: `schemaContentKey`, or a counting double in tests. */
export type ComputeSchemaKey = (schema: unknown) => string | undefined;

/**
 * `schemaContentKey` remembered per schema OBJECT, for the cache or validator that holds it: the tool
 * catalog hands out the same schema objects turn after turn until it reloads, so a turn pays for no key
 * it has taken before (serialising and hashing every tool's schema was about 250 µs a turn). Sound
 * because nothing changes a catalogued schema once listed: the catalog, the normaliser, ajv (given a
 * copy) and the AI SDK's providers only read it or copy from it.
 */
export function createSchemaContentKeys(
  compute: ComputeSchemaKey = schemaContentKey,
): (schema: object) => string | undefined {
  // `null` remembers a schema that has no key, so it is not walked again either.
  const keys = new WeakMap<object, string | null>();
  return (schema) => {
    const known = keys.get(schema);
    if (known !== undefined) return known ?? undefined;
    const key = compute(schema);
    keys.set(schema, key ?? null);
    return key;
  };
}
