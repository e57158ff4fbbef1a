/**
 * Turn depth: does turn 50 of a conversation cost what turn 1 does? Every user keeps one conversation and
 * all users take its turns in lockstep, so the agent's CPU and the bytes SQLite writes between two
 * samples belong to one turn index. The history each turn replays is capped by the context budget the
 * agent runs with (CONTEXT_BUDGET_CHARS), which is the point: past the budget, a turn must stop growing.
 *
 * Bytes written are the database's (`BytesWritten`): SQLite's write-ahead log pages, or the WAL PostgreSQL
 * generates.
 *
 * One wave of turns is too few to tell 20% apart on a shared VM (the same wave measured twice differed by
 * 1.5×), so the comparison itself alternates: the last `rounds` turns of the conversations (the deep
 * turns) each follow a wave of first turns in new conversations, and each side is pooled over its waves,
 * which spreads the machine's drift over both. The turns in between are measured once, for the shape.
 */
import { performance } from 'node:perf_hooks';
import type { BenchUser } from './agent-load.js';
import { type TimedModel, turnTag } from './model-timing.js';
import { loadBetween, type ProcessSample } from './process-metrics.js';
import { distribution } from './stats.js';

/**
 * Turn depth as `npm run bench` measures it, on either database: 40 conversations of 50 turns; turn 1 (in
 * new conversations) and turns 45–50 measured in 6 alternating rounds (240 turns a side: one wave of 40
 * was too few to tell 20% apart, and 3 rounds still differed by 15% between runs), turns 2 and 25 once.
 */
export const DEPTH_PHASE = { users: 40, turns: 50, measured: [2, 25], rounds: 6, contextBudgetChars: 16_000 };

/** What the database writes while a wave of turns runs: `start` before it, `bytesSince` after. */
export interface BytesWritten {
  /** Below the bytes column's heading: what is counted. */
  description: string;
  start(): Promise<void>;
  bytesSince(): Promise<number>;
}

/**
 * Bytes SQLite writes, read from its write-ahead log (bench/agent-process.ts): automatic checkpoints off
 * and the log emptied before, so its size after is every page the statements since wrote.
 */
export function sqliteBytesWritten(agent: AgentCalls): BytesWritten {
  return {
    description: 'SQLite WAL pages',
    start: () => agent.call('walReset'),
    async bytesSince() {
      const bytes = await agent.call<number>('walBytes');
      // Checkpoints back on: a log left to grow over the unmeasured turns would slow every read.
      await agent.call('walRestore');
      return bytes;
    },
  };
}

/** The baseline's first turn against a turn sending the same history as a deep turn of the agent. */
export interface BaselineDepth {
  turns: number;
  first: { cpuMsPerTurn: number; modelRequestChars: number };
  replaying: { cpuMsPerTurn: number; modelRequestChars: number };
}

export interface TurnDepthRow {
  /** The turns' place in their conversations: `1`, `25`, or a range for pooled deep turns (`48–50`). */
  turn: string;
  users: number;
  /** Waves of `users` turns pooled in the row. */
  waves: number;
  agentCpuMsPerTurn: number;
  /** What the database wrote during the turn, per turn (see BytesWritten). */
  walBytesPerTurn: number;
  wallP50Ms: number;
  /** Characters the model was sent over the turn's requests (both steps), mean per turn: the history's growth. */
  modelRequestChars: number;
  /** When the waves ran, in monotonic µs (the clock of V8's `--cpu-prof` profiles): for bench/cpu-profile-costs.ts. */
  windows: Array<{ startUs: number; endUs: number; turns: number }>;
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

interface AgentCalls {
  call<T>(method: string, parameters?: unknown): Promise<T>;
}

interface Wave {
  cpuMs: number;
  walBytes: number;
  wallMs: number[];
  requestChars: number[];
  window: { startUs: number; endUs: number; turns: number };
}

async function chat(agentUrl: string, user: BenchUser, body: Record<string, unknown>) {
  const response = await fetch(`${agentUrl}/v1/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /v1/chat answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as { conversationId: string };
}

/**
 * Runs `depth` turns per user in one conversation each. The turns listed in `measured` are measured once;
 * turn 1 and the last `rounds` turns are measured alternately as described above.
 */
export async function measureTurnDepth(options: {
  agentUrl: string;
  agent: AgentCalls;
  users: BenchUser[];
  timedModel: TimedModel;
  depth: number;
  measured: number[];
  rounds: number;
  prefix: string;
  bytesWritten: BytesWritten;
}): Promise<{ rows: TurnDepthRow[]; deepConversations: string[] }> {
  const { agent, users } = options;
  let waveNumber = 0;
  /** One turn for every user: the next of `conversations` (a new conversation where it holds none). */
  const wave = async (
    conversations: Map<BenchUser, string>,
    measuring: boolean,
  ): Promise<Wave | undefined> => {
    const tag = `${options.prefix}-${waveNumber++}`;
    if (measuring) await options.bytesWritten.start();
    const before = await agent.call<ProcessSample>('sample');
    const startUs = monotonicMicros();
    const turns = await Promise.all(
      users.map(async (user, index) => {
        const id = `${tag}-${index}`;
        const started = performance.now();
        const conversationId = conversations.get(user);
        const reply = await chat(options.agentUrl, user, {
          message: `Find my Q3 plan. ${turnTag(id)}`,
          ...(conversationId ? { conversationId } : {}),
        });
        conversations.set(user, reply.conversationId);
        const wallMs = performance.now() - started;
        return { wallMs, requestChars: options.timedModel.takeTurn(id).requestChars };
      }),
    );
    const endUs = monotonicMicros();
    const after = await agent.call<ProcessSample>('sample');
    if (!measuring) return undefined;
    const walBytes = await options.bytesWritten.bytesSince();
    return {
      cpuMs: loadBetween(before, after).cpuMs,
      walBytes,
      wallMs: turns.map((turn) => turn.wallMs),
      requestChars: turns.map((turn) => turn.requestChars),
      window: { startUs, endUs, turns: users.length },
    };
  };
  const row = (turn: string, waves: Wave[]): TurnDepthRow => {
    const turns = waves.length * users.length;
    return {
      turn,
      users: users.length,
      waves: waves.length,
      agentCpuMsPerTurn: waves.reduce((sum, measured) => sum + measured.cpuMs, 0) / turns,
      walBytesPerTurn: waves.reduce((sum, measured) => sum + measured.walBytes, 0) / turns,
      wallP50Ms: distribution(waves.flatMap((measured) => measured.wallMs)).p50,
      modelRequestChars: distribution(waves.flatMap((measured) => measured.requestChars)).mean,
      windows: waves.map((measured) => measured.window),
    };
  };

  const deep = new Map<BenchUser, string>();
  const between: TurnDepthRow[] = [];
  const firstDeepTurn = options.depth - options.rounds + 1;
  for (let turn = 1; turn < firstDeepTurn; turn++) {
    const measured = await wave(deep, options.measured.includes(turn) && turn > 1);
    if (measured) between.push(row(String(turn), [measured]));
  }
  const firstTurns: Wave[] = [];
  const deepTurns: Wave[] = [];
  for (let round = 0; round < options.rounds; round++) {
    firstTurns.push((await wave(new Map(), true)) as Wave);
    deepTurns.push((await wave(deep, true)) as Wave);
  }
  const deepLabel = options.rounds > 1 ? `${firstDeepTurn}–${options.depth}` : String(options.depth);
  return {
    rows: [row('1', firstTurns), ...between, row(deepLabel, deepTurns)],
    deepConversations: [...deep.values()],
  };
}
