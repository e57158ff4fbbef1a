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
 * BENCH_ROUNDS (8) blocks of BENCH_BLOCK (25) turns per code and kind, at the turn depth table's budget
 * (16,000 chars) and the default one (120,000), or only at BENCH_CONTEXT_BUDGET_CHARS. Part of `npm run
 * bench`: writes the "History" block of docs/benchmarks.md (not with BENCH_WRITE_DOCS=0, nor for a budget
 * of one's own). Prints a JSON line and a sentence per budget and code. With
 * BENCH_AGENT_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=x`) the agent is profiled; the JSON lines hold each
 * block's window (monotonic µs, the clock of V8's profiles) to compare deep and first turns' profiles.
 */
import { createWpsSandbox } from '../src/sandbox/index.js';
import { agentStartOptions, type BenchUser, connectWps, openToolConnections } from './agent-load.js';
import { startChildProcess } from './child-process-rpc.js';
import { positiveNumberFromEnvironment } from './environment.js';
import { startTimedModel, turnTag } from './model-timing.js';
import { writePageBlock } from './page-block.js';
import { loadBetween, type ProcessSample } from './process-metrics.js';
import { formatNumber } from './stats.js';

const fromEnvironment = positiveNumberFromEnvironment;
const ROUNDS = fromEnvironment('BENCH_ROUNDS', 8);
const BLOCK = fromEnvironment('BENCH_BLOCK', 25);
/** The turn depth table's budget and the default one (config.schema.ts), unless one is given. */
const BUDGETS = process.env.BENCH_CONTEXT_BUDGET_CHARS
  ? [fromEnvironment('BENCH_CONTEXT_BUDGET_CHARS', 16_000)]
  : [16_000, 120_000];
const WRITE_DOCS = process.env.BENCH_WRITE_DOCS !== '0' && !process.env.BENCH_CONTEXT_BUDGET_CHARS;
/** Turns that fill the long conversation's history past the budget (a bench turn replays ≈ 900 chars). */
const fillTurns = (budget: number) => Math.ceil(budget / 800) + 5;

const CODES = {
  before: { convertOnce: false, seed: false },
  after: { convertOnce: true, seed: true },
} as const;
type Code = keyof typeof CODES;

interface Measured {
  budgetChars: number;
  code: Code;
  first: { cpuMs: number; requestChars: number };
  deep: { cpuMs: number; requestChars: number };
}

async function main(): Promise<void> {
  const measured: Measured[] = [];
  for (const budget of BUDGETS) measured.push(...(await measureAtBudget(budget)));
  if (!WRITE_DOCS) return;
  const ms = (value: number) => formatNumber(value, 2);
  const block = await writePageBlock('history', [
    '### History: what carrying a conversation costs a turn (bench/history-replay.ts)',
    '',
    `One user, turns one after another, the model answering at once; agent CPU per turn for first turns and for turns in one conversation whose history fills the context budget, ${ROUNDS} rounds of ${BLOCK}-turn blocks per kind, the two codes alternating in one agent process. Before: the history joins each step's messages (the AI SDK converts all of it per request) and the previous turn is read back whole and checked; after: converted once per turn, a turn's own messages kept as stored. Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    '| budget chars | code | first turn ms | deep turn ms | deep ÷ first | deep − first ms | model chars, first → deep |',
    '|--:|---|--:|--:|--:|--:|---|',
    ...measured.map(
      (row) =>
        `| ${row.budgetChars} | ${row.code} | ${ms(row.first.cpuMs)} | ${ms(row.deep.cpuMs)} | ${formatNumber(row.deep.cpuMs / row.first.cpuMs, 2)}× | ${ms(row.deep.cpuMs - row.first.cpuMs)} | ${formatNumber(row.first.requestChars, 0)} → ${formatNumber(row.deep.requestChars, 0)} |`,
    ),
  ]);
  console.log(block);
}

async function measureAtBudget(budget: number): Promise<Measured[]> {
  const results: Measured[] = [];
  const sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
  const timedModel = await startTimedModel({ latencyMs: 0 });
  const agent = startChildProcess({
    entry: 'bench/agent-process.ts',
    nodeFlags: (process.env.BENCH_AGENT_FLAGS ?? '').split(' ').filter(Boolean),
  });
  try {
    const { url } = await agent.call<{ url: string }>(
      'start',
      agentStartOptions(sandbox, timedModel.model.baseUrl, { CONTEXT_BUDGET_CHARS: String(budget) }),
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
    for (let turn = 1; turn < fillTurns(budget); turn++) await chat(long);

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
          budgetChars: budget,
          extraMs: deep.cpuMs - first.cpuMs,
          first,
          deep,
        }),
      );
      results.push({ budgetChars: budget, code, first, deep });
      console.log(
        `${budget} chars, ${code}: first turn ${formatNumber(first.cpuMs, 3)} ms, deep turn ${formatNumber(deep.cpuMs, 3)} ms ` +
          `(${formatNumber(deep.cpuMs / first.cpuMs, 2)}×, +${formatNumber((deep.cpuMs - first.cpuMs) * 1000, 0)} µs; model sent ${formatNumber(first.requestChars, 0)} → ${formatNumber(deep.requestChars, 0)} chars)`,
      );
    }
    await agent.stop();
  } finally {
    await agent.stop().catch(() => undefined);
    await timedModel.close();
    await sandbox.close();
  }
  return results;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
