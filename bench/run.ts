/**
 * `npm run bench`: the agent's cost per turn against the shortest code doing the same work. See
 * docs/benchmarks.md for what each figure means; this file writes that page's figures.
 *
 * Layout, on purpose: the agent and the baseline each run in a child process (their compared rounds
 * alternate: agent, baseline, agent, ...); this process runs the
 * WPS sandbox, the scripted model and the load generator. On 2 cores that gives the code under test a
 * core of its own, and the upstreams' work is not charged to it.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { type BenchUser, connectUsers, runAgentTurns, type TurnMeasure } from './agent-load.js';
import {
  createPhaseRunners,
  measureBaselineDepth,
  measureComparedPhases,
  startBaseline,
  startRunProcesses,
  warmUpAgent,
} from './compared-phases.js';
import type { ProfileSummary } from './process-metrics.js';
import { type BenchResults, type LatencyRow, printReport, writeReport } from './report.js';
import { DEPTH_PHASE, measureTurnDepth, sqliteBytesWritten } from './turn-depth.js';
import { upstreamBeyondToolCalls } from './upstream-counts.js';

const numberFromEnvironment = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return value;
};

/** Model latency per step for the overhead phases; real models take far longer, which only hides overhead. */
const MODEL_LATENCY_MS = numberFromEnvironment('BENCH_MODEL_LATENCY_MS', 20);
/** Fixed turn counts keep runs comparable; sized so the whole run stays under two minutes on 2 cores. */
/** Agent alone (issue 4's 200-user targets and the upstream request count). */
const PHASES = [{ users: 200, turnsEach: 3 }] as const;
const THROUGHPUT = { users: 50, turnsEach: 6 };
/** Turn depth (bench/turn-depth.ts), with the agent's context budget set to its budget for the whole run. */
const DEPTH = DEPTH_PHASE;
const PROFILED = { users: 50, turnsEach: 2 };
/** Issue 12's compared phases (bench/compared-phases.ts) run at the latency the issue states its goals at. */
const COMPARED_MODEL_LATENCY_MS = numberFromEnvironment('BENCH_COMPARED_MODEL_LATENCY_MS', 50);
const TOTAL_USERS = Math.max(...PHASES.map((phase) => phase.users));
const WRITE_DOCS = process.env.BENCH_WRITE_DOCS !== '0';
const PROFILE = process.env.BENCH_PROFILE !== '0';

const processStarted = performance.now();
const log = (line: string) =>
  process.stderr.write(`[bench ${((performance.now() - processStarted) / 1000).toFixed(1)} s] ${line}\n`);

