/**
 * PostgreSQL for tests. `TEST_DATABASE_URL` names a server to use (its user must be allowed to create
 * databases); without it, a throwaway cluster is started for the test file (initdb into a temp dir,
 * pg_ctl on a free local port, as the unprivileged `postgres` user when running as root). Either way each
 * test file gets a fresh database, dropped (and the cluster stopped and deleted) when it is done.
 *
 * Without PostgreSQL the tests that need it are skipped with a loud note; with `CI=true` a missing
 * PostgreSQL is an error instead, so CI can never pass them silently.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './server-process.js';

export interface TestDatabase {
  /** A fresh, empty database of its own. */
  url: string;
  /** Drops the database and stops whatever was started for it. Safe to call twice. */
  stop: () => Promise<void>;
}

/** Where Debian keeps each installed major version's server binaries (not on PATH). */
const debianServerBinaries = '/usr/lib/postgresql';

function findServerBinaries(): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (folder && existsSync(path.join(folder, 'initdb')) && existsSync(path.join(folder, 'pg_ctl'))) {
      return folder;
    }
  }
  if (!existsSync(debianServerBinaries)) return undefined;
  const newestFirst = readdirSync(debianServerBinaries).sort((a, b) => Number(b) - Number(a));
  return newestFirst
    .map((version) => path.join(debianServerBinaries, version, 'bin'))
    .find((folder) => existsSync(path.join(folder, 'initdb')));
}

const configuredUrl = process.env.TEST_DATABASE_URL;
const serverBinaries = configuredUrl ? undefined : findServerBinaries();

/** True when this run can reach PostgreSQL; use with `describe.skipIf(!hasPostgres)`. */
export const hasPostgres = Boolean(configuredUrl || serverBinaries);

if (!hasPostgres) {
  const why = 'no TEST_DATABASE_URL and no initdb/pg_ctl (PATH or /usr/lib/postgresql/*/bin)';
  if (process.env.CI === 'true') throw new Error(`PostgreSQL tests cannot run in CI: ${why}`);
  console.warn(
    `\n${'!'.repeat(78)}\n!! PostgreSQL tests SKIPPED: ${why}.\n!! Install Debian's postgresql or set TEST_DATABASE_URL to run them.\n${'!'.repeat(78)}\n`,
  );
}

/** Runs a server binary, as the `postgres` user when we are root (initdb and postgres refuse root). */
function runServerBinary(binary: string, args: string[], cwd: string): void {
  const command = path.join(serverBinaries!, binary);
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? 'runuser' : command, asRoot ? ['-u', 'postgres', '--', command, ...args] : args, {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function giveToPostgresUser(folder: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(folder, uid, gid);
}

/** A private cluster in a temp dir (under `TEST_POSTGRES_ROOT` when set, so CI can sweep leftovers). */
async function startCluster(): Promise<{ adminUrl: string; stop: () => void }> {
  const root = process.env.TEST_POSTGRES_ROOT ?? tmpdir();
  const dataDir = mkdtempSync(path.join(root, 'pg-test-'));
  giveToPostgresUser(dataDir);
  runServerBinary(
    'initdb',
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    dataDir,
  );
  const port = await freePort();
  // Durability is worthless for a throwaway cluster; fsync off keeps each test file's start-up short.
  const serverOptions = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      runServerBinary('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-s'], dataDir);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  // A test worker that ends without its afterAll (a crash, a timeout) still takes the cluster with it.
  process.once('exit', stop);
  try {
    runServerBinary(
      'pg_ctl',
      ['start', '-D', dataDir, '-l', path.join(dataDir, 'server.log'), '-w', '-s', '-o', serverOptions],
      dataDir,
    );
  } catch (error) {
    stop();
    throw error;
  }
  return { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}

async function onAdminConnection<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database for this test file; call `stop()` in afterAll. */
export async function startTestDatabase(): Promise<TestDatabase> {
  if (!hasPostgres) throw new Error('PostgreSQL is not available: guard the suite with hasPostgres');
  const cluster = configuredUrl ? { adminUrl: configuredUrl, stop: () => {} } : await startCluster();
  const name = `test_${randomBytes(6).toString('hex')}`;
  try {
    await onAdminConnection(cluster.adminUrl, (client) => client.query(`create database ${name}`));
  } catch (error) {
    cluster.stop();
    throw error;
  }
  const url = new URL(cluster.adminUrl);
  url.pathname = `/${name}`;
  let stopped = false;
  return {
    url: url.toString(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        if (configuredUrl) {
          await onAdminConnection(configuredUrl, (client) =>
            client.query(`drop database if exists ${name} with (force)`),
          );
        }
      } finally {
        cluster.stop();
      }
    },
  };
}
