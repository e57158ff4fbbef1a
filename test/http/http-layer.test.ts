import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';

let harness: AgentHarness;
const directories: string[] = [];
afterEach(async () => {
  await harness?.close();
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function builtConsole(): string {
  const distDir = mkdtempSync(path.join(tmpdir(), 'wps-agent-console-'));
  directories.push(distDir);
  mkdirSync(path.join(distDir, 'assets'));
  writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(path.join(distDir, 'assets', 'app-1234.js'), 'console.log(1);');
  return distDir;
}

const requestLines = () =>
  harness.logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');

describe('ETags', () => {
  it('are not computed for API answers, but the console files keep theirs', async () => {
    harness = await startAgentHarness({ consoleDistDir: builtConsole() });
    const user = await harness.createUser('ann');
    const listed = await harness.api(user.apiKey, 'GET', '/v1/conversations');
    expect(listed.status).toBe(200);
    expect(listed.headers.get('etag')).toBeNull();
    expect((await fetch(`${harness.url}/health`)).headers.get('etag')).toBeNull();
    const asset = await fetch(`${harness.url}/assets/app-1234.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('etag')).toBeTruthy();
    const page = await fetch(`${harness.url}/`);
    expect(page.headers.get('etag')).toBeTruthy();
  });
});

describe('the request log', () => {
  it('writes one line per request from safe fields only, never the query', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    await harness.api(user.apiKey, 'GET', '/v1/conversations?limit=5');
    await (await fetch(`${harness.url}/callback?code=an-authorization-code-123&state=a-state-456`)).text();
    const lines = requestLines();
    expect(lines.map((line) => `${line.method} ${line.path} ${line.status}`)).toEqual([
      'GET /v1/conversations 200',
      'GET /callback 400',
    ]);
    for (const line of lines)
      expect(Object.keys(line).sort()).toEqual([
        'durationMs',
        'level',
        'method',
        'msg',
        'path',
        'status',
        'time',
      ]);
    const everything = harness.logs.join('\n');
    expect(everything).not.toContain('an-authorization-code-123');
    expect(everything).not.toContain('a-state-456');
  });

  it('leaves the redaction safety net on every other log line', async () => {
    harness = await startAgentHarness();
    harness.services.logger.warn(
      { code: 'leaked-code-789', nested: { accessToken: 'leaked-token' } },
      'oops',
    );
    const line = JSON.parse(harness.logs.find((entry) => entry.includes('"oops"')) ?? '{}');
    expect(line.code).toBe('[redacted]');
    expect(line.nested.accessToken).toBe('[redacted]');
  });
});

describe('keep-alive connections', () => {
  /** One request on a raw keep-alive connection; resolves with how long the server then kept it open. */
  async function idleLifetimeMs(url: string): Promise<number> {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /health HTTP/1.1\r\nHost: agent\r\nConnection: keep-alive\r\n\r\n');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    while (!answer.includes('"status"')) await once(socket, 'data');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    const idleSince = performance.now();
    await once(socket, 'close');
    return performance.now() - idleSince;
  }

  it('are closed by the server only after HTTP_KEEP_ALIVE_TIMEOUT_MS of idleness, not Node’s 5 s', async () => {
    harness = await startAgentHarness({ env: { HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' } });
    const lifetime = await idleLifetimeMs(harness.url);
    // Node's own default would keep it 5 s; the server's idle check runs about once a second.
    expect(lifetime).toBeGreaterThan(900);
    expect(lifetime).toBeLessThan(3_500);
  });
});
