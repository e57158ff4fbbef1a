import Database from 'better-sqlite3';
import { createWpsSandbox, type WpsSandbox, type WpsSandboxOptions } from '../../src/sandbox/index.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { createScriptedModel, type ScriptedModel } from '../support/scripted-model/index.js';
import { sandboxEnvironment, startServerProcess } from '../support/server-process.js';

export type ServerProcess = Awaited<ReturnType<typeof startServerProcess>>;

/**
 * The WPS sandbox and scripted model that real server processes under test talk to, and the environment
 * that points a process at them (with the sandbox's client and a fixed token encryption key).
 */
export async function startSandboxAndModel(options: { sandboxOptions?: WpsSandboxOptions } = {}) {
  const sandbox: WpsSandbox = await createWpsSandbox({
    allowLoopbackRedirects: true,
    ...options.sandboxOptions,
  });
  const model: ScriptedModel = await createScriptedModel().catch(async (error: unknown) => {
    await sandbox.close();
    throw error;
  });
  const modelEnv = {
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_API_KEY: 'sk-test-model-key-123456',
    OPENAI_MODEL: 'scripted-model',
  };
  return {
    sandbox,
    model,
    modelEnv,
    /** Both, model first (the reverse of starting). */
    async close() {
      await model.close();
      await sandbox.close();
    },
  };
}

/** Calls a server's API with this key; parses JSON answers. */
export async function callApi(
  server: { url: string },
  apiKey: string,
  request: { method: string; route: string; body?: unknown },
) {
  const response = await fetch(`${server.url}${request.route}`, {
    method: request.method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: text ? (JSON.parse(text) as any) : undefined,
  };
}

/**
 * One data directory shared by real server processes (`src/main.ts`), one WPS sandbox and one scripted
 * model, with a user already connected to WPS. The in-test harness only sets the user up.
 */
export async function startSharedDatabase(options: { sandboxOptions?: WpsSandboxOptions } = {}) {
  const cleanups: Array<() => Promise<unknown>> = [];
  const world = await startSandboxAndModel(options);
  cleanups.push(() => world.close());
  const { sandbox, model, modelEnv } = world;
  const harness: AgentHarness = await startAgentHarness({ sandbox, env: modelEnv });
  cleanups.push(() => harness.close());
  const user = await harness.createUser('ann');
  const connected = await harness.connectWps(user.apiKey, 'alice');
  if (connected.status !== 200) throw new Error(`could not connect WPS: ${connected.html}`);
  const processes: ServerProcess[] = [];

  return {
    sandbox,
    model,
    harness,
    user,
    /** Starts another real server process on the shared data directory. */
    async spawn(env: Record<string, string> = {}): Promise<ServerProcess> {
      const server = await startServerProcess({
        DATA_DIR: harness.dataDir,
        ...sandboxEnvironment(sandbox),
        RATE_LIMIT_PER_MINUTE: '0',
        ...modelEnv,
        ...env,
      });
      processes.push(server);
      return server;
    },
    /** Calls a server's API as the connected user; parses JSON answers. */
    api: (server: { url: string }, method: string, route: string, body?: unknown) =>
      callApi(server, user.apiKey, { method, route, body }),
    /** Reads the shared database directly, as an operator would (a fresh connection each time). */
    query<Row>(sql: string, ...parameters: unknown[]): Row[] {
      const connection = new Database(`${harness.dataDir}/agent.db`, { readonly: true });
      try {
        return connection.prepare(sql).all(...parameters) as Row[];
      } finally {
        connection.close();
      }
    },
    async close() {
      // A killed process has exited already (its exit event is gone): only the others need stopping.
      for (const server of processes) if (server.process.signalCode === null) await server.stop();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

export type SharedDatabase = Awaited<ReturnType<typeof startSharedDatabase>>;
