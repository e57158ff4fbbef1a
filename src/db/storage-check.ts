import { statSync } from 'node:fs';
import type { Logger } from '../shared/logger.js';

export type StorageStatus = { ok: true } | { ok: false; reason: string };

/**
 * Notices that the database file under a running server is gone or replaced (someone deleted DATA_DIR).
 * SQLite keeps writing to the deleted file through its open descriptor, so without this check the
 * server looks healthy while everything it writes is lost at the next restart.
 */
export function createStorageCheck(options: { databasePath: string; dataDir: string; logger: Logger }) {
  const { databasePath, dataDir, logger } = options;
  const inMemory = databasePath === ':memory:';
  const inodeOf = (file: string) => statSync(file, { throwIfNoEntry: false })?.ino;
  const initialInode = inMemory ? undefined : inodeOf(databasePath);
  let reported: string | undefined;
  let timer: NodeJS.Timeout | undefined;

  const check = (): StorageStatus => {
    if (inMemory) return { ok: true };
    const inode = inodeOf(databasePath);
    const reason =
      inode === undefined
        ? `the database file ${databasePath} is gone (was DATA_DIR ${dataDir} deleted?): what is written now is lost at the next restart; restart the server`
        : inode !== initialInode
          ? `the database file ${databasePath} was replaced by another file while the server ran; restart the server`
          : undefined;
    if (reason === undefined) return { ok: true };
    if (reported !== reason) {
      reported = reason;
      logger.error({ databasePath, dataDir }, `storage unavailable: ${reason}`);
    }
    return { ok: false, reason };
  };

  return {
    check,
    /** Checks every `intervalMs` too, so the log says it even when nobody asks /health. */
    watch(intervalMs: number): void {
      timer ??= setInterval(check, intervalMs).unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

export type StorageCheck = ReturnType<typeof createStorageCheck>;
