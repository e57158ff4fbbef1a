import { chmodSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startServerProcess } from '../support/server-process.js';

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('the database files in an operator-made DATA_DIR', () => {
  it('are owner-only (0600) whatever the umask, and a group/world-accessible DATA_DIR is warned about', async () => {
    // As `mkdir data` leaves it under the usual umask 022: everyone may enter and list it.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'operator-data-'));
    chmodSync(dataDir, 0o755);
    const database = path.join(dataDir, 'agent.db');
    const files = [database, `${database}-wal`, `${database}-shm`];
    const environment = {
      WPS_APP_ID: '',
      WPS_APP_KEY: '',
      DATA_DIR: dataDir,
      SANDBOX_PORT: String(await freePort()),
    };

    const first = await startServerProcess(environment);
    try {
      // The first start wrote the first user: the WAL and shared-memory files exist by now.
      await expect.poll(() => first.output()).toContain('shown only this once');
      for (const file of files) expect(existsSync(file)).toBe(true);
      expect(files.map(modeOf)).toEqual([0o600, 0o600, 0o600]);
      expect(first.output()).toMatch(
        /"level":40[^\n]*DATA_DIR [^\n]* is accessible to other users \(mode 755\)/,
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }

    // Files an older version (or a restored backup) left readable are narrowed at the next start.
    for (const file of files.filter(existsSync)) chmodSync(file, 0o644);
    chmodSync(dataDir, 0o700);
    const second = await startServerProcess(environment);
    try {
      for (const file of files.filter(existsSync)) expect(modeOf(file)).toBe(0o600);
      expect(second.output()).not.toContain('is accessible to other users');
    } finally {
      await second.stop();
    }
  }, 40_000);
});
