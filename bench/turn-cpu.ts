/**
 * `npm run bench:turn-cpu`: the agent's CPU per turn at one concurrency, with the production HTTP layer
 * switched on (request log at info, the per-user limiter counting), for before/after figures of one change.
 * `npm run bench` is the full report; this is the quick loop for profiling (docs/benchmarks.md, "HTTP layer").
 *
 * BENCH_USERS (100), BENCH_TURNS (5 per user), BENCH_MODEL_LATENCY_MS (50), BENCH_REPEAT (1): phases
 * measured. BENCH_AGENT_FLAGS: extra node flags for the agent process, e.g. `--cpu-prof --cpu-prof-dir=x`;
 * the measured phases' window (monotonic µs, the clock of V8's profiles) is printed for
 * bench/cpu-profile-costs.ts.
 *
 * BENCH_BASELINE=1 also runs the baseline (one MCP client + generateText, bench/baseline-process.ts) at the
 * same concurrency and latency, a baseline round after each agent round, for CPU per turn against it in
 * one run; BENCH_BASELINE_FLAGS are its node
 * flags, and its measured window is printed too, to compare the two profiles area by area. The baseline
 * offers the model what the agent offered it (system prompt and tools, see TimedModel.offered), so both
 * send the same characters; BENCH_BASELINE_BARE=1 gives the old reference, the search tool alone.
 *
 * BENCH_DATABASE=postgres runs the agent on a throwaway PostgreSQL (test/support/postgres.ts) instead of its
 * SQLite file, for the same figures on the other dialect.
 *
 * BENCH_DEPTH=50 measures turn depth instead (bench/turn-depth.ts: turn 1 against turn 50 of the same
 * conversations, BENCH_USERS of them, in BENCH_REPEAT alternating rounds), with BENCH_CONTEXT_BUDGET_CHARS
 * as the agent's context budget.
 */
import { performance } from 'node:perf_hooks';
import { createWpsSandbox } from '../src/sandbox/index.js';
import { startTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { agentStartOptions, type BenchUser, connectUsers, runAgentTurns } from './agent-load.js';
import type { BaselineTurn } from './baseline-process.js';
import { startChildProcess } from './child-process-rpc.js';
import { startTimedModel } from './model-timing.js';
import { postgresBytesWritten } from './postgres-wal.js';
import { loadBetween, type ProcessSample } from './process-metrics.js';
import { distribution, formatNumber } from './stats.js';
import { measureTurnDepth, sqliteBytesWritten } from './turn-depth.js';

const fromEnvironment = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};
const USERS = fromEnvironment('BENCH_USERS', 100);
const TURNS = fromEnvironment('BENCH_TURNS', 5);
const LATENCY_MS = fromEnvironment('BENCH_MODEL_LATENCY_MS', 50);
const REPEAT = fromEnvironment('BENCH_REPEAT', 1);
const DEPTH = fromEnvironment('BENCH_DEPTH', 0);
const BASELINE = process.env.BENCH_BASELINE === '1';
/** BENCH_BASELINE_BARE=1: the baseline offers only the search tool and no system prompt (the old reference). */
const BARE_BASELINE = process.env.BENCH_BASELINE_BARE === '1';
const CONTEXT_BUDGET_CHARS = process.env.BENCH_CONTEXT_BUDGET_CHARS;
const DATABASE = process.env.BENCH_DATABASE ?? 'sqlite';
if (DATABASE !== 'sqlite' && DATABASE !== 'postgres')
  throw new Error('BENCH_DATABASE must be sqlite or postgres');
