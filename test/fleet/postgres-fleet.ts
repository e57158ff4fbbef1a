import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WpsSandboxOptions } from '../../src/sandbox/index.js';
import { callApi, type ServerProcess, startSandboxAndModel } from '../instances/shared-database.js';
import { cookiesOf, passConsent } from '../support/agent-harness.js';
import { startTestDatabase } from '../support/postgres.js';
import { runCliWith } from '../support/run-cli.js';
import { freePort, sandboxEnvironment, startServerProcess } from '../support/server-process.js';

/** How long a stopping process may take (SIGTERM drains) before it is killed, e.g. with the database gone. */
const STOP_GRACE_MS = 10_000;

export type { ServerProcess };

export interface FleetUser {
  id: string;
  name: string;
  apiKey: string;
}

/**
 * A fleet as operators run it: real server processes (`src/main.ts`) on ONE fresh PostgreSQL database with
 * one token encryption key and one `PUBLIC_URL` (the load balancer's address, where nothing listens: a test
 * sends each request to the instance it picks), in front of one WPS sandbox and one scripted model.
 * The instances start at the same moment on the empty database, as a rolling deploy's first start would.
 */
export async function startPostgresFleet(
  options: { instances?: number; env?: Record<string, string>; sandboxOptions?: WpsSandboxOptions } = {},
) {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const world = await startSandboxAndModel({ sandboxOptions: options.sandboxOptions });
    cleanups.push(() => world.close());
    const database = await startTestDatabase();
    cleanups.push(() => database.stop());
    const publicUrl = `http://localhost:${await freePort()}`;
    const sharedEnv: Record<string, string> = {
      DATABASE_URL: database.url,
      PUBLIC_URL: publicUrl,
      ...sandboxEnvironment(world.sandbox),
      ...world.modelEnv,
      RATE_LIMIT_PER_MINUTE: '0',
      ...options.env,
    };
    const dataDirs: string[] = [];
    cleanups.push(async () => {
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    });
    const instances: ServerProcess[] = [];
    cleanups.push(async () => {
      await Promise.all(instances.map(stopOrKill));
      expectNoWpsTokenIn(instances, world.sandbox.issuedTokens());
    });
    // Each instance has a data directory of its own: on PostgreSQL nothing shared may live there.
    const spawn = async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'wps-agent-fleet-'));
      dataDirs.push(dataDir);
      const instance = await startServerProcess({ ...sharedEnv, DATA_DIR: dataDir });
      instances.push(instance);
      return instance;
    };
    await Promise.all(Array.from({ length: options.instances ?? 2 }, spawn));

    return {
      ...world,
      database,
      instances,
      publicUrl,
      close,
      /** The operator's `users create` (the CLI) against the fleet's database. */
      async createUser(name: string): Promise<FleetUser> {
        const created = await runCliWith({ ...sharedEnv, DATA_DIR: dataDirs[0]! }, 'users', 'create', name);
        if (created.exitCode !== 0) throw new Error(`users create failed: ${created.stderr}`);
        return created.json() as FleetUser;
      },
      /**
       * The console's browser: starts authorizing on one instance (keeping the binding cookie), passes the
       * sandbox's consent page, and follows WPS's redirect to `PUBLIC_URL/callback`, which the load
       * balancer sends to `callbackOn`. Returns the callback page.
       */
      async connectWps(
        user: FleetUser,
        route: { startOn: ServerProcess; callbackOn: ServerProcess; account?: string },
      ) {
        const started = await fetch(`${route.startOn.url}/v1/wps/authorize`, {
          method: 'POST',
          headers: { authorization: `Bearer ${user.apiKey}` },
        });
        if (started.status !== 200) throw new Error(`authorize answered ${started.status}`);
        const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };
        const redirect = new URL(await passConsent(authorizeUrl, route.account ?? 'alice', 'approve'));
        if (redirect.origin !== publicUrl) throw new Error(`WPS redirected to ${redirect.origin}`);
        const callback = await fetch(`${route.callbackOn.url}${redirect.pathname}${redirect.search}`, {
          headers: { cookie: cookiesOf(started) },
        });
        return { status: callback.status, html: await callback.text() };
      },
      api: (
        instance: { url: string },
        user: FleetUser,
        request: { method: string; route: string; body?: unknown },
      ) => callApi(instance, user.apiKey, request),
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export type PostgresFleet = Awaited<ReturnType<typeof startPostgresFleet>>;

/** SIGTERM (a drain), or SIGKILL when the drain cannot finish (its database is gone). */
async function stopOrKill(instance: ServerProcess): Promise<void> {
  if (instance.process.exitCode !== null || instance.process.signalCode !== null) return;
  const stopped = await Promise.race([instance.stop().then(() => true), sleep(STOP_GRACE_MS, false)]);
  if (!stopped) instance.process.kill('SIGKILL');
}

/** No access token, refresh token or code the sandbox issued appears in any instance's output. */
function expectNoWpsTokenIn(instances: ServerProcess[], issued: string[]): void {
  const output = instances.map((instance) => instance.output()).join('\n');
  const leaked = issued.filter((secret) => secret.length >= 16 && output.includes(secret));
  if (leaked.length > 0) throw new Error(`${leaked.length} WPS token(s) appeared in an instance's output`);
}

/** Polls until `probe` gives a value; the time it took is `elapsedMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<{ value: T; elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, elapsedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await sleep(100);
  }
}
