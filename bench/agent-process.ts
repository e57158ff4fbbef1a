/**
 * The agent under test, alone in its process: the real express app, services and SQLite database of the
 * test harness, in front of the sandbox and the scripted model that the parent process runs.
 */
import { statSync } from 'node:fs';
import { flattenTurns } from '../src/agent/conversation-history.js';
import type { HistoryCache } from '../src/agent/history-cache.js';
import { loadTurnHistory } from '../src/agent/history-loader.js';
import type { HistoryPrompts } from '../src/agent/history-prompt.js';
import type { WpsSandbox } from '../src/sandbox/index.js';
import { startAgentHarness } from '../test/support/agent-harness.js';
import { serveParent } from './child-process-rpc.js';
import { createProfiler, sampleProcess, settledMemory } from './process-metrics.js';

export interface AgentProcessOptions {
  modelBaseUrl: string;
  sandbox: Pick<WpsSandbox, 'url' | 'mcpBaseUrl' | 'authorizeUrl' | 'tokenUrl' | 'accounts'>;
  /** Overrides of the defaults below (bench/turn-cpu.ts measures with the request log and limiter on). */
  env?: Record<string, string>;
}

let harness: Awaited<ReturnType<typeof startAgentHarness>> | undefined;
let profiler: ReturnType<typeof createProfiler> | undefined;
let originalReplay:
  | { historyPrompts: HistoryPrompts | undefined; seed: HistoryCache['seed'] | undefined }
  | undefined;

/** The agent's checkpoints of its SQLite log (src/db/wal-checkpoints.ts). */
function walCheckpoints() {
  const database = harness?.database;
  if (database?.dialect !== 'sqlite' || !database.checkpoints) throw new Error('start first, on SQLite');
  return database.checkpoints;
}

serveParent({
  async start(options: AgentProcessOptions) {
    // The sandbox lives in the parent: the harness only needs its URLs (and must not close it).
    const remoteSandbox = { ...options.sandbox, close: async () => undefined } as unknown as WpsSandbox;
    harness = await startAgentHarness({
      sandbox: remoteSandbox,
      env: {
        OPENAI_BASE_URL: options.modelBaseUrl,
        OPENAI_API_KEY: 'sk-bench-model-key-123456',
        OPENAI_MODEL: 'scripted-model',
        // The harness keeps every log line in memory at debug level: a benchmark wants neither.
        LOG_LEVEL: 'warn',
        // The per-user guard would turn a load test into 429s.
        RATE_LIMIT_PER_MINUTE: '0',
        ...options.env,
      },
    });
    return { url: harness.url };
  },
  async createUsers({ count, prefix }: { count: number; prefix: string }) {
    if (!harness) throw new Error('start first');
    const current = harness;
    return Promise.all(Array.from({ length: count }, (_, index) => current.createUser(`${prefix}-${index}`)));
  },
  sample: () => sampleProcess(),
  memory: () => settledMemory(),
  poolStats: () => harness?.services.pool.stats(),
  /**
   * Bytes SQLite writes, read from its write-ahead log: checkpoints off (the agent's and SQLite's own) and
   * the log emptied, so the log's size afterwards is every page the statements since wrote (frames of
   * page size + 24 bytes).
   */
  walReset() {
    walCheckpoints().setEnabled(false);
    harness?.db.$client.pragma('wal_checkpoint(TRUNCATE)');
  },
  walBytes: () => (harness ? statSync(`${harness.db.$client.name}-wal`).size : 0),
  walRestore: () => walCheckpoints().setEnabled(true),
  warnings: () => harness?.logs.slice(-5) ?? [],
  /** What the conversation's next turn replays (model messages): for the baseline to send the same. */
  async replayedHistory({ conversationId }: { conversationId: string }) {
    if (!harness) throw new Error('start first');
    const { chat } = harness.services;
    const loaded = await loadTurnHistory({
      conversationsRepository: chat.conversationsRepository,
      conversationId,
      excludeMessageId: undefined,
      retry: false,
      budgetChars: chat.settings.contextBudgetChars,
    });
    return flattenTurns(loaded.turns);
  },
  /**
   * bench/history-replay.ts: this turn's history converted once (history-prompt.ts) or by the SDK on every
   * step, and finished messages seeded into the history cache or read back: the code before and after
   * issue 12's tenth round, side by side in one process.
   */
  historyReplay({ convertOnce, seed }: { convertOnce: boolean; seed: boolean }) {
    if (!harness) throw new Error('start first');
    const { chat } = harness.services;
    originalReplay ??= { historyPrompts: chat.historyPrompts, seed: chat.historyCache?.seed };
    chat.historyPrompts = convertOnce ? originalReplay.historyPrompts : undefined;
    if (chat.historyCache && originalReplay.seed)
      chat.historyCache.seed = seed ? originalReplay.seed : () => undefined;
  },
  async profileStart() {
    profiler = createProfiler();
    await profiler.start();
  },
  profileStop: () => profiler?.stop({ top: 15 }),
  async close() {
    await harness?.close();
    harness = undefined;
  },
});
