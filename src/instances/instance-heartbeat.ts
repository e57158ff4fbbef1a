import { hostname } from 'node:os';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { InstanceIdentity } from './instance-liveness.js';
import type { InstancesRepository } from './instances.repository.js';

/**
 * Keeps this process's row in the instances table fresh, so peers on the same database know its work in
 * flight is still being done. `start` registers it; `stop` (clean shutdown) deletes it. A failed beat is
 * logged and retried: one missed beat is far shorter than the expiry.
 */
export function createInstanceHeartbeat(options: {
  instancesRepository: InstancesRepository;
  instance: InstanceIdentity;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
}) {
  const { instancesRepository, instance, clock, logger } = options;
  const startedAt = clock.now();
  const row = () => {
    const now = clock.now();
    return {
      id: instance.id,
      pid: process.pid,
      host: hostname(),
      startedAt,
      heartbeatAt: now,
      expiresAt: now + instance.expiryMs,
    };
  };
  const beat = async () => {
    try {
      await instancesRepository.heartbeat(row());
    } catch (error) {
      logger.warn({ err: error }, 'instance heartbeat failed; retrying at the next interval');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    /** One beat now; the timer does this every `intervalMs` (tests that move a manual clock call it). */
    beat,
    /** Registers this instance; a database that refuses it stops the start-up. */
    async start() {
      await instancesRepository.register(row());
      timer = setInterval(beat, options.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      try {
        await instancesRepository.deregister(instance.id);
      } catch (error) {
        logger.warn({ err: error }, 'could not remove this instance row; peers will expire it');
      }
    },
  };
}
