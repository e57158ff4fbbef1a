export type FaultTarget = 'token' | 'mcp';
export type FaultMode = 'error' | 'hang';

/** Queued failures for the next requests to an endpoint (`failNext`). */
export interface FaultInjector {
  failNext(target: FaultTarget, count: number, mode?: FaultMode): void;
  /** The fault the current request must suffer, if any; consumes it. */
  take(target: FaultTarget): FaultMode | undefined;
}

export function createFaultInjector(): FaultInjector {
  const queues: Record<FaultTarget, FaultMode[]> = { token: [], mcp: [] };
  return {
    failNext: (target, count, mode = 'error') => {
      for (let index = 0; index < count; index += 1) queues[target].push(mode);
    },
    take: (target) => queues[target].shift(),
  };
}
