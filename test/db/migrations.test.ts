import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';

/** A copy of `migrations/` holding only the migrations before `tag`: a database as an older release left it. */
function migrationsBefore(tag: string): string {
  const folder = path.join(mkdtempSync(path.join(tmpdir(), 'migrations-')), 'migrations');
  cpSync(path.resolve(import.meta.dirname, '../../migrations'), folder, { recursive: true });
  const journalFile = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((entry) => entry.tag === tag);
  if (at < 0) throw new Error(`no migration ${tag}`);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalFile, JSON.stringify(journal));
  return folder;
}

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

  it('rebuilding tool_calls (0008) keeps every row, and the approvals that reference them', () => {
    const db = openDatabase(':memory:');
    migrate(db, { migrationsFolder: migrationsBefore('0008_tool_calls_unattached_conversation') });
    db.$client.exec(`
      insert into users (id, name, created_at) values ('usr_1', 'ann', 1);
      insert into conversations (id, user_id, title, created_at, updated_at) values ('conv_1', 'usr_1', 't', 1, 1);
      insert into messages (id, conversation_id, role, text, status, created_at, sequence)
        values ('msg_1', 'conv_1', 'assistant', '', 'awaiting_approval', 1, 1);
      insert into tool_calls (id, user_id, conversation_id, message_id, name, server, arguments, is_error, status, source, started_at)
        values ('call_chat', 'usr_1', 'conv_1', 'msg_1', 'kso_write', 'kso-yundoc', '{"a":1}', 0, 'awaiting_approval', 'chat', 1),
               ('call_revert', 'usr_1', 'conv_1', null, 'kso_write', 'kso-yundoc', '{}', 0, 'ok', 'revert', 2);
      insert into approvals (id, user_id, conversation_id, message_id, tool_call_id, model_tool_call_id, safe_name,
          name, server, arguments, preview, status, expires_at, created_at)
        values ('apr_1', 'usr_1', 'conv_1', 'msg_1', 'call_chat', 'tc_1', 'kso_write', 'kso_write', 'kso-yundoc',
          '{"a":1}', 'preview', 'pending', 9, 1);`);

    migrateDatabase(db);

    const rows = (sql: string) => db.$client.prepare(sql).all();
    expect(rows('select id, conversation_id, message_id, arguments from tool_calls order by id')).toEqual([
      { id: 'call_chat', conversation_id: 'conv_1', message_id: 'msg_1', arguments: '{"a":1}' },
      { id: 'call_revert', conversation_id: 'conv_1', message_id: null, arguments: '{}' },
    ]);
    expect(rows('select id, tool_call_id from approvals')).toEqual([
      { id: 'apr_1', tool_call_id: 'call_chat' },
    ]);
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(
      rows("select name from sqlite_master where type = 'index' and tbl_name = 'tool_calls' order by name"),
    ).toEqual([
      { name: 'sqlite_autoindex_tool_calls_1' },
      { name: 'tool_calls_message_idx' },
      { name: 'tool_calls_running_idx' },
      { name: 'tool_calls_unattached_conversation_idx' },
      { name: 'tool_calls_user_started_idx' },
    ]);
    // The keys the rebuilt table keeps are enforced: deleting the message deletes its call and approval.
    db.$client.exec("delete from messages where id = 'msg_1'");
    expect(rows('select id from tool_calls')).toEqual([{ id: 'call_revert' }]);
    expect(rows('select id from approvals')).toEqual([]);
  });

  it('a migration that leaves a reference dangling fails the start, and leaves keys enforced', () => {
    const db = openDatabase(':memory:');
    migrate(db, { migrationsFolder: migrationsBefore('0008_tool_calls_unattached_conversation') });
    // Written with keys off, as an old bug or a hand edit could have: a call whose message is gone.
    db.$client.pragma('foreign_keys = OFF');
    db.$client.exec(`
      insert into users (id, name, created_at) values ('usr_1', 'ann', 1);
      insert into tool_calls (id, user_id, message_id, name, server, is_error, status, source, started_at)
        values ('call_1', 'usr_1', 'msg_gone', 'kso_write', 'kso-yundoc', 0, 'ok', 'chat', 1);`);
    db.$client.pragma('foreign_keys = ON');
    expect(() => migrateDatabase(db)).toThrow(
      /references to missing rows: 1 \(the first from tool_calls to messages\)/,
    );
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});
