/** The signal a turn runs under: the client's, or the turn's time limit, whichever comes first. */
export interface TurnDeadline {
  signal: AbortSignal;
  /** True once the time limit (not the client) stopped the turn. */
  timedOut(): boolean;
  /** Releases the timer and the listener on the client's signal; call it when the turn ends. */
  clear(): void;
}

/**
 * Aborts when the client's signal does or after `timeoutMs`. Not `AbortSignal.any([..., AbortSignal.timeout()])`:
 * on Node 20 that keeps every turn's signal, and the fetch objects listening to it, alive until the
 * timeout fires (about 5 KB per turn for the 300 s default, measured in docs/benchmarks.md). A plain timer
 * cleared when the turn ends frees them at once.
 */
export function createTurnDeadline(options: { clientSignal: AbortSignal; timeoutMs: number }): TurnDeadline {
  const { clientSignal, timeoutMs } = options;
  const controller = new AbortController();
  let timedOut = false;
  const onClientAbort = () => controller.abort(clientSignal.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(
      new DOMException(`the turn did not finish within ${timeoutMs / 1000} s`, 'TimeoutError'),
    );
  }, timeoutMs);
  // A turn's timer alone must not keep a process alive that is shutting down.
  timer.unref();
  const clear = () => {
    clearTimeout(timer);
    clientSignal.removeEventListener('abort', onClientAbort);
  };
  if (clientSignal.aborted) onClientAbort();
  else clientSignal.addEventListener('abort', onClientAbort, { once: true });
  return { signal: controller.signal, timedOut: () => timedOut, clear };
}
