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

/** Applies every drizzle-kit migration in `migrations/` that this database has not seen yet. */
export function migrateDatabase(database: AppDatabase): void {
  migrate(database, { migrationsFolder });
}
