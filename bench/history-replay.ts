/**
 * `npm run bench:history`: what carrying a conversation's history costs a turn, measured where the turn
 * depth table is too noisy to tell (one wave's CPU moves by ±40% on this VM, the difference between two
 * codes is a tenth of a turn). One user, turns one after another (no concurrency), the model answering at
 * once: the agent's CPU per turn, for turns in one long conversation (its history at the context budget)
 * and for first turns in new ones, under two codes that alternate in blocks within one agent process:
 *
 *   - before: the history joins each step's messages in `prepareStep`, so the AI SDK converts all of it
 *     for every model request, and the previous turn's messages are read back whole and checked;
 *   - after: the history is converted once per turn (history-prompt.ts) and the turn's own messages are
 *     seeded into the history cache as stored (history-seeds.ts).
 *
 * BENCH_ROUNDS (8) blocks of BENCH_BLOCK (25) turns per code and kind; BENCH_CONTEXT_BUDGET_CHARS (16000).
 * Prints a JSON line and a sentence per code: first and deep turns' CPU, and the deep turn's extra. With
 * BENCH_AGENT_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=x`) the agent is profiled; the JSON lines hold each
 * block's window (monotonic µs, the clock of V8's profiles) to compare deep and first turns' profiles.
 */
import { createWpsSandbox } from '../src/sandbox/index.js';
import { agentStartOptions, type BenchUser, connectWps, openToolConnections } from './agent-load.js';
import { startChildProcess } from './child-process-rpc.js';
import { positiveNumberFromEnvironment } from './environment.js';
import { startTimedModel, turnTag } from './model-timing.js';
import { loadBetween, type ProcessSample } from './process-metrics.js';
import { formatNumber } from './stats.js';

const fromEnvironment = positiveNumberFromEnvironment;
const ROUNDS = fromEnvironment('BENCH_ROUNDS', 8);
const BLOCK = fromEnvironment('BENCH_BLOCK', 25);
const BUDGET = fromEnvironment('BENCH_CONTEXT_BUDGET_CHARS', 16_000);
/** Turns that fill the long conversation's history past the budget (a bench turn replays ≈ 900 chars). */
const FILL_TURNS = Math.ceil(BUDGET / 800) + 5;

const CODES = {
  before: { convertOnce: false, seed: false },
  after: { convertOnce: true, seed: true },
} as const;
type Code = keyof typeof CODES;

async function main(): Promise<void> {
  const sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
  const timedModel = await startTimedModel({ latencyMs: 0 });
  const agent = startChildProcess({
    entry: 'bench/agent-process.ts',
    nodeFlags: (process.env.BENCH_AGENT_FLAGS ?? '').split(' ').filter(Boolean),
  });
  try {
    const { url } = await agent.call<{ url: string }>(
      'start',
      agentStartOptions(sandbox, timedModel.model.baseUrl, { CONTEXT_BUDGET_CHARS: String(BUDGET) }),
    );
    const [user] = await agent.call<BenchUser[]>('createUsers', { count: 1, prefix: 'history-user' });
    if (!user) throw new Error('no user');
    await connectWps(url, user, 'alice');
    await openToolConnections(url, user);
    let turnNumber = 0;
    const chat = async (conversationId?: string) => {
      const id = `history-${turnNumber++}`;
      const response = await fetch(`${url}/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: `Find my Q3 plan. ${turnTag(id)}`, conversationId }),
      });
      const reply = (await response.json()) as { conversationId: string; status: string };
      if (!response.ok || reply.status !== 'complete')
        throw new Error(`turn ${id}: ${JSON.stringify(reply)}`);
      return { conversationId: reply.conversationId, requestChars: timedModel.takeTurn(id).requestChars };
    };
    const long = (await chat()).conversationId;
    for (let turn = 1; turn < FILL_TURNS; turn++) await chat(long);

    const totals = new Map<
      string,
      { cpuMs: number; turns: number; requestChars: number; windows: Array<Record<string, number>> }
    >();
    const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
    const block = async (code: Code, kind: 'deep' | 'first') => {
      await agent.call('historyReplay', CODES[code]);
      // One turn unmeasured: a deep turn's history then comes as this code leaves it (seeded or not).
      await chat(kind === 'deep' ? long : undefined);
      const before = await agent.call<ProcessSample>('sample');
      const startUs = monotonicMicros();
      let requestChars = 0;
      for (let turn = 0; turn < BLOCK; turn++)
        requestChars += (await chat(kind === 'deep' ? long : undefined)).requestChars;
      const endUs = monotonicMicros();
      const after = await agent.call<ProcessSample>('sample');
      const key = `${code} ${kind}`;
      const total = totals.get(key) ?? { cpuMs: 0, turns: 0, requestChars: 0, windows: [] };
      total.windows.push({ startUs, endUs, turns: BLOCK });
      total.cpuMs += loadBetween(before, after).cpuMs;
      total.turns += BLOCK;
      total.requestChars += requestChars;
      totals.set(key, total);
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating, and each code first in turn: the machine's speed drifts over minutes.
      const order: Code[] = round % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
      for (const code of order) {
        await block(code, 'deep');
        await block(code, 'first');
      }
    }
    const perTurn = (key: string) => {
      const total = totals.get(key);
      if (!total) throw new Error(`nothing measured for ${key}`);
      return {
        cpuMs: total.cpuMs / total.turns,
        requestChars: total.requestChars / total.turns,
        windows: total.windows,
      };
    };
    for (const code of Object.keys(CODES) as Code[]) {
      const deep = perTurn(`${code} deep`);
      const first = perTurn(`${code} first`);
      console.log(
        JSON.stringify({
          code,
          turns: ROUNDS * BLOCK,
          budgetChars: BUDGET,
          extraMs: deep.cpuMs - first.cpuMs,
          first,
          deep,
        }),
      );
      console.log(
        `${code}: first turn ${formatNumber(first.cpuMs, 3)} ms, deep turn ${formatNumber(deep.cpuMs, 3)} ms ` +
          `(${formatNumber(deep.cpuMs / first.cpuMs, 2)}×, +${formatNumber((deep.cpuMs - first.cpuMs) * 1000, 0)} µs; model sent ${formatNumber(first.requestChars, 0)} → ${formatNumber(deep.requestChars, 0)} chars)`,
      );
    }
    await agent.stop();
  } finally {
    await agent.stop().catch(() => undefined);
    await timedModel.close();
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
