import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { createManualClock } from '../../src/shared/clock.js';
import { keyIdOf } from '../../src/shared/secret-box.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { sandboxEnvironment, startServerProcess } from '../support/server-process.js';

const TWO_HOURS = 2 * 60 * 60_000;
const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };
const keyA = Buffer.alloc(32, 0xa1);
const keyB = Buffer.alloc(32, 0xb2);
const base64 = (key: Buffer) => key.toString('base64');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * One WPS sandbox (on a clock the test moves) and one data directory that outlive agent restarts: each
 * `restart` is a new agent on the same database with other keys, the previous one closed first.
 */
async function rotationSetup() {
  const wpsClock = createManualClock(Date.now());
  const sandbox: WpsSandbox = await createWpsSandbox({ clock: wpsClock, allowLoopbackRedirects: true });
  cleanups.push(() => sandbox.close());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wps-agent-rotation-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  let running: AgentHarness | undefined;
  const stop = async () => {
    await running?.close();
    running = undefined;
  };
  const restart = async (keys: { current: Buffer; previous?: Buffer[] }) => {
    await stop();
    running = await startAgentHarness({
      sandbox,
      dataDir,
      env: {
        TOKEN_ENCRYPTION_KEY: base64(keys.current),
        TOKEN_ENCRYPTION_PREVIOUS_KEYS: (keys.previous ?? []).map(base64).join(','),
      },
    });
    return running;
  };
  cleanups.push(stop);
  /** The key ids the stored WPS tokens name, read as an operator would, off the database file. */
  const storedKeyIds = () => {
    const connection = new Database(path.join(dataDir, 'agent.db'), { readonly: true });
    try {
      return connection
        .prepare(
          'SELECT access_token_ciphertext AS access, refresh_token_ciphertext AS refresh FROM wps_connections',
        )
        .all()
        .flatMap((row) => Object.values(row as Record<string, string>).map((sealed) => sealed.split('.')[1]));
    } finally {
      connection.close();
    }
  };
  return { sandbox, wpsClock, dataDir, restart, stop, storedKeyIds };
}

describe('rotating the token encryption key', () => {
  it('keeps a user connected under the old key working, and re-seals their tokens as they refresh', async () => {
    const { sandbox, wpsClock, restart, storedKeyIds } = await rotationSetup();
    const underA = await restart({ current: keyA });
    const user = await underA.createUser('ann');
    expect((await underA.connectWps(user.apiKey, 'alice')).status).toBe(200);
    expect((await underA.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(storedKeyIds()).toEqual([keyIdOf(keyA), keyIdOf(keyA)]);

    // Step 1 of a rotation: B seals, A still opens.
    const rotated = await restart({ current: keyB, previous: [keyA] });
    const me = await rotated.api(user.apiKey, 'GET', '/v1/me');
    expect(me.body.wps).toMatchObject({ status: 'connected', account: 'alice' });
    expect((await rotated.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    // Nothing rewrote the tokens yet: they are re-sealed when they are next refreshed.
    expect(storedKeyIds()).toEqual([keyIdOf(keyA), keyIdOf(keyA)]);
    sandbox.resetCounts();
    wpsClock.advance(TWO_HOURS);
    sandbox.dropMcpSessions();
    expect((await rotated.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect(sandbox.requestCounts().token.refresh_token).toBe(1);
    expect(storedKeyIds()).toEqual([keyIdOf(keyB), keyIdOf(keyB)]);

    // Step 2: A is retired; the refreshed pair needs only B.
    const afterRotation = await restart({ current: keyB });
    expect((await afterRotation.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect((await afterRotation.api(user.apiKey, 'GET', '/v1/me')).body.wps.status).toBe('connected');
  });

  it('asks a user to reconnect when the key that sealed their tokens was dropped too early, and tells the operator which', async () => {
    const { restart } = await rotationSetup();
    const underA = await restart({ current: keyA });
    const user = await underA.createUser('ann');
    expect((await underA.connectWps(user.apiKey, 'alice')).status).toBe(200);
    // A second authorization left pending (its authorize URL sealed under A too), as a 409 would reuse.
    const pendingUnderA = await underA.startAuthorization(user.apiKey);

    // A is gone before the tokens were ever refreshed under B.
    const withoutA = await restart({ current: keyB });
    const refused = await withoutA.api(user.apiKey, 'POST', '/v1/tools/call', search);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('wps_authorization_required');
    expect(refused.body.error.message).toMatch(/retired key\); connect WPS again/);
    expect(refused.body.error.authorizeUrl).toMatch(/state=/);
    expect(refused.body.error.authorizeUrl).not.toBe(pendingUnderA.authorizeUrl);
    // A chat turn checks the connection without decrypting the token, and still refuses before any model call.
    const chat = await withoutA.api(user.apiKey, 'POST', '/v1/chat', { message: 'Find Q3' });
    expect(chat.status).toBe(409);
    expect(chat.body.error.code).toBe('wps_authorization_required');
    expect(chat.body.error.authorizeUrl).toMatch(/state=/);
    const me = await withoutA.api(user.apiKey, 'GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.wps).toMatchObject({ status: 'reauthorization_required', account: null });
    const logs = withoutA.logs.join('\n');
    expect(logs).toContain(keyIdOf(keyA));
    expect(logs).toMatch(/TOKEN_ENCRYPTION_PREVIOUS_KEYS/);
    for (const key of [keyA, keyB])
      for (const encoding of ['base64', 'base64url', 'hex'] as const)
        expect(logs).not.toContain(key.toString(encoding));
    expect(JSON.stringify([refused.body, me.body])).not.toContain(base64(keyA));

    // Nothing was destroyed: putting A back restores the user without them doing anything.
    const restored = await restart({ current: keyB, previous: [keyA] });
    expect((await restored.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);

    // Or, with A gone for good, reconnecting once mends it.
    const reconnecting = await restart({ current: keyB });
    expect((await reconnecting.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(409);
    expect((await reconnecting.connectWps(user.apiKey, 'alice')).status).toBe(200);
    expect((await reconnecting.api(user.apiKey, 'POST', '/v1/tools/call', search)).status).toBe(200);
    expect((await reconnecting.api(user.apiKey, 'GET', '/v1/me')).body.wps.status).toBe('connected');
  });

  it('the real server reads TOKEN_ENCRYPTION_PREVIOUS_KEYS: tokens sealed under A open after a restart on B', async () => {
    const { sandbox, dataDir, restart, stop } = await rotationSetup();
    const underA = await restart({ current: keyA });
    const user = await underA.createUser('ann');
    expect((await underA.connectWps(user.apiKey, 'alice')).status).toBe(200);
    await stop();

    const server = await startServerProcess({
      ...sandboxEnvironment(sandbox),
      DATA_DIR: dataDir,
      TOKEN_ENCRYPTION_KEY: base64(keyB),
      TOKEN_ENCRYPTION_PREVIOUS_KEYS: base64(keyA),
    });
    cleanups.push(async () => {
      await server.stop();
    });
    const call = await fetch(`${server.url}/v1/tools/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(search),
    });
    expect(call.status).toBe(200);
    // Start-up names both keys by id, so an operator can check every instance has them; never the keys.
    const keysLine = server
      .output()
      .split('\n')
      .find((line) => line.includes('token encryption keys'));
    expect(JSON.parse(keysLine ?? '{}')).toMatchObject({
      currentKeyId: keyIdOf(keyB),
      previousKeyIds: [keyIdOf(keyA)],
    });
    for (const key of [keyA, keyB]) expect(server.output()).not.toContain(base64(key));
  }, 30_000);
});
