import Database from 'better-sqlite3';
import { createWpsSandbox, type WpsSandbox, type WpsSandboxOptions } from '../../src/sandbox/index.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { createScriptedModel, type ScriptedModel } from '../support/scripted-model/index.js';
import { sandboxEnvironment, startServerProcess } from '../support/server-process.js';

export type ServerProcess = Awaited<ReturnType<typeof startServerProcess>>;

/**
 * One data directory shared by real server processes (`src/main.ts`), one WPS sandbox and one scripted
 * model, with a user already connected to WPS. The in-test harness only sets the user up.
 */
export async function startSharedDatabase(options: { sandboxOptions?: WpsSandboxOptions } = {}) {
  const cleanups: Array<() => Promise<unknown>> = [];
  const sandbox: WpsSandbox = await createWpsSandbox({
    allowLoopbackRedirects: true,
    ...options.sandboxOptions,
  });
  cleanups.push(() => sandbox.close());
  const model: ScriptedModel = await createScriptedModel();
  cleanups.push(() => model.close());
  const modelEnv = {
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_API_KEY: 'sk-test-model-key-123456',
    OPENAI_MODEL: 'scripted-model',
  };
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
    async api(server: { url: string }, method: string, route: string, body?: unknown) {
      const response = await fetch(`${server.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: text ? (JSON.parse(text) as any) : undefined,
      };
    },
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
