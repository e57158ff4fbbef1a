import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { cookiesOf, passConsent } from '../support/agent-harness.js';
import { createScriptedModel } from '../support/scripted-model/index.js';
import { embeddedSandboxEnvironment, startServerProcess } from '../support/server-process.js';

it('the real server, behind an endpoint that answers an HTML page: both paths fail as model_error, the turns are stored as error, and the process lives on', async () => {
  const model = await createScriptedModel();
  model.setFallback({ raw: { contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' } });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'garbage-model-'));
  const server = await startServerProcess(
    await embeddedSandboxEnvironment({
      dataDir,
      modelBaseUrl: model.baseUrl,
      modelApiKey: 'sk-garbage-test-key',
    }),
  );
  try {
    await expect.poll(() => server.output()).toMatch(/wpsa_[A-Za-z0-9_-]+/);
    const apiKey = /wpsa_[A-Za-z0-9_-]+/.exec(server.output())?.[0] ?? '';
    const call = (route: string, init: RequestInit = {}) =>
      fetch(`${server.url}${route}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...init.headers },
      });
    const jsonOf = async (response: Promise<Response>): Promise<any> => (await response).json();
    // As the console does it: the authorize answer's cookie binds the callback to this browser.
    const started = await call('/v1/wps/authorize', { method: 'POST' });
    const { authorizeUrl } = await jsonOf(Promise.resolve(started));
    const callbackUrl = await passConsent(authorizeUrl, 'alice', 'approve');
    expect((await fetch(callbackUrl, { headers: { cookie: cookiesOf(started) } })).status).toBe(200);

    const json = await call('/v1/chat', { method: 'POST', body: JSON.stringify({ message: 'Hello?' }) });
    expect(json.status).toBe(502);
    expect((await jsonOf(Promise.resolve(json))).error.code).toBe('model_error');

    const stream = await call('/v1/chat', {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'Hello, streaming?' }),
    });
    const body = await stream.text();
    expect(body).toMatch(/"type":"error","errorText":"The model endpoint's answer could not be read/);
    const transcript = await jsonOf(call(`/v1/conversations/${stream.headers.get('x-conversation-id')}`));
    expect(transcript.messages.map((message: { status: string }) => message.status)).toEqual([
      'complete',
      'error',
    ]);
    expect(server.process.exitCode).toBeNull();
  } finally {
    expect(await server.stop()).toBe(0);
    await model.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 40_000);
