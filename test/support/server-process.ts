import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The environment that points a server process at a WPS sandbox, with the harness's encryption key so
 * it can read tokens that another process on the same database stored.
 */
export function sandboxEnvironment(sandbox: { mcpBaseUrl: string; authorizeUrl: string; tokenUrl: string }) {
  return {
    WPS_APP_ID: 'sandbox-client',
    WPS_APP_KEY: 'sandbox-secret',
    WPS_MCP_URL: sandbox.mcpBaseUrl,
    WPS_OAUTH_AUTHORIZE_URL: sandbox.authorizeUrl,
    WPS_OAUTH_TOKEN_URL: sandbox.tokenUrl,
    TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
}

/**
 * The environment of `npm start` on its embedded defaults (sandbox mode: no WPS app, the sandbox on a free
 * port) in front of a scripted model, for tests that run the real process against their own model.
 */
export async function embeddedSandboxEnvironment(options: {
  dataDir: string;
  modelBaseUrl: string;
  modelApiKey: string;
}) {
  return {
    DATA_DIR: options.dataDir,
    SANDBOX_PORT: String(await freePort()),
    WPS_APP_ID: '',
    WPS_APP_KEY: '',
    OPENAI_BASE_URL: options.modelBaseUrl,
    OPENAI_API_KEY: options.modelApiKey,
    OPENAI_MODEL: 'scripted-model',
  };
}

/**
 * The real server in its own OS process, with this environment (on a free port unless the environment
 * names `PORT`): the sources through tsx (no build needed), or `{ entry: 'dist/main.js' }`, what
 * `npm start` runs once built. Rejects with the output when the process exits first.
 */
export async function startServerProcess(
  environment: Record<string, string>,
  options: { entry?: string } = {},
): Promise<ServerProcess> {
  if (environment.PORT) return spawnServer(environment, Number(environment.PORT), options);
  // A port found free can be taken before the child binds it (by a parallel test file, or as the source
  // port of some outgoing connection): the harness chose it, so it chooses another, up to three times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnServer(environment, await freePort(), options);
    } catch (error) {
      const portTaken = error instanceof Error && /\(PORT\) is already in use/.test(error.message);
      if (!portTaken || attempt === 3) throw error;
    }
  }
}

interface ServerProcess {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

async function spawnServer(
  environment: Record<string, string>,
  port: number,
  { entry = 'src/main.ts' }: { entry?: string },
): Promise<ServerProcess> {
  let output = '';
  const child = spawn(process.execPath, entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry], {
    env: { ...process.env, LOG_LEVEL: 'info', ...environment, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  // 'close' comes after the output streams have ended: the last words on stderr are in `output` then.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) {
      await closed;
      throw new Error(`server exited: ${output}`);
    }
    // Bounded: something else on the port (the case under test in some tests) may never answer.
    const ready = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) {
      const stop = async () => {
        if (child.exitCode !== null) return child.exitCode;
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.kill('SIGTERM');
        return exited;
      };
      return { url, process: child, output: () => output, stop };
    }
    await sleep(100);
  }
  throw new Error(`server did not start: ${output}`);
}
