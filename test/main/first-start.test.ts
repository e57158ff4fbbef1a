import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startServerProcess } from '../support/server-process.js';

describe('npm start on a fresh machine', () => {
  it('starts in sandbox mode, prints the first API key once, and shuts down cleanly', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'first-start-')), 'data');
    // Empty values count as unset: a fresh machine, whatever this one's environment holds.
    const unset = {
      WPS_APP_ID: '',
      WPS_APP_KEY: '',
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      OPENAI_MODEL: '',
      OPENAI_API_MODE: '',
    };
    const environment = { ...unset, DATA_DIR: dataDir, SANDBOX_PORT: String(await freePort()) };
    const first = await startServerProcess(environment);
    try {
      const health = await (await fetch(`${first.url}/health`)).json();
      expect(health).toMatchObject({
        status: 'ok',
        mode: 'sandbox',
        sandbox: { url: expect.stringContaining('http://') },
      });
      await expect.poll(() => first.output()).toContain('shown only this once');
      expect(first.output()).toContain('WPS SANDBOX MODE');
      const apiKey = /wpsa_[A-Za-z0-9_-]+/.exec(first.output())?.[0];
      expect(apiKey).toBeDefined();
      const me = await fetch(`${first.url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(await me.json()).toMatchObject({ user: { name: 'admin' }, wps: { status: 'not_connected' } });
      // The generated key file is private; the data directory too.
      expect(statSync(path.join(dataDir, 'token-encryption.key')).mode & 0o777).toBe(0o600);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    // A second start finds the user: no new key is printed.
    const second = await startServerProcess(environment);
    try {
      // The sandbox notice is written in the same tick as a first-start banner would be.
      await expect.poll(() => second.output()).toContain('WPS SANDBOX MODE');
      expect(second.output()).not.toContain('wpsa_');
    } finally {
      await second.stop();
    }
  }, 40_000);

  it('refuses to start with invalid configuration, listing every problem', async () => {
    const bad = startServerProcess({
      PORT_OVERRIDE: '1',
      WPS_MCP_TRANSPORT: 'carrier-pigeon',
      WPS_APP_ID: 'app',
    });
    await expect(bad).rejects.toThrow(/WPS_MCP_TRANSPORT must be one of[\s\S]*WPS_APP_KEY is required/);
  }, 20_000);
});
