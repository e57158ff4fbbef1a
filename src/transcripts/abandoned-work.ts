import type { InstancesRepository } from '../instances/instances.repository.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ConversationsRepository } from './conversations.repository.js';
import type { ToolCallsRepository } from './tool-calls.repository.js';

/** Leeway past the time limits before work counts as abandoned: clocks of several instances differ. */
const LEEWAY_MS = 60_000;

/**
 * Closes, as `aborted`, transcript rows that a crashed process left `running` or `streaming`: rows of an
 * instance whose heartbeat stopped (see instances/), and rows that record no instance once they are older
 * than the longest a live call or turn may last. Work of a live instance is never touched. Runs at
 * start-up and then every `intervalMs`; a failing sweep (a busy or broken database) is logged and tried
 * again next time, never allowed to crash the process.
 */
export function createAbandonedWorkSweeper(options: {
  toolCallsRepository: ToolCallsRepository;
  conversationsRepository: ConversationsRepository;
  instancesRepository: InstancesRepository;
  clock: Clock;
  logger: Logger;
  callTimeoutMs: number;
  turnTimeoutMs: number;
  /** Before-states of write calls older than this are forgotten (SNAPSHOT_RETENTION_DAYS). */
  snapshotRetentionMs?: number;
  intervalMs: number;
}) {
  const { toolCallsRepository, conversationsRepository } = options;
  const sweep = async () => {
    const now = options.clock.now();
    const toolCalls =
      (await toolCallsRepository.abortRunningOfDeadInstances(now)) +
      (await toolCallsRepository.abortRunningStartedBefore(now - options.callTimeoutMs - LEEWAY_MS));
    const turns =
      (await conversationsRepository.abortStreamingOfDeadInstances(now)) +
      (await conversationsRepository.abortStreamingStartedBefore(now - options.turnTimeoutMs - LEEWAY_MS));
    // Rows of a forgotten instance still count as a dead instance's: no row means not alive.
    const instances = await options.instancesRepository.deleteExpired(now);
    if (toolCalls + turns + instances > 0)
      options.logger.info({ toolCalls, turns, instances }, 'closed abandoned work as aborted');
    const snapshots =
      options.snapshotRetentionMs === undefined
        ? 0
        : await toolCallsRepository.purgeSnapshotsBefore(now - options.snapshotRetentionMs);
    if (snapshots > 0) options.logger.info({ snapshots }, 'forgot before-states past their retention');
    return { toolCalls, turns };
  };
  const sweepSafely = async () => {
    try {
      await sweep();
    } catch (error) {
      options.logger.error({ err: error }, 'sweeping abandoned work failed; retrying at the next interval');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    sweep,
    start() {
      void sweepSafely();
      timer = setInterval(sweepSafely, options.intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
