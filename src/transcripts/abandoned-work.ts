import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ConversationsRepository } from './conversations.repository.js';
import type { ToolCallsRepository } from './tool-calls.repository.js';

/** Leeway past the time limits before work counts as abandoned: clocks of several instances differ. */
const LEEWAY_MS = 60_000;

/**
 * Closes, as `aborted`, transcript rows that a crashed process left `running` or `streaming`. Only rows
 * older than the longest a live call or turn may last are touched, so another instance's work in flight
 * on the same database is never marked aborted. Runs at start-up and then every few minutes.
 */
export function createAbandonedWorkSweeper(options: {
  toolCallsRepository: ToolCallsRepository;
  conversationsRepository: ConversationsRepository;
  clock: Clock;
  logger: Logger;
  callTimeoutMs: number;
  turnTimeoutMs: number;
  /** Before-states of write calls older than this are forgotten (SNAPSHOT_RETENTION_DAYS). */
  snapshotRetentionMs?: number;
  intervalMs?: number;
}) {
  const sweep = () => {
    const now = options.clock.now();
    const toolCalls = options.toolCallsRepository.abortRunningStartedBefore(
      now - options.callTimeoutMs - LEEWAY_MS,
    );
    const turns = options.conversationsRepository.abortStreamingStartedBefore(
      now - options.turnTimeoutMs - LEEWAY_MS,
    );
    if (toolCalls + turns > 0) options.logger.info({ toolCalls, turns }, 'closed abandoned work as aborted');
    const snapshots =
      options.snapshotRetentionMs === undefined
        ? 0
        : options.toolCallsRepository.purgeSnapshotsBefore(now - options.snapshotRetentionMs);
    if (snapshots > 0) options.logger.info({ snapshots }, 'forgot before-states past their retention');
    return { toolCalls, turns, snapshots };
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    sweep,
    start() {
      sweep();
      timer = setInterval(sweep, options.intervalMs ?? 5 * 60_000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
