/**
 * Per-user limits count fixed one-minute windows aligned on the epoch (src/rate-limits/rate-limit-store.ts):
 * requests on the real clock that straddle a window's end are counted in two windows, and a test of the
 * limit would see more pass than it allows. Waits, when needed, until the window has `neededMs` left.
 */
export async function withinOneRateLimitWindow(neededMs: number): Promise<void> {
  const leftMs = 60_000 - (Date.now() % 60_000);
  if (leftMs < neededMs) await new Promise((resolve) => setTimeout(resolve, leftMs + 100));
}
