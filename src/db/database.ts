import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { createOwnerOnlyFile, restrictCompanionFiles } from './database-files.js';
import * as schema from './schema.js';

export type AppDatabase = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** The most memory one connection's page cache may take: 64 MiB. */
const PAGE_CACHE_KIB = 64 * 1024;

/**
 * Opens the SQLite database with the settings every process sharing the file needs: WAL so readers never
 * block the writer, foreign keys on, and a busy timeout so two processes wait for each other's write
 * lock instead of failing with SQLITE_BUSY.
 */
export function openDatabase(filePath: string): AppDatabase {
  // The directory holds the database and the token encryption key: only this user may enter it.
  const onDisk = filePath !== ':memory:';
  if (onDisk) {
    mkdirSync(path.dirname(filePath), { recursive: true, mode: 0o700 });
    createOwnerOnlyFile(filePath);
  }
  const client = new Database(filePath);
  client.pragma('journal_mode = WAL');
  client.pragma('foreign_keys = ON');
  client.pragma('busy_timeout = 5000');
  client.pragma('synchronous = NORMAL');
  // SQLite's default page cache is 2 MiB: a server's history reads, one conversation's messages spread over
  // pages that other conversations' turns interleaved, missed it and went to the file on nearly every turn.
  // A negative size is KiB; the cache grows only as pages are read.
  client.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  if (onDisk) restrictCompanionFiles(filePath);
  return drizzle({ client, schema });
}

/**
 * Applies every drizzle-kit migration in `migrations/` that this database has not seen yet, with foreign
 * keys off. drizzle-kit changes a table's keys by rebuilding it (copy, DROP, rename) between
 * `PRAGMA foreign_keys` lines, but its migrator runs every migration in one transaction, where SQLite
 * ignores that pragma: the DROP would run with keys on and cascade into every table referencing the old
 * one (dropping `tool_calls` deletes every approval). So keys are off around the transaction, and checked
 * before they are on again: a migration that left a dangling reference fails the start.
 */
export function migrateDatabase(database: AppDatabase): void {
  const client = database.$client;
  const enforced = client.pragma('foreign_keys', { simple: true }) === 1;
  client.pragma('foreign_keys = OFF');
  try {
    const appliedBefore = appliedMigrations(client);
    migrate(database, { migrationsFolder });
    // The check reads every row holding a reference: only after a start that migrated.
    if (appliedMigrations(client) === appliedBefore) return;
    const dangling = client.pragma('foreign_key_check') as Array<{ table: string; parent: string }>;
    const [first] = dangling;
    if (first) {
      throw new Error(
        `After its migrations the database holds references to missing rows: ${dangling.length} (the first from ${first.table} to ${first.parent}).`,
      );
    }
  } finally {
    if (enforced) client.pragma('foreign_keys = ON');
  }
}

/** How many migrations drizzle has recorded as applied (0 before its first run). */
function appliedMigrations(client: Database.Database): number {
  const table = client
    .prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'")
    .get();
  if (!table) return 0;
  return (client.prepare('select count(*) as applied from __drizzle_migrations').get() as { applied: number })
    .applied;
}