async function main(): Promise<void> {
  const runStarted = performance.now();
  const loadAverageAtStart = os.loadavg();
  const { sandbox, timedModel, agent, baseline, agentUrl, close } = await startRunProcesses({
    modelLatencyMs: MODEL_LATENCY_MS,
    env: { CONTEXT_BUDGET_CHARS: String(DEPTH.contextBudgetChars) },
  });
  try {
    // Memory per connected idle user: users connected to WPS with their MCP connections open.
    log(`connecting ${TOTAL_USERS} users`);
    const memoryBefore = await agent.call<{ heapUsedBytes: number; rssBytes: number }>('memory');
    const users = await agent.call<BenchUser[]>('createUsers', { count: TOTAL_USERS, prefix: 'bench-user' });
    const toolsPerUser = await connectUsers(agentUrl, users);
    const memoryAfter = await agent.call<{ heapUsedBytes: number; rssBytes: number }>('memory');
    const poolStats = await agent.call<{ connections: number }>('poolStats');

    log('warm-up');
    await warmUpAgent({ agentUrl, users, timedModel, prefix: 'warm' });

    sandbox.resetCounts();
    const run = createPhaseRunners({ agent, agentUrl, users, baseline, timedModel, log });
    const agentRows: LatencyRow[] = [];
    const measured: TurnMeasure[] = [];
    for (const phase of PHASES) {
      const { result, row } = await run.agent(`agent-${phase.users}`, phase, MODEL_LATENCY_MS);
      measured.push(...result.turns);
      agentRows.push(row);
    }
    const counts = sandbox.requestCounts();
    const upstream = upstreamBeyondToolCalls(counts, measured.length);

    // Turns per second with an instant model: the agent's own ceiling.
    const throughputPhase = await run.agent(`throughput-${THROUGHPUT.users}`, THROUGHPUT, 0);

    log(`turn depth: ${DEPTH.users} conversations × ${DEPTH.turns} turns`);
    timedModel.model.setLatency(MODEL_LATENCY_MS);
    const bytesWritten = sqliteBytesWritten(agent);
    const { rows: depthRows, deepConversations } = await measureTurnDepth({
      agentUrl,
      agent,
      users: users.slice(0, DEPTH.users),
      timedModel,
      depth: DEPTH.turns,
      measured: DEPTH.measured,
      rounds: DEPTH.rounds,
      prefix: 'depth',
      bytesWritten,
    });

    // What a deep turn replays, for the baseline to send the same (see measureBaselineDepth).
    const deepConversation = deepConversations[0];
    const replayed = deepConversation
      ? await agent.call<unknown[]>('replayedHistory', { conversationId: deepConversation })
      : [];

    let profile: BenchResults['profile'];
    if (PROFILE) {
      log('profile (excluded from the figures)');
      timedModel.model.setLatency(MODEL_LATENCY_MS);
      await agent.call('profileStart');
      await runAgentTurns({
        agentUrl,
        users: users.slice(0, PROFILED.users),
        turnsEach: PROFILED.turnsEach,
        timedModel,
        prefix: 'profile',
        staggerMs: 2 * MODEL_LATENCY_MS,
      });
      const summary = await agent.call<ProfileSummary>('profileStop');
      profile = {
        ...summary,
        description: `${PROFILED.users} users × ${PROFILED.turnsEach} turns at ${MODEL_LATENCY_MS} ms per model step`,
      };
    }
    log('baseline: start and warm up');
    timedModel.model.setLatency(MODEL_LATENCY_MS);
    await startBaseline(baseline, sandbox, timedModel);
    log('baseline: turn depth');
    const baselineDepth = await measureBaselineDepth(baseline, timedModel, replayed, DEPTH);
    const compared = await measureComparedPhases(run, COMPARED_MODEL_LATENCY_MS);
    agentRows.unshift(...compared.agentRows);
    await agent.stop();
    await baseline.stop();

    const results: BenchResults = {
      date: new Date().toISOString(),
      modelLatencyMs: MODEL_LATENCY_MS,
      comparedModelLatencyMs: COMPARED_MODEL_LATENCY_MS,
      agentRows,
      baselineRows: compared.baselineRows,
      comparedRounds: compared.comparedRounds,
      upstream,
      throughput: {
        users: THROUGHPUT.users,
        turns: throughputPhase.result.turns.length,
        seconds: throughputPhase.result.elapsedMs / 1000,
        turnsPerSecond: throughputPhase.row.turnsPerSecond,
        agentCpuMsPerTurn: throughputPhase.row.agentCpuMsPerTurn,
        agentLoopUtilization: throughputPhase.row.agentLoopUtilization,
        driverLoopUtilization: throughputPhase.row.driverLoopUtilization,
      },
      memory: {
        users: TOTAL_USERS,
        servers: poolStats.connections / TOTAL_USERS,
        toolsPerUser,
        heapPerUserBytes: (memoryAfter.heapUsedBytes - memoryBefore.heapUsedBytes) / TOTAL_USERS,
        rssPerUserBytes: (memoryAfter.rssBytes - memoryBefore.rssBytes) / TOTAL_USERS,
        heapBeforeBytes: memoryBefore.heapUsedBytes,
        heapAfterBytes: memoryAfter.heapUsedBytes,
      },
      turnDepth: {
        contextBudgetChars: DEPTH.contextBudgetChars,
        rows: depthRows,
        baseline: baselineDepth,
        bytesWritten: bytesWritten.description,
      },
      profile,
      failures: run.failures,
      runSeconds: (performance.now() - runStarted) / 1000,
      loadAverageAtStart,
    };
    printReport(results);
    if (WRITE_DOCS) await writeReport(results, 'docs/benchmarks.md');
  } finally {
    await close();
  }
}

// No process.exit(): the run must end because everything it opened is closed.
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
