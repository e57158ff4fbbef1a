/**
 * Turn depth: does turn 50 of a conversation cost what turn 1 does? Every user keeps one conversation and
 * all users take its turns in lockstep, so the agent's CPU and the bytes SQLite writes between two
 * samples belong to one turn index. The history each turn replays is capped by the context budget the
 * agent runs with (CONTEXT_BUDGET_CHARS), which is the point: past the budget, a turn must stop growing.
 */
import { performance } from 'node:perf_hooks';
import type { BenchUser } from './agent-load.js';
import { type TimedModel, turnTag } from './model-timing.js';
import { loadBetween, type ProcessSample } from './process-metrics.js';
import { distribution } from './stats.js';

export interface TurnDepthRow {
  /** 1-based place of the turn in its conversation. */
  turn: number;
  users: number;
  agentCpuMsPerTurn: number;
  /** Pages SQLite appended to its write-ahead log during the turn, per turn (frame headers included). */
  walBytesPerTurn: number;
  wallP50Ms: number;
  /** Characters the model was sent over the turn's requests (both steps), mean per turn: the history's growth. */
  modelRequestChars: number;
  /** When the turn ran, in monotonic µs (the clock of V8's `--cpu-prof` profiles): for bench/cpu-profile-costs.ts. */
  window: { startUs: number; endUs: number; turns: number };
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

interface AgentCalls {
  call<T>(method: string, parameters?: unknown): Promise<T>;
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

/** Runs `depth` turns per user in one conversation each; measures the turns listed in `measured`. */
export async function measureTurnDepth(options: {
  agentUrl: string;
  agent: AgentCalls;
  users: BenchUser[];
  timedModel: TimedModel;
  depth: number;
  measured: number[];
  prefix: string;
}): Promise<TurnDepthRow[]> {
  const conversations = new Map<BenchUser, string>();
  const rows: TurnDepthRow[] = [];
  for (let turn = 1; turn <= options.depth; turn++) {
    const measuring = options.measured.includes(turn);
    if (measuring) await options.agent.call('walReset');
    const before = await options.agent.call<ProcessSample>('sample');
    const startUs = monotonicMicros();
    const turns = await Promise.all(
      options.users.map(async (user, index) => {
        const id = `${options.prefix}-${index}-${turn}`;
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
    const after = await options.agent.call<ProcessSample>('sample');
    if (!measuring) continue;
    const walBytes = await options.agent.call<number>('walBytes');
    // Checkpoints back on: a log left to grow over the unmeasured turns would slow every read.
    await options.agent.call('walRestore');
    rows.push({
      turn,
      users: options.users.length,
      agentCpuMsPerTurn: loadBetween(before, after).cpuMs / options.users.length,
      walBytesPerTurn: walBytes / options.users.length,
      wallP50Ms: distribution(turns.map((measured) => measured.wallMs)).p50,
      modelRequestChars: distribution(turns.map((measured) => measured.requestChars)).mean,
      window: { startUs, endUs, turns: options.users.length },
    });
  }
  return rows;
}
