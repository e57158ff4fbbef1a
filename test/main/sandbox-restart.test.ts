import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cookiesOf, passConsent } from '../support/agent-harness.js';
import { runCliWith } from '../support/run-cli.js';
import { freePort, startServerProcess } from '../support/server-process.js';

type Server = Awaited<ReturnType<typeof startServerProcess>>;

async function call(server: Server, apiKey: string, method: string, route: string, body?: unknown) {
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed: any = await response.json().catch(() => null);
  return { status: response.status, body: parsed };
}

/** The Q3 plan's ids in alice's sandbox drive, and its current Markdown. */
async function q3Plan(server: Server, apiKey: string) {
  const search = await call(server, apiKey, 'POST', '/v1/tools/call', {
    name: 'kso_yundoc_search_yundoc',
    arguments: { keyword: 'Q3' },
  });
  const file = JSON.parse(search.body.result.content[0].text).items[0].file;
  const extract = await call(server, apiKey, 'POST', '/v1/tools/call', {
    name: 'kso_yundoc_extract_yundoc_content',
    arguments: { drive_id: file.drive_id, file_id: file.id },
  });
  return {
    id: file.id as string,
    markdown: JSON.parse(extract.body.result.content[0].text).markdown as string,
  };
}

describe('the sandbox of npm start across restarts', () => {
  it('keeps the connection and the edits on the same DATA_DIR; sandbox reset starts it fresh', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'sandbox-restart-')), 'data');
    const environment = {
      WPS_APP_ID: '',
      WPS_APP_KEY: '',
      DATABASE_URL: '',
      TOOL_APPROVAL: 'never',
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      SANDBOX_PORT: String(await freePort()),
    };
    const first = await startServerProcess(environment);
    let apiKey = '';
    const edited = '# Q3 Plan\n\nEdited before the restart.';
    try {
      await expect.poll(() => first.output()).toContain('shown only this once');
      apiKey = /wpsa_[A-Za-z0-9_-]+/.exec(first.output())?.[0] ?? '';
      // As the console's browser does: the callback carries the binding cookie of the authorize answer.
      const started = await fetch(`${first.url}/v1/wps/authorize`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };
      const callbackUrl = new URL(await passConsent(authorizeUrl, 'alice', 'approve'));
      callbackUrl.hostname = '127.0.0.1';
      expect((await fetch(callbackUrl, { headers: { cookie: cookiesOf(started) } })).status).toBe(200);
      expect((await call(first, apiKey, 'GET', '/v1/me')).body.wps.status).toBe('connected');
      const plan = await q3Plan(first, apiKey);
      const written = await call(first, apiKey, 'POST', '/v1/tools/call', {
        name: 'kso_airpage_import_markdown_data',
        arguments: { file_id: plan.id, markdown_content: edited },
      });
      expect(written.status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = await startServerProcess(environment);
    try {
      // Still connected, and the header can say to which sandbox account.
      expect((await call(second, apiKey, 'GET', '/v1/me')).body.wps).toMatchObject({
        status: 'connected',
        account: 'alice',
      });
      expect((await q3Plan(second, apiKey)).markdown).toContain('Edited before the restart.');
      // A running sandbox would write its state straight back: reset refuses.
      const refused = await runCliWith(environment, 'sandbox', 'reset');
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain('stop the server');
    } finally {
      await second.stop();
    }

    const reset = await runCliWith(environment, 'sandbox', 'reset');
    expect(reset.exitCode).toBe(0);
    expect(reset.json()).toMatchObject({ reset: true, removed: true });
    const third = await startServerProcess(environment);
    try {
      // The fresh sandbox knows none of the old tokens: the agent asks to connect again.
      const search = await call(third, apiKey, 'POST', '/v1/tools/call', {
        name: 'kso_yundoc_search_yundoc',
        arguments: { keyword: 'Q3' },
      });
      expect(search.status).toBe(409);
      expect(search.body.error.code).toBe('wps_authorization_required');
    } finally {
      await third.stop();
    }
  }, 60_000);
});
