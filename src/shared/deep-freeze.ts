/**
 * Freezes a value and everything it holds, so that an object shared between turns (a cached history
 * message, a converted prompt) throws when changed in place rather than changing what the next turn sees.
 * Typed arrays cannot be frozen (their elements stay writable) and are left as they are.
 */
export function deepFreeze<Value>(value: Value): Value {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || ArrayBuffer.isView(value))
    return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}
