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
import { createWpsSandbox } from '../src/sandbox/index.js';
import {
  agentStartOptions,
  type BenchUser,
  connectWps,
  inBatches,
  openToolConnections,
  runAgentTurns,
  type TurnMeasure,
} from './agent-load.js';
import type { BaselineTurn } from './baseline-process.js';
import { startChildProcess } from './child-process-rpc.js';
import { startTimedModel } from './model-timing.js';
import { loadBetween, type ProcessSample, type ProfileSummary, sampleProcess } from './process-metrics.js';
import { type BenchResults, type LatencyRow, printReport, writeReport } from './report.js';
import { distribution } from './stats.js';
import { type BaselineDepth, measureTurnDepth } from './turn-depth.js';
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
/**
 * Turn depth: 40 conversations of 50 turns; turn 1 (in new conversations) and turns 45–50 measured in 6
 * alternating rounds (240 turns a side: one wave of 40 was too few to tell 20% apart, and 3 rounds still
 * differed by 15% between runs), turns 2 and 25 once.
 */
const DEPTH = { users: 40, turns: 50, measured: [2, 25], rounds: 6, contextBudgetChars: 16_000 };
const PROFILED = { users: 50, turnsEach: 2 };
/**
 * Issue 12's comparisons, agent against baseline at 1 and 100 concurrent users: each phase's rounds
 * (COMPARED_PHASES), agent and baseline alternating, pooled per side, with each round pair's ratio kept
 * for the report's spread. The machine's speed drifts (a shared VM: the
 * same phase measured minutes apart differed by 1.5×), and alternating spreads that drift over both.
 * At the model latency the issue states its goals at (50 ms a request), not the overhead phases' 20 ms:
 * a fixed cost is a larger share of a shorter turn, so the ratio depends on it. 1 user takes 40 turns a
 * round, so that its p99 is not simply the slowest of a handful.
 */
const COMPARED_PHASES = [
  { users: 1, turnsEach: 40, rounds: 5 },
  { users: 100, turnsEach: 5, rounds: 12 },
] as const;
const COMPARED_MODEL_LATENCY_MS = numberFromEnvironment('BENCH_COMPARED_MODEL_LATENCY_MS', 50);
/** Unmeasured turns under load before the measured phases, the same for agent and baseline. */
const WARM_TURNS = { users: 100, turnsEach: 6 };
const TOTAL_USERS = Math.max(...PHASES.map((phase) => phase.users));
const ACCOUNTS = ['alice', 'bob', 'carol'];
/** Parallel connects: each is five HTTP requests and a token exchange; more only queues. */
const CONNECT_WIDTH = 25;
const WRITE_DOCS = process.env.BENCH_WRITE_DOCS !== '0';
const PROFILE = process.env.BENCH_PROFILE !== '0';

const processStarted = performance.now();
const log = (line: string) =>
  process.stderr.write(`[bench ${((performance.now() - processStarted) / 1000).toFixed(1)} s] ${line}\n`);

