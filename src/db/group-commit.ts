import type Database from 'better-sqlite3';

/** Work of one repository call: synchronous statements on the connection and nothing else. */
export type DatabaseWork<Result> = () => Result;

export interface GroupCommit {
  /**
   * Runs `work` in the next group commit and settles once that commit is done: resolved, the work is
   * durable; rejected, none of it was kept. `work` must only touch the database: if its batch has to be
   * given up after it ran (see below), it runs again on its own.
   */
  run<Result>(work: DatabaseWork<Result>): Promise<Result>;
  /** Commits made and repository calls they carried, for benchmarks and tests. */
  readonly stats: { commits: number; calls: number };
}

interface QueuedWork {
  work: DatabaseWork<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/** A unit's error left the connection outside any transaction: SQLite rolled the whole batch back. */
class BatchRolledBack extends Error {}

/**
 * Group commit for the embedded database. Every turn stores each finished step before it goes on (the
 * product's promise), and a commit costs more than the small writes it carries: at 100 concurrent users
 * the turn's six commits were the largest item of the agent's own CPU (issue 12). So the writes that
 * callers start within one turn of the event loop share one `BEGIN IMMEDIATE … COMMIT`, each in its own
 * savepoint: a call that fails (a constraint, `conversation_busy`) is undone alone and the others commit.
 * No caller is answered before the commit holding its write is done, so "stored" still means stored.
 *
 * Two things give a batch up: BEGIN failing (the write lock stayed taken past the busy timeout), which
 * fails every call with that error as it would have failed each alone; and a failure after the work ran
 * (COMMIT, or an error after which SQLite rolled everything back), after which each call runs again on its
 * own so that one call's fault is not charged to the others.
 */
export function createGroupCommit(
  client: Database.Database,
  options: {
    /** Told of each commit made (db/wal-checkpoints.ts counts them towards its next checkpoint). */
    afterCommit?: () => void;
  } = {},
): GroupCommit {
  const afterCommit = options.afterCommit ?? (() => undefined);
  let queue: QueuedWork[] = [];
  const stats = { commits: 0, calls: 0 };
  /** Nested in the batch's transaction, better-sqlite3 runs this in a savepoint. */
  const inSavepoint = client.transaction((work: DatabaseWork<unknown>) => work());
  let began = false;
  const batch = client.transaction((units: QueuedWork[]) => {
    began = true;
    for (const unit of units) {
      try {
        unit.outcome = { ok: true, value: inSavepoint(unit.work) };
      } catch (error) {
        if (!client.inTransaction) throw new BatchRolledBack();
        unit.outcome = { ok: false, error };
      }
    }
  });

  const runAlone = (unit: QueuedWork) => {
    stats.commits += 1;
    try {
      // A write needs the lock anyway: taking it at BEGIN waits out the busy timeout instead of failing
      // with SQLITE_BUSY when another process wrote between this call's read and its write.
      unit.resolve(inSavepoint.immediate(unit.work));
      afterCommit();
    } catch (error) {
      unit.reject(error);
    }
  };

  const commitBatch = (units: QueuedWork[]) => {
    began = false;
    try {
      batch.immediate(units);
    } catch (error) {
      if (!began) {
        for (const unit of units) unit.reject(error);
      } else {
        for (const unit of units) runAlone(unit);
      }
      return;
    }
    stats.commits += 1;
    afterCommit();
    for (const { outcome, resolve, reject } of units) {
      if (outcome?.ok) resolve(outcome.value);
      else reject(outcome?.error);
    }
  };

  const flush = () => {
    const units = queue;
    queue = [];
    if (units.length === 0) return;
    stats.calls += units.length;
    if (units.length === 1) runAlone(units[0] as QueuedWork);
    else commitBatch(units);
  };

  return {
    run<Result>(work: DatabaseWork<Result>): Promise<Result> {
      return new Promise<Result>((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      });
    },
    stats,
  };
}
