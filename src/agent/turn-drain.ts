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
    /**
     * Throws while draining: called before a turn stores anything. From then on a shutdown waits for the
     * turn, even while it is still being stored: `track` hands over its outcome, `abandon` says it never
     * started (a refusal or failure while storing its start).
     */
    admit(): TurnAdmission {
      if (draining) throw errors.shuttingDown();
      let settle: () => void = () => {};
      const admitted = new Promise<void>((resolve) => {
        settle = resolve;
      });
      running.add(admitted);
      void admitted.finally(() => running.delete(admitted));
      return {
        /** `outcome` settles when the turn has ended and its end is stored (it never rejects). */
        track: (outcome) => void outcome.finally(settle),
        abandon: () => settle(),
      };
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

export interface TurnAdmission {
  track(outcome: Promise<unknown>): void;
  abandon(): void;
}

export type TurnDrain = ReturnType<typeof createTurnDrain>;