async function main(): Promise<void> {
  const runStarted = performance.now();
  const loadAverageAtStart = os.loadavg();
  const sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
  const timedModel = await startTimedModel({ latencyMs: MODEL_LATENCY_MS });
  const agent = startChildProcess({ entry: 'bench/agent-process.ts' });
  const baseline = startChildProcess({ entry: 'bench/baseline-process.ts' });
  try {
    const { url: agentUrl } = await agent.call<{ url: string }>(
      'start',
      agentStartOptions(sandbox, timedModel.model.baseUrl, {
        CONTEXT_BUDGET_CHARS: String(DEPTH.contextBudgetChars),
      }),
    );

    // Memory per connected idle user: users connected to WPS with their MCP connections open.
    log(`connecting ${TOTAL_USERS} users`);
    const memoryBefore = await agent.call<{ heapUsedBytes: number; rssBytes: number }>('memory');
    const users = await agent.call<BenchUser[]>('createUsers', { count: TOTAL_USERS, prefix: 'bench-user' });
    await inBatches(users, CONNECT_WIDTH, (user, index) =>
      connectWps(agentUrl, user, ACCOUNTS[index % ACCOUNTS.length] ?? 'alice'),
    );
    let toolsPerUser = 0;
    log('opening MCP connections');
    await inBatches(users, CONNECT_WIDTH, async (user) => {
      toolsPerUser = await openToolConnections(agentUrl, user);
    });
    const memoryAfter = await agent.call<{ heapUsedBytes: number; rssBytes: number }>('memory');
    const poolStats = await agent.call<{ connections: number }>('poolStats');

    // Warm-up, excluded: one turn per user (prepared statements, first model and tool requests), then
    // WARM_TURNS more under load: the first few hundred turns still run code V8 has not optimised yet
    // (bench:turn-cpu's first round costs about 1.4× its later ones), on both sides alike.
    log('warm-up');
    for (const [turnsEach, warmUsers] of [
      [1, users],
      [WARM_TURNS.turnsEach, users.slice(0, WARM_TURNS.users)],
    ] as const) {
      const warmUp = await runAgentTurns({
        agentUrl,
        users: warmUsers,
        turnsEach,
        timedModel,
        prefix: `warm-${turnsEach}`,
        staggerMs: 0,
      });
      if (warmUp.failures.length > 0)
        throw new Error(`warm-up failed: ${warmUp.failures.slice(0, 3).join('; ')}`);
    }

    sandbox.resetCounts();
    const agentRows: LatencyRow[] = [];
    const measured: TurnMeasure[] = [];
    const failures: string[] = [];
    const measureAgent = async (
      label: string,
      phase: { users: number; turnsEach: number },
      latencyMs: number,
    ) => {
      log(`agent: ${label}`);
      timedModel.model.setLatency(latencyMs);
      const before = await sampleBoth(agent);
      const result = await runAgentTurns({
        agentUrl,
        users: users.slice(0, phase.users),
        turnsEach: phase.turnsEach,
        timedModel,
        prefix: `${label}`,
        staggerMs: 2 * latencyMs,
      });
      const after = await sampleBoth(agent);
      failures.push(...result.failures);
      const round: Round = { turns: result.turns, elapsedMs: result.elapsedMs, before, after };
      return { result, round, row: latencyRow(label, phase.users, latencyMs, [round]) };
    };
    for (const phase of PHASES) {
      const { result, row } = await measureAgent(`agent-${phase.users}`, phase, MODEL_LATENCY_MS);
      measured.push(...result.turns);
      agentRows.push(row);
    }
    const counts = sandbox.requestCounts();
    const upstream = upstreamBeyondToolCalls(counts, measured.length);

    // Turns per second with an instant model: the agent's own ceiling.
    const throughputPhase = await measureAgent(`throughput-${THROUGHPUT.users}`, THROUGHPUT, 0);

    log(`turn depth: ${DEPTH.users} conversations × ${DEPTH.turns} turns`);
    timedModel.model.setLatency(MODEL_LATENCY_MS);
    const { rows: depthRows, deepConversations } = await measureTurnDepth({
      agentUrl,
      agent,
      users: users.slice(0, DEPTH.users),
      timedModel,
      depth: DEPTH.turns,
      measured: DEPTH.measured,
      rounds: DEPTH.rounds,
      prefix: 'depth',
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
    // The reference, the same turn with one MCP client and generateText, at the same model latency,
    // offering the model what the agent offered it; its rounds alternate with the agent's.
    log('baseline: start and warm up');
    timedModel.model.setLatency(MODEL_LATENCY_MS);
    const offered = timedModel.offered();
    if (!offered) throw new Error('the agent never offered the model a system prompt and tools');
    await baseline.call('start', {
      modelBaseUrl: timedModel.model.baseUrl,
      mcpServerUrl: `${sandbox.mcpBaseUrl}/kso-yundoc/message`,
      accessToken: sandbox.issueTokens('alice').access_token,
      offered,
    });
    await baseline.call('run', {
      concurrency: WARM_TURNS.users,
      turnsEach: WARM_TURNS.turnsEach,
      prefix: 'baseline-warm',
    });
    const measureBaseline = async (
      label: string,
      phase: { users: number; turnsEach: number },
      latencyMs: number,
    ) => {
      log(label);
      timedModel.model.setLatency(latencyMs);
      const before = await sampleBoth(baseline);
      const started = performance.now();
      const turns = await baseline.call<BaselineTurn[]>('run', {
        concurrency: phase.users,
        turnsEach: phase.turnsEach,
        prefix: label,
      });
      const elapsedMs = performance.now() - started;
      const after = await sampleBoth(baseline);
      const measures = turns.map((turn): TurnMeasure => {
        const model = timedModel.takeTurn(turn.id);
        return {
          wallMs: turn.wallMs,
          modelMs: model.modelMs,
          modelRequests: model.requests,
          toolMs: turn.toolMs,
          toolCalls: turn.toolCalls,
          overheadMs: turn.wallMs - model.modelMs - turn.toolMs,
          modelRequestChars: model.requestChars,
        };
      });
      return { turns: measures, elapsedMs, before, after } satisfies Round;
    };
    log('baseline: turn depth');
    const baselineDepth = await measureBaselineDepth(baseline, timedModel, replayed);
    const comparedAgentRows: LatencyRow[] = [];
    const baselineRows: LatencyRow[] = [];
    const comparedRounds: BenchResults['comparedRounds'] = [];
    for (const phase of COMPARED_PHASES) {
      const agentRounds: Round[] = [];
      const baselineRounds: Round[] = [];
      for (let round = 0; round < phase.rounds; round++) {
        agentRounds.push(
          (await measureAgent(`agent-${phase.users}-${round}`, phase, COMPARED_MODEL_LATENCY_MS)).round,
        );
        baselineRounds.push(
          await measureBaseline(`baseline-${phase.users}-${round}`, phase, COMPARED_MODEL_LATENCY_MS),
        );
      }
      comparedRounds.push({
        users: phase.users,
        cpuRatios: agentRounds.map((round, index) => ratioOfRounds(round, baselineRounds[index], cpuPerTurn)),
        p50Ratios: agentRounds.map((round, index) => ratioOfRounds(round, baselineRounds[index], wallP50)),
      });
      comparedAgentRows.push(
        latencyRow(`agent-${phase.users}`, phase.users, COMPARED_MODEL_LATENCY_MS, agentRounds),
      );
      baselineRows.push(
        latencyRow(`baseline-${phase.users}`, phase.users, COMPARED_MODEL_LATENCY_MS, baselineRounds),
      );
    }
    agentRows.unshift(...comparedAgentRows);
    await agent.stop();
    await baseline.stop();

    const results: BenchResults = {
      date: new Date().toISOString(),
      modelLatencyMs: MODEL_LATENCY_MS,
      comparedModelLatencyMs: COMPARED_MODEL_LATENCY_MS,
      agentRows,
      baselineRows,
      comparedRounds,
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
      turnDepth: { contextBudgetChars: DEPTH.contextBudgetChars, rows: depthRows, baseline: baselineDepth },
      profile,
      failures,
      runSeconds: (performance.now() - runStarted) / 1000,
      loadAverageAtStart,
    };
    printReport(results);
    if (WRITE_DOCS) await writeReport(results, 'docs/benchmarks.md');
  } finally {
    await agent.stop().catch(() => undefined);
    await baseline.stop().catch(() => undefined);
    await timedModel.close();
    await sandbox.close();
  }
}

/**
 * The baseline's own turn depth: its first turn against the same turn sending `history` (what the agent's
 * deep turns replay), in alternating rounds of DEPTH.users concurrent turns, as the agent's are measured.
 * What a turn costs more for carrying the history to the model, with no history store of any kind.
 */
async function measureBaselineDepth(
  baseline: { call<T>(method: string, parameters?: unknown): Promise<T> },
  timedModel: Awaited<ReturnType<typeof startTimedModel>>,
  history: unknown[],
): Promise<BaselineDepth> {
  const sides = {
    first: { cpuMs: 0, chars: [] as number[] },
    replaying: { cpuMs: 0, chars: [] as number[] },
  };
  for (let round = 0; round < DEPTH.rounds; round++) {
    for (const side of ['first', 'replaying'] as const) {
      const before = await baseline.call<ProcessSample>('sample');
      const turns = await baseline.call<BaselineTurn[]>('run', {
        concurrency: DEPTH.users,
        turnsEach: 1,
        prefix: `baseline-depth-${side}-${round}`,
        ...(side === 'replaying' ? { history } : {}),
      });
      const after = await baseline.call<ProcessSample>('sample');
      sides[side].cpuMs += loadBetween(before, after).cpuMs;
      for (const turn of turns) sides[side].chars.push(timedModel.takeTurn(turn.id).requestChars);
    }
  }
  const turns = DEPTH.rounds * DEPTH.users;
  const summary = (side: { cpuMs: number; chars: number[] }) => ({
    cpuMsPerTurn: side.cpuMs / turns,
    modelRequestChars: distribution(side.chars).mean,
  });
  return { turns, first: summary(sides.first), replaying: summary(sides.replaying) };
}

/** Samples both processes, so a saturated load generator would show instead of being blamed on the agent. */
async function sampleBoth(child: {
  call<T>(method: string): Promise<T>;
}): Promise<{ child: ProcessSample; driver: ProcessSample }> {
  return { child: await child.call<ProcessSample>('sample'), driver: sampleProcess() };
}

/** One phase's turns with the two processes' samples around them. */
interface Round {
  turns: TurnMeasure[];
  elapsedMs: number;
  before: { child: ProcessSample; driver: ProcessSample };
  after: { child: ProcessSample; driver: ProcessSample };
}

const cpuPerTurn = (round: Round) =>
  loadBetween(round.before.child, round.after.child).cpuMs / Math.max(1, round.turns.length);
const wallP50 = (round: Round) => distribution(round.turns.map((turn) => turn.wallMs)).p50;
const ratioOfRounds = (agent: Round, baseline: Round | undefined, pick: (round: Round) => number) =>
  baseline ? pick(agent) / pick(baseline) : Number.NaN;

/** A phase's row, its rounds pooled: every turn in the distributions, CPU and time summed. */
function latencyRow(label: string, users: number, latencyMs: number, rounds: Round[]): LatencyRow {
  const turns = rounds.flatMap((round) => round.turns);
  const elapsedMs = rounds.reduce((sum, round) => sum + round.elapsedMs, 0);
  const loads = rounds.map((round) => ({
    child: loadBetween(round.before.child, round.after.child),
    driver: loadBetween(round.before.driver, round.after.driver),
    elapsedMs: round.elapsedMs,
  }));
  const weighted = (pick: (load: (typeof loads)[number]) => number) =>
    loads.reduce((sum, load) => sum + pick(load) * load.elapsedMs, 0) / Math.max(1e-9, elapsedMs);
  return {
    label,
    users,
    latencyMs,
    turns: turns.length,
    overhead: distribution(turns.map((turn) => turn.overheadMs)),
    wall: distribution(turns.map((turn) => turn.wallMs)),
    model: distribution(turns.map((turn) => turn.modelMs)),
    tool: distribution(turns.map((turn) => turn.toolMs)),
    modelRequestsPerTurn:
      turns.reduce((sum, turn) => sum + turn.modelRequests, 0) / Math.max(1, turns.length),
    modelRequestChars:
      turns.reduce((sum, turn) => sum + turn.modelRequestChars, 0) / Math.max(1, turns.length),
    turnsPerSecond: turns.length / (elapsedMs / 1000),
    agentCpuMsPerTurn: loads.reduce((sum, load) => sum + load.child.cpuMs, 0) / Math.max(1, turns.length),
    agentLoopUtilization: weighted((load) => load.child.loopUtilization),
    driverLoopUtilization: weighted((load) => load.driver.loopUtilization),
  };
}

// No process.exit(): the run must end because everything it opened is closed.
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
