import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startServerProcess } from '../support/server-process.js';

/**
 * `npm start` runs the compiled server (`npm run build:server` → `dist/`): its paths to the migrations
 * and the console's build are resolved from `dist/` then, not `src/`. The other process tests spawn the
 * sources through tsx and need no build; this one builds (about 15 s of tsc) and starts what production runs.
 */
describe('the built server', () => {
  it('starts from dist/, migrates a new database, answers the API, and the CLI runs compiled', async () => {
    execFileSync('npm', ['run', '--silent', 'build:server'], { stdio: 'pipe' });
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'built-server-')), 'data');
    const environment = {
      WPS_APP_ID: '',
      WPS_APP_KEY: '',
      OPENAI_API_KEY: '',
      DATA_DIR: dataDir,
      SANDBOX_PORT: String(await freePort()),
    };
    const server = await startServerProcess(environment, { entry: 'dist/main.js' });
    try {
      expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({
        status: 'ok',
        mode: 'sandbox',
      });
      await expect.poll(() => server.output()).toContain('shown only this once');
      const apiKey = /wpsa_[A-Za-z0-9_-]+/.exec(server.output())?.[0];
      const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(await me.json()).toMatchObject({ user: { name: 'admin' } });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // The package's command, with dist/ newer than every source: the compiled CLI on the same database.
    const listed = execFileSync(process.execPath, ['bin/wps-agent.js', 'users', 'list'], {
      env: { ...process.env, ...environment },
      encoding: 'utf8',
    });
    expect(JSON.parse(listed)).toMatchObject([{ name: 'admin' }]);
  }, 120_000);
});
