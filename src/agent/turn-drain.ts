import { errors } from '../shared/errors.js';

/**
 * The chat turns running in this process, for a graceful shutdown: once draining, new turns are refused
 * (503 `unavailable`, nothing stored) and `drain` waits for the running ones to end, within a grace
 * period. What is still running after it is stored `aborted` by the shutdown (services.close).
 */
export function createTurnDrain() {
  const running = new Set<Promise<unknown>>();
  let draining = false;
  return {
    /** Throws while draining: called before a turn stores anything. */
    admit(): void {
      if (draining) throw errors.shuttingDown();
    },
    /** `outcome` settles when the turn has ended and its end is stored (it never rejects). */
    track(outcome: Promise<unknown>): void {
      running.add(outcome);
      void outcome.finally(() => running.delete(outcome));
    },
    running: () => running.size,
    /** Refuses new turns from now on; true when every running turn ended within `graceMs`. */
    async drain(graceMs: number): Promise<boolean> {
      draining = true;
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      });
      try {
        return await Promise.race([Promise.allSettled([...running]).then(() => true), graceOver]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export type TurnDrain = ReturnType<typeof createTurnDrain>;
