import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupCommit, type GroupCommit } from '../../src/db/group-commit.js';
import { BACKSTOP_PAGES, createWalCheckpoints, type WalCheckpoints } from '../../src/db/wal-checkpoints.js';

let directory: string;
let filePath: string;
let client: Database.Database;
let checkpoints: WalCheckpoints;
let commits: GroupCommit;

/** The database file itself: it grows only when a checkpoint copies the log's pages into it. */
const fileSize = () => statSync(filePath).size;
const commitRows = async (count: number) => {
  const insert = client.prepare('insert into notes (body) values (?)');
  // One commit each: awaited one by one, no two share a batch.
  for (let index = 0; index < count; index++)
    await commits.run(() => insert.run(`${'x'.repeat(200)} ${index}`));
};

/** What a turn does after sending the model its request: offers the wait, then waits past the next loop turn. */
const waitOnARequest = async () => {
  checkpoints.whileWaiting();
  await nextTurn();
};

beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'wal-checkpoints-'));
  filePath = path.join(directory, 'agent.db');
  client = new Database(filePath);
  client.pragma('journal_mode = WAL');
  client.exec('create table notes (id integer primary key, body text not null)');
  client.pragma('wal_checkpoint(TRUNCATE)');
  checkpoints = createWalCheckpoints(client);
  commits = createGroupCommit(client, { afterCommit: checkpoints.afterCommit });
});

afterEach(() => {
  client.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('WAL checkpoints', () => {
  it("keeps SQLite's own checkpoint only as a last resort, far beyond its usual 1,000 pages", () => {
    expect(client.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    expect(BACKSTOP_PAGES).toBeGreaterThanOrEqual(10_000);
  });

  it('copies the log in the wait after a request, on the next turn of the event loop, once it is due', async () => {
    const before = fileSize();
    await commitRows(99);
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(0);
    expect(fileSize()).toBe(before);

    await commitRows(1);
    checkpoints.whileWaiting();
    // Not inside the call: the request the caller is waiting on goes out first.
    expect(checkpoints.stats.checkpoints).toBe(0);
    expect(fileSize()).toBe(before);
    await nextTurn();
    expect(checkpoints.stats.checkpoints).toBe(1);
    expect(fileSize()).toBeGreaterThan(before);
    // A second wait right after finds nothing due.
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(1);
  });

  it('spaces checkpoints by the pages the last one found, not by a fixed count of commits', async () => {
    await commitRows(100);
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(1);
    // A small row a commit adds about one page to the log: the next checkpoint is due near 1,000 commits.
    await commitRows(400);
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(1);
    await commitRows(700);
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(2);
  });

  it('stops every checkpoint while disabled, SQLite’s own too, and restores both', async () => {
    checkpoints.setEnabled(false);
    expect(client.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = fileSize();
    await commitRows(250);
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(0);
    expect(fileSize()).toBe(before);

    checkpoints.setEnabled(true);
    expect(client.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    await commitRows(100);
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(1);
    expect(fileSize()).toBeGreaterThan(before);
  });

  it('copies a log that no request comes to wait on one turn of the event loop after it is overdue', async () => {
    const before = fileSize();
    await commitRows(199);
    await nextTurn();
    expect(checkpoints.stats.checkpoints).toBe(0);
    await commitRows(1);
    expect(fileSize()).toBe(before);
    await nextTurn();
    expect(checkpoints.stats.checkpoints).toBe(1);
    expect(fileSize()).toBeGreaterThan(before);
  });

  it('keeps its rate when another connection copied the log in between', async () => {
    await commitRows(100);
    const other = new Database(filePath);
    other.pragma('wal_checkpoint(TRUNCATE)');
    other.close();
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(1);
    // The log it found was empty: that says nothing of the pages a commit writes, so 100 commits still make one due.
    await commitRows(100);
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(2);
  });

  it('counts only commits made: a call that failed adds nothing to the log', async () => {
    const insert = client.prepare('insert into notes (id, body) values (1, ?)');
    await commits.run(() => insert.run('first'));
    for (let index = 0; index < 300; index++)
      await expect(commits.run(() => insert.run('again'))).rejects.toThrow(/UNIQUE/);
    await waitOnARequest();
    expect(checkpoints.stats.checkpoints).toBe(0);
  });
});
