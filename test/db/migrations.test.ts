import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';

describe('database', () => {
  it('applies every migration to an empty database, twice without harm', () => {
    const db = openDatabase(':memory:');
    migrateDatabase(db);
    migrateDatabase(db);
    const tables = db.$client
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'",
      )
      .all()
      .map((row) => (row as { name: string }).name)
      .sort();
    expect(tables).toEqual([
      'api_keys',
      'approvals',
      'conversations',
      'instances',
      'messages',
      'pending_authorizations',
      'rate_limit_hits',
      'tool_calls',
      'users',
      'wps_connections',
    ]);
  });

  it('never lets two messages take the same place in one conversation', () => {
    const db = openDatabase(':memory:');
    migrateDatabase(db);
    db.$client.exec(`
      insert into users (id, name, created_at) values ('usr_1', 'ann', 1);
      insert into conversations (id, user_id, title, created_at, updated_at) values ('conv_1', 'usr_1', 't', 1, 1);
      insert into messages (id, conversation_id, role, text, status, created_at, sequence)
        values ('msg_1', 'conv_1', 'user', 'hi', 'complete', 1, 1);`);
    expect(() =>
      db.$client.exec(
        "insert into messages (id, conversation_id, role, text, status, created_at, sequence) values ('msg_2', 'conv_1', 'user', 'hi', 'complete', 1, 1)",
      ),
    ).toThrow(/UNIQUE/);
  });

  it('opens files in WAL mode with foreign keys enforced and a page cache a server can use', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'db-')), 'nested', 'agent.db');
    const db = openDatabase(file);
    migrateDatabase(db);
    expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    // 64 MiB (negative: KiB), not SQLite's 2 MiB default.
    expect(db.$client.pragma('cache_size', { simple: true })).toBe(-65536);
    expect(() =>
      db.$client
        .prepare(
          "insert into api_keys (id, user_id, key_hash, prefix, created_at) values ('k', 'nobody', 'h', 'p', 1)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });
});
