import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';

let harness: AgentHarness;
const directories: string[] = [];
afterEach(async () => {
  await harness?.close();
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** JSON nested `levels` deep, built as text: building it as an object and stringifying would overflow. */
const nestedJson = (levels: number) => `${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}`;

async function send(apiKey: string, method: string, route: string, rawBody?: string) {
  const response = await fetch(`${harness.url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(rawBody === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: rawBody,
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

describe('malformed percent-encoding in a path', () => {
  it('is 400 validation_failed on every route, never a 500', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    const attempts: Array<[string, string]> = [
      ['GET', '/v1/conversations/%E0%A4%A'],
      ['GET', '/v1/conversations/%'],
      ['DELETE', '/v1/conversations/%ZZ'],
      ['GET', '/v1/tool-calls/%E0%A4%A'],
      ['POST', '/v1/tool-calls/%/revert'],
      ['GET', '/v1/%ZZ'],
      ['GET', '/callback%'],
      ['GET', '/%E0%A4%A'],
    ];
    for (const [method, route] of attempts) {
      const answer = await send(user.apiKey, method, route);
      expect(answer.status, `${method} ${route}`).toBe(400);
      expect(answer.body.error.code, `${method} ${route}`).toBe('validation_failed');
    }
    expect(harness.logs.some((line) => line.includes('"level":50'))).toBe(false);
  });

  it('a malformed query string is no 500 either (the OAuth callback reads its query)', async () => {
    harness = await startAgentHarness();
    const answer = await fetch(`${harness.url}/callback?code=%ZZ&state=%E0%A4%A`);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('WPS connection failed');
  });

  it('well-formed encoding still reaches the route', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    const answer = await send(user.apiKey, 'GET', '/v1/conversations/conv%5Fnope');
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
  });
});

describe('deeply nested input', () => {
  it('tool arguments nested 5,000 levels deep are 400 validation_failed, not "WPS could not be reached"', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    expect((await harness.connectWps(user.apiKey, 'alice')).status).toBe(200);
    harness.sandbox.resetCounts();
    const body = `{"name":"kso_yundoc_search_yundoc","arguments":{"keyword":"Q3","extra":${nestedJson(5000)}}}`;
    const answer = await send(user.apiKey, 'POST', '/v1/tools/call', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.message).toContain('nests deeper');
    expect(harness.sandbox.requestCounts().mcp['kso-yundoc']?.['tools/call'] ?? 0).toBe(0);
  });

  it('tool arguments past the argument bound (but within the body bound) are refused before WPS', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    await harness.connectWps(user.apiKey, 'alice');
    harness.sandbox.resetCounts();
    const body = `{"name":"kso_yundoc_search_yundoc","arguments":{"keyword":"Q3","extra":${nestedJson(40)}}}`;
    const answer = await send(user.apiKey, 'POST', '/v1/tools/call', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'validation_failed' });
    expect(answer.body.error.message).toContain('nest deeper than 32 levels');
    expect(harness.sandbox.requestCounts().mcp['kso-yundoc']?.['tools/call'] ?? 0).toBe(0);
  });

  it('tool arguments larger than the size bound are refused before WPS', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    await harness.connectWps(user.apiKey, 'alice');
    const answer = await harness.api(user.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_yundoc_search_yundoc',
      arguments: { keyword: 'x'.repeat(600_000) },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('larger than');
  });

  it('any other JSON body nested too deeply is 400 validation_failed', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    for (const route of ['/v1/chat', '/v1/wps/authorize']) {
      const answer = await send(user.apiKey, 'POST', route, `{"message":"hi","extra":${nestedJson(5000)}}`);
      expect(answer.status, route).toBe(400);
      expect(answer.body.error.code, route).toBe('validation_failed');
    }
  });
});

describe('the console', () => {
  it('an unknown asset path is 404, while page paths still get the console', async () => {
    const distDir = mkdtempSync(path.join(tmpdir(), 'console-dist-'));
    directories.push(distDir);
    mkdirSync(path.join(distDir, 'assets'));
    writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(distDir, 'assets', 'index-abc.js'), 'console.log(1)');
    harness = await startAgentHarness({ consoleDistDir: distDir });
    for (const route of ['/assets/nope.js', '/assets/', '/nope.css', '/favicon.ico']) {
      const answer = await fetch(`${harness.url}${route}`);
      expect(answer.status, route).toBe(404);
      expect(await answer.text(), route).not.toContain('id="root"');
    }
    expect((await fetch(`${harness.url}/assets/index-abc.js`)).status).toBe(200);
    for (const route of ['/', '/conversations/123']) {
      const answer = await fetch(`${harness.url}${route}`);
      expect(answer.status, route).toBe(200);
      expect(await answer.text(), route).toContain('id="root"');
    }
  });
});

describe('a NUL character in a chat message', () => {
  it('is 400 validation_failed naming it, and nothing is stored (PostgreSQL text cannot hold it)', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    const answer = await harness.api(user.apiKey, 'POST', '/v1/chat', { message: 'plan\u0000 for Q3' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.message).toContain('NUL');
    expect((await harness.api(user.apiKey, 'GET', '/v1/conversations')).body.conversations).toEqual([]);
  });
});
