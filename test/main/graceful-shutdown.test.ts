import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { cookiesOf, passConsent } from '../support/agent-harness.js';
import { createScriptedModel } from '../support/scripted-model/index.js';
import { embeddedSandboxEnvironment, startServerProcess } from '../support/server-process.js';

const GRACE_MS = 4_000;

it('SIGTERM lets turns that finish within SHUTDOWN_GRACE_MS complete and answer (JSON and stream), stores the one that does not as aborted, and exits 0', async () => {
  const model = await createScriptedModel();
  // The first two turns' answers come after 1.5 s, well within the grace; the third's never comes.
  model.setLatency(1_500);
  model.script({ text: 'The quick answer.' }, { text: 'The quick streamed answer.' }, { hang: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'graceful-shutdown-'));
  const server = await startServerProcess({
    ...(await embeddedSandboxEnvironment({
      dataDir,
      modelBaseUrl: model.baseUrl,
      modelApiKey: 'sk-shutdown-test-key',
    })),
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
  });
  const exited = new Promise<number | null>((resolve) =>
    server.process.once('exit', (code) => resolve(code)),
  );
  try {
    await expect.poll(() => server.output()).toMatch(/wpsa_[A-Za-z0-9_-]+/);
    const apiKey = /wpsa_[A-Za-z0-9_-]+/.exec(server.output())?.[0] ?? '';
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const started = await fetch(`${server.url}/v1/wps/authorize`, { method: 'POST', headers });
    const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };
    const callbackUrl = await passConsent(authorizeUrl, 'alice', 'approve');
    expect((await fetch(callbackUrl, { headers: { cookie: cookiesOf(started) } })).status).toBe(200);

    const chat = (message: string, accept = 'application/json') =>
      fetch(`${server.url}/v1/chat`, {
        method: 'POST',
        headers: { ...headers, accept },
        body: JSON.stringify({ message }),
      });
    const quick = chat('A quick question');
    await expect.poll(() => model.requests.length).toBe(1);
    const streamed = chat('A quick question, streamed', 'text/event-stream');
    await expect.poll(() => model.requests.length).toBe(2);
    const slow = chat('A question the model never answers').catch((error: unknown) => error);
    await expect.poll(() => model.requests.length).toBe(3);

    const signalled = performance.now();
    server.process.kill('SIGTERM');
    const quickAnswer = await quick;
    expect(quickAnswer.status).toBe(200);
    expect(await quickAnswer.json()).toMatchObject({ status: 'complete', text: 'The quick answer.' });
    const streamedAnswer = await (await streamed).text();
    expect(streamedAnswer).toContain('"delta":"The quic"');
    expect(streamedAnswer).toMatch(/"type":"finish"\}\s+data: \[DONE\]/);
    // Draining: no new connections.
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();

    expect(await exited).toBe(0);
    const shutdownMs = performance.now() - signalled;
    expect(shutdownMs).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(shutdownMs).toBeLessThan(GRACE_MS + 3_000);
    const slowAnswer = await slow;
    expect(slowAnswer instanceof Response ? slowAnswer.status : 'connection closed').not.toBe(200);

    const db = new Database(path.join(dataDir, 'agent.db'), { readonly: true });
    try {
      const turns = db
        .prepare("select text, status from messages where role = 'assistant' order by rowid")
        .all();
      expect(turns).toEqual([
        { text: 'The quick answer.', status: 'complete' },
        { text: 'The quick streamed answer.', status: 'complete' },
        { text: '', status: 'aborted' },
      ]);
    } finally {
      db.close();
    }
    expect(server.output()).toContain('chat turns still running after SHUTDOWN_GRACE_MS');
  } finally {
    await server.stop();
    await model.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
