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
  const sweep = () => {
    const deleted = options.authorizationFlow.sweepExpired();
    if (deleted > 0) options.logger.debug({ deleted }, 'swept expired pending wps authorizations');
    return deleted;
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    sweep,
    start() {
      timer = setInterval(sweep, options.intervalMs ?? 10 * 60_000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