const nodeFlags = (name: string) => (process.env[name] ?? '').split(' ').filter(Boolean);
const AGENT_FLAGS = nodeFlags('BENCH_AGENT_FLAGS');
const BASELINE_FLAGS = nodeFlags('BENCH_BASELINE_FLAGS');
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<void> {
  const sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
  const timedModel = await startTimedModel({ latencyMs: LATENCY_MS });
  const postgres: TestDatabase | undefined = DATABASE === 'postgres' ? await startTestDatabase() : undefined;
  const agent = startChildProcess({ entry: 'bench/agent-process.ts', nodeFlags: AGENT_FLAGS });
  try {
    const { url: agentUrl } = await agent.call<{ url: string }>(
      'start',
      agentStartOptions(
        sandbox,
        timedModel.model.baseUrl,
        // As in production: every request logged, every chat turn counted by a limit it never reaches.
        {
          LOG_LEVEL: 'info',
          RATE_LIMIT_PER_MINUTE: '100000',
          ...(CONTEXT_BUDGET_CHARS ? { CONTEXT_BUDGET_CHARS } : {}),
          ...(postgres ? { DATABASE_URL: postgres.url } : {}),
        },
      ),
    );
    const users = await agent.call<BenchUser[]>('createUsers', { count: USERS, prefix: 'cpu-user' });
    await connectUsers(agentUrl, users);
    const run = (prefix: string) =>
      runAgentTurns({ agentUrl, users, turnsEach: TURNS, timedModel, prefix, staggerMs: 2 * LATENCY_MS });
    await run('warm');
    if (DEPTH > 0) {
      const postgresWal = postgres ? await postgresBytesWritten(postgres.url) : undefined;
      const { rows } = await measureTurnDepth({
        agentUrl,
        agent,
        users,
        timedModel,
        depth: DEPTH,
        measured: [2, Math.ceil(DEPTH / 2)],
        rounds: Math.max(1, REPEAT),
        prefix: 'depth',
        bytesWritten: postgresWal ?? sqliteBytesWritten(agent),
      });
      await postgresWal?.close();
      for (const row of rows) console.log(JSON.stringify(row));
      return;
    }
    // Started now, so that its rounds alternate with the agent's: the machine's speed drifts over minutes.
    const baseline = BASELINE ? await startBaseline(sandbox, timedModel) : undefined;
    try {
      const windowStart = monotonicMicros();
      let measuredTurns = 0;
      for (let round = 0; round < REPEAT; round++) {
        const before = await agent.call<ProcessSample>('sample');
        const result = await run(`round-${round}`);
        const after = await agent.call<ProcessSample>('sample');
        if (result.failures.length > 0)
          throw new Error(`failures: ${result.failures.slice(0, 3).join('; ')}`);
        measuredTurns += result.turns.length;
        const load = loadBetween(before, after);
        const wall = distribution(result.turns.map((turn) => turn.wallMs));
        const sent = distribution(result.turns.map((turn) => turn.modelRequestChars)).mean;
        console.log(
          `${USERS} users × ${TURNS} turns at ${LATENCY_MS} ms/step: agent CPU ${formatNumber(load.cpuMs / result.turns.length, 2)} ms/turn, ` +
            `${formatNumber(result.turns.length / (result.elapsedMs / 1000), 0)} turns/s, turn p50 ${formatNumber(wall.p50)} ms, p99 ${formatNumber(wall.p99)} ms, loop busy ${Math.round(load.loopUtilization * 100)}%, model sent ${formatNumber(sent, 0)} chars/turn`,
        );
        await baseline?.round(round);
      }
      console.log(
        `profile window: ${JSON.stringify({ startUs: windowStart, endUs: monotonicMicros(), turns: measuredTurns })}`,
      );
      baseline?.printWindow();
    } finally {
      await baseline?.stop();
    }
    await agent.stop();
  } finally {
    await agent.stop().catch(() => undefined);
    await postgres?.stop();
    await timedModel.close();
    await sandbox.close();
  }
}

/** The baseline at the same concurrency, latency and turn count, one round at a time: its CPU per turn. */
async function startBaseline(
  sandbox: Awaited<ReturnType<typeof createWpsSandbox>>,
  timedModel: Awaited<ReturnType<typeof startTimedModel>>,
) {
  const baseline = startChildProcess({ entry: 'bench/baseline-process.ts', nodeFlags: BASELINE_FLAGS });
  await baseline.call('start', {
    modelBaseUrl: timedModel.model.baseUrl,
    mcpServerUrl: `${sandbox.mcpBaseUrl}/kso-yundoc/message`,
    accessToken: sandbox.issueTokens('alice').access_token,
    offered: BARE_BASELINE ? undefined : timedModel.offered(),
  });
  // As many warm-up turns as the agent had.
  await baseline.call('run', { concurrency: USERS, turnsEach: TURNS, prefix: 'baseline-warm' });
  const windowStart = monotonicMicros();
  let measuredTurns = 0;
  return {
    async round(round: number) {
      const before = await baseline.call<ProcessSample>('sample');
      const started = performance.now();
      const turns = await baseline.call<BaselineTurn[]>('run', {
        concurrency: USERS,
        turnsEach: TURNS,
        prefix: `baseline-${round}`,
      });
      const after = await baseline.call<ProcessSample>('sample');
      const elapsedMs = performance.now() - started;
      const load = loadBetween(before, after);
      measuredTurns += turns.length;
      const wall = distribution(turns.map((turn) => turn.wallMs));
      const sent = distribution(turns.map((turn) => timedModel.takeTurn(turn.id).requestChars)).mean;
      console.log(
        `baseline ${USERS} users × ${TURNS} turns: CPU ${formatNumber(load.cpuMs / turns.length, 2)} ms/turn, ` +
          `${formatNumber(turns.length / (elapsedMs / 1000), 0)} turns/s, turn p50 ${formatNumber(wall.p50)} ms, p99 ${formatNumber(wall.p99)} ms, loop busy ${Math.round(load.loopUtilization * 100)}%, model sent ${formatNumber(sent, 0)} chars/turn`,
      );
    },
    printWindow() {
      console.log(
        `baseline profile window: ${JSON.stringify({ startUs: windowStart, endUs: monotonicMicros(), turns: measuredTurns })}`,
      );
    },
    stop: () => baseline.stop().catch(() => undefined),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
