import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startServerProcess } from '../support/server-process.js';

describe('a server whose DATA_DIR is deleted under it', () => {
  it('turns /health to 503 unavailable and logs why', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'data-dir-lost-')), 'data');
    const server = await startServerProcess({
      WPS_APP_ID: '',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      SANDBOX_PORT: String(await freePort()),
    });
    try {
      const healthy = await fetch(`${server.url}/health`);
      expect(healthy.status).toBe(200);
      expect(await healthy.json()).toMatchObject({ status: 'ok', database: 'sqlite' });
      rmSync(dataDir, { recursive: true, force: true });
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: 'unavailable',
        reason: expect.stringContaining('DATA_DIR'),
        database: 'sqlite',
        mode: 'sandbox',
      });
      await expect.poll(() => server.output()).toContain('storage unavailable: the database file');
    } finally {
      await server.stop();
    }
  }, 30_000);
});
