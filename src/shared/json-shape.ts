/**
 * How deeply a parsed JSON value nests, measured without recursion: a value nested thousands of levels
 * deep is exactly what would overflow the stack of a recursive walk (and of JSON.stringify). Stops as
 * soon as `limit` is passed, so the cost is bounded by the value's size, never worse.
 */
export function nestingDepthExceeds(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const next = pending.pop();
    if (!next || typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) pending.push({ value: child, depth });
    }
  }
  return false;
}
