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
