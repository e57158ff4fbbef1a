import type { Logger } from '../shared/logger.js';
import type { AuthorizationFlow } from './authorization-flow.js';

/**
 * Deletes long-expired pending authorizations every few minutes, so the table holds only the few live
 * ones per user (every instance sweeping the shared database is harmless: the delete is idempotent).
 */
export function createPendingAuthorizationSweeper(options: {
  authorizationFlow: AuthorizationFlow;
  logger: Logger;
  intervalMs?: number;
}) {
  const sweep = async () => {
    const deleted = await options.authorizationFlow.sweepExpired();
    if (deleted > 0) options.logger.debug({ deleted }, 'swept expired pending wps authorizations');
    return deleted;
  };
  // A failed sweep (the database busy) is only housekeeping left for the next interval.
  const sweepSafely = () =>
    sweep().catch((error: unknown) =>
      options.logger.warn({ err: error }, 'sweeping expired pending wps authorizations failed'),
    );
  let timer: NodeJS.Timeout | undefined;
  return {
    sweep,
    start() {
      timer = setInterval(sweepSafely, options.intervalMs ?? 10 * 60_000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
