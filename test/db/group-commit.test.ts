import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/db/group-commit.js';

let directory: string;
let filePath: string;
let client: Database.Database;

const open = (busyTimeoutMs = 5000) => {
  const connection = new Database(filePath);
  connection.pragma('journal_mode = WAL');
  connection.pragma(`busy_timeout = ${busyTimeoutMs}`);
  return connection;
};
const names = (connection: Database.Database) =>
  connection
    .prepare('select name from notes order by name')
    .all()
    .map((row) => (row as { name: string }).name);

beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'group-commit-'));
  filePath = path.join(directory, 'agent.db');
  client = open();
  client.exec('create table notes (name text primary key)');
});

afterEach(() => {
  client.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('group commit', () => {
  it('commits the writes started in one turn of the event loop together, each durable once answered', async () => {
    const commits = createGroupCommit(client);
    const insert = client.prepare('insert into notes (name) values (?)');
    const written = ['a', 'b', 'c'].map((name) => commits.run(() => insert.run(name).changes));

    expect(await Promise.all(written)).toEqual([1, 1, 1]);
    expect(commits.stats).toEqual({ commits: 1, calls: 3 });
    // Another connection (another process) sees them: they were committed before the callers were answered.
    const reader = open();
    expect(names(reader)).toEqual(['a', 'b', 'c']);
    reader.close();

    await commits.run(() => insert.run('d'));
    expect(commits.stats).toEqual({ commits: 2, calls: 4 });
  });

  it('undoes a failing call alone and commits the others of its batch', async () => {
    const commits = createGroupCommit(client);
    const insert = client.prepare('insert into notes (name) values (?)');
    insert.run('taken');
    const outcomes = await Promise.allSettled([
      commits.run(() => insert.run('first')),
      commits.run(() => {
        insert.run('half-done');
        insert.run('taken');
      }),
      commits.run(() => insert.run('last')),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect(names(client)).toEqual(['first', 'last', 'taken']);
    expect(commits.stats.commits).toBe(1);
  });

  it('runs each call on its own when SQLite rolled the whole batch back', async () => {
    const commits = createGroupCommit(client);
    const insert = client.prepare('insert into notes (name) values (?)');
    const rollback = client.prepare('rollback');
    const outcomes = await Promise.allSettled([
      commits.run(() => insert.run('kept')),
      // Leaves no transaction open, as SQLite does after some errors (a full disk, an I/O error).
      commits.run(() => {
        rollback.run();
        throw new Error('the transaction was rolled back');
      }),
      commits.run(() => insert.run('also kept')),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(names(client)).toEqual(['also kept', 'kept']);
    expect(client.inTransaction).toBe(false);
  });

  it('fails every call of the batch when the write lock stays taken, and keeps none of them', async () => {
    const busy = open(50);
    const commits = createGroupCommit(busy);
    const insert = busy.prepare('insert into notes (name) values (?)');
    client.exec('begin immediate');
    const outcomes = await Promise.allSettled([
      commits.run(() => insert.run('x')),
      commits.run(() => insert.run('y')),
    ]);
    client.exec('rollback');

    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
    }
    expect(names(client)).toEqual([]);
    busy.close();
  });
});
