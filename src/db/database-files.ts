import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';

/** Transcripts and sealed tokens: only the server's own user may read or write the database files. */
const OWNER_ONLY = 0o600;

/**
 * Creates the database file owner-only before SQLite opens it (whatever the umask; a file made wider by an
 * operator or an older version is narrowed). SQLite creates `-wal` and `-shm` lazily with the database
 * file's mode, so they follow; ones left over from before are narrowed by `restrictCompanionFiles`.
 */
export function createOwnerOnlyFile(filePath: string): void {
  closeSync(openSync(filePath, 'a', OWNER_ONLY));
  chmodSync(filePath, OWNER_ONLY);
}

/** Narrows the database's `-wal` and `-shm` files, where they exist, to owner-only. */
export function restrictCompanionFiles(filePath: string): void {
  for (const companion of [`${filePath}-wal`, `${filePath}-shm`]) {
    if (existsSync(companion)) chmodSync(companion, OWNER_ONLY);
  }
}

/**
 * Why the data directory is a risk, or undefined: group or world access to it lets other local users list
 * it (and reach any file in it whose own mode is too wide, such as a copied backup).
 */
export function dataDirExposure(dataDir: string): string | undefined {
  if (!existsSync(dataDir)) return undefined;
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `DATA_DIR ${dataDir} is accessible to other users (mode ${mode.toString(8).padStart(3, '0')}); run: chmod 700 ${dataDir}`;
}
