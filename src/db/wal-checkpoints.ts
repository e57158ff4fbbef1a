import type Database from 'better-sqlite3';

/** Pages of log a checkpoint copies, about: SQLite's own threshold, so as much checkpoint work as before. */
export const CHECKPOINT_PAGES = 1_000;
/** SQLite's own automatic checkpoint, a last resort: far above what the two moments below let through. */
export const BACKSTOP_PAGES = 10 * CHECKPOINT_PAGES;
/** Commits assumed to fill CHECKPOINT_PAGES until a checkpoint has measured it. */
const FIRST_ESTIMATE_COMMITS = 100;

export interface WalCheckpoints {
  /** Called after each commit of the serving connection. */
  afterCommit(): void;
  /**
   * Called when the process has just sent a request it will wait on (the model's): a due checkpoint runs
   * on the next turn of the event loop, inside that wait.
   */
  whileWaiting(): void;
  /**
   * Off: no checkpoints at all, not even SQLite's own (bench/agent-process.ts reads the log's size as
   * bytes written).
   */
  setEnabled(enabled: boolean): void;
  readonly stats: { checkpoints: number; failures: number };
}

/**
 * When the embedded database copies its write-ahead log into the database file. SQLite does it inside the
 * COMMIT that takes the log past 1,000 pages, and syncs both files there: 10–30 ms on this project's VMs,
 * nearly all of it waiting on `fsync`, while better-sqlite3 holds the event loop. The turn that made that
 * commit waited, and so did every other request in flight: at 1 user, 5 and 7 of the 8 slowest turns of
 * two runs held one (issue 12). Here the serving connection checkpoints as often as SQLite would, at a
 * better moment: on the next turn of the event loop after a turn has sent the model its request, when
 * that turn has nothing to do for the model's whole latency. Same connection, same thread, same work;
 * only the moment changes. A log that no model request comes to copy (writes with no turn running) is
 * copied one turn of the event loop after the commit that makes it overdue.
 *
 * No hook says how many pages a commit wrote, so the checkpoint is due after as many commits as wrote
 * CHECKPOINT_PAGES at the rate the last checkpoint found: its result counts the log's pages.
 */
export function createWalCheckpoints(client: Database.Database): WalCheckpoints {
  const stats = { checkpoints: 0, failures: 0 };
  let enabled = true;
  let commitsSince = 0;
  let commitsPerCheckpoint = FIRST_ESTIMATE_COMMITS;
  let scheduled = false;
  client.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);

  const checkpoint = () => {
    scheduled = false;
    if (!enabled || !client.open) return;
    try {
      // PASSIVE never waits for a lock: pages a reader still needs stay in the log for the next one.
      const [row] = client.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
      stats.checkpoints += 1;
      const pages = row?.log ?? 0;
      // Every commit adds at least a page: fewer means the log started over since (another process
      // checkpointed it), and says nothing about the rate.
      if (commitsSince > 0 && pages >= commitsSince) {
        commitsPerCheckpoint = Math.max(1, Math.round((CHECKPOINT_PAGES * commitsSince) / pages));
      }
    } catch {
      // The log stays as it is until the next one, and a disk that fails here fails the next COMMIT,
      // whose caller hears of it.
      stats.failures += 1;
    }
    commitsSince = 0;
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(checkpoint);
  };

  return {
    afterCommit() {
      commitsSince += 1;
      if (enabled && commitsSince >= 2 * commitsPerCheckpoint) schedule();
    },
    whileWaiting() {
      // Not now: the request this wait is for goes out to its socket in the promise callbacks that run
      // before the next turn of the event loop (a connection still opening waits a checkpoint longer).
      if (enabled && commitsSince >= commitsPerCheckpoint) schedule();
    },
    setEnabled(value) {
      enabled = value;
      commitsSince = 0;
      client.pragma(`wal_autocheckpoint = ${value ? BACKSTOP_PAGES : 0}`);
    },
    stats,
  };
}
