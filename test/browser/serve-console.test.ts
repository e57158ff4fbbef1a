import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { serveConsole } from '../../src/http/console.js';

let server: Server | undefined;
const directories: string[] = [];

async function serve(distDir: string): Promise<string> {
  const app = express();
  serveConsole(app, { distDir });
  app.use((_request, response) => {
    response.status(404).json({ error: { code: 'not_found', message: 'Not found.' } });
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function temporaryDirectory(): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'console-dist-'));
  directories.push(directory);
  return directory;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('serveConsole', () => {
  it('when the console is built, serves its files and index.html for other pages, never for API paths', async () => {
    const distDir = temporaryDirectory();
    mkdirSync(path.join(distDir, 'assets'));
    writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(distDir, 'assets', 'index-abc.js'), 'console.log(1)');
    const url = await serve(distDir);

    const home = await fetch(`${url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('id="root"');
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");

    const asset = await fetch(`${url}/assets/index-abc.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await (await fetch(`${url}/conversations/123`)).text()).toContain('id="root"');

    for (const route of ['/v1/me', '/v1', '/callback?code=x', '/health']) {
      const answer = await fetch(`${url}${route}`);
      expect(answer.status, route).toBe(404);
      expect(answer.headers.get('content-type'), route).toContain('application/json');
    }
    expect((await fetch(`${url}/anything`, { method: 'POST' })).status).toBe(404);
  });

  it('when the console is not built, / says how to build it', async () => {
    const url = await serve(path.join(temporaryDirectory(), 'missing'));
    const home = await fetch(`${url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('npm run build:web');
    expect((await fetch(`${url}/v1/me`)).status).toBe(404);
  });
});
