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
 * on Node 20 that keeps every turn's signal, and whatever still listens to it, alive until the timeout
 * fires (300 s by default; a listener holding 4 KB costs about 5.6 KB per turn that way, 13 bytes with a
 * cleared timer). A plain timer cleared when the turn ends frees them at once (bench/turn-heap.ts
 * measures a whole turn).
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
