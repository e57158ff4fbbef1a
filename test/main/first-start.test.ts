import { mkdtempSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_MODEL_CONFIGURED } from '../../src/agent/model-errors.js';
import { freePort, startServerProcess } from '../support/server-process.js';

// Empty values count as unset: a fresh machine, whatever this one's environment holds.
const FRESH_MACHINE = {
  WPS_APP_ID: '',
  WPS_APP_KEY: '',
  OPENAI_API_KEY: '',
  OPENAI_BASE_URL: '',
  OPENAI_MODEL: '',
  OPENAI_API_MODE: '',
};

function freshDataDir(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'first-start-')), 'data');
}

/** Something else holding a port, as another agent left running would. */
async function occupy(port: number): Promise<Server> {
  // Hangs up at once, so the readiness probe sees "not ready" rather than waiting on it.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('npm start on a fresh machine', () => {
  it('starts in sandbox mode, prints the first API key once, and shuts down cleanly', async () => {
    const dataDir = freshDataDir();
    const environment = { ...FRESH_MACHINE, DATA_DIR: dataDir, SANDBOX_PORT: String(await freePort()) };
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
      // The key's id is printed, so this first key can be revoked once another exists.
      expect(first.output()).toMatch(/API key \(id key_[A-Za-z0-9_-]+\)/);
      // No key and the default OpenAI URL: chat cannot work, and the banner says so and how to fix it.
      expect(first.output()).toContain(NO_MODEL_CONFIGURED);
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

  it('a start that fails on a taken PORT names the setting and keeps the first key for the next start', async () => {
    const dataDir = freshDataDir();
    const port = await freePort();
    const environment = {
      ...FRESH_MACHINE,
      DATA_DIR: dataDir,
      PORT: String(port),
      SANDBOX_PORT: String(await freePort()),
    };
    const blocker = await occupy(port);
    try {
      const failed = startServerProcess(environment);
      await expect(failed).rejects.toThrow(
        new RegExp(`Port ${port} \\(PORT\\) is already in use.*another agent may be running`),
      );
      await expect(failed).rejects.not.toThrow(/wpsa_/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const next = await startServerProcess(environment);
    try {
      await expect.poll(() => next.output()).toContain('shown only this once');
      expect(next.output()).toMatch(/wpsa_/);
    } finally {
      await next.stop();
    }
  }, 40_000);

  it('a taken SANDBOX_PORT is named as such', async () => {
    const sandboxPort = await freePort();
    const blocker = await occupy(sandboxPort);
    try {
      await expect(
        startServerProcess({ ...FRESH_MACHINE, DATA_DIR: freshDataDir(), SANDBOX_PORT: String(sandboxPort) }),
      ).rejects.toThrow(
        new RegExp(`Port ${sandboxPort} \\(SANDBOX_PORT\\) is already in use.*another agent may be running`),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 20_000);

  it('refuses to start with invalid configuration, listing every problem', async () => {
    const bad = startServerProcess({
      PORT_OVERRIDE: '1',
      WPS_MCP_TRANSPORT: 'carrier-pigeon',
      WPS_APP_ID: 'app',
    });
    await expect(bad).rejects.toThrow(/WPS_MCP_TRANSPORT must be one of[\s\S]*WPS_APP_KEY is required/);
  }, 20_000);
});
