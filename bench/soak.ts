/**
 * Soak: is the heap after GC flat over thousands of chat turns? (issue 9, "Memory and leaks")
 *
 * One agent, sandbox and scripted model in this process; N turns through the real HTTP API, JSON and
 * streaming, with the heap measured after a full GC at checkpoints. Code space is reported apart: V8 keeps
 * compiling hot functions for a while (measured: a heap-snapshot diff over 3,000 turns grew only JIT code
 * and its deopt data), which is bounded warm-up, not a leak. The verdict compares the first checkpoint
 * after warm-up with the last one.
 *
 * Run: `npm run bench` (after the load benchmark) or `node --expose-gc --import tsx bench/soak.ts [turns]`.
 * Writes the "Soak" block of docs/benchmarks.md (between its markers) and prints it.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { postChatStream, startChatHarness } from '../test/support/chat-harness.js';
import { inBatches } from './agent-load.js';
import { writePageBlock } from './page-block.js';

const TURNS = Number(process.argv[2] ?? process.env.BENCH_SOAK_TURNS ?? 5000);
const CHECKPOINTS = 5;
const WARMUP_TURNS = 500;
/** Concurrent turns: a few, like several tabs; the per-user in-flight cap is raised to allow them. */
const PARALLEL = 8;
/** The issue's target: heap after GC within 5% from the first checkpoint to the last. */
const FLAT_WITHIN = 0.05;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');

interface HeapPoint {
  turns: number;
  heapMiB: number;
  codeMiB: number;
}

const heapAfterGc = (turns: number): HeapPoint => {
  for (let round = 0; round < 3; round++) gc();
  const heapUsed = process.memoryUsage().heapUsed;
  const code =
    getHeapSpaceStatistics().find((space) => space.space_name === 'code_space')?.space_used_size ?? 0;
  const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(2);
  return { turns, heapMiB: mib(heapUsed - code), codeMiB: mib(code) };
};

async function soak(mode: 'json' | 'stream', turns: number) {
  const harness = await startChatHarness({
    env: { LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', AGENT_MAX_TURNS_IN_FLIGHT: String(PARALLEL) },
  });
  harness.model.setFallback({ text: 'ok' });
  const turn = async () => {
    if (mode === 'stream') {
      const response = await postChatStream(harness, { message: 'hello' });
      if (!(await response.text()).includes('"type":"finish"')) throw new Error('stream did not finish');
      return;
    }
    const answer = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'hello' });
    if (answer.status !== 200) throw new Error(`turn answered ${answer.status}`);
  };
  // The scripted model records every request: the fixture's memory, not the agent's.
  const forgetFixture = () => {
    harness.model.requests.length = 0;
  };
  await inBatches(Array.from({ length: WARMUP_TURNS }), PARALLEL, turn);
  forgetFixture();
  const points: HeapPoint[] = [heapAfterGc(0)];
  const slice = Math.ceil(turns / CHECKPOINTS);
  for (let done = 0; done < turns; done += slice) {
    await inBatches(Array.from({ length: Math.min(slice, turns - done) }), PARALLEL, turn);
    forgetFixture();
    points.push(heapAfterGc(Math.min(done + slice, turns)));
  }
  await harness.close();
  const first = points[0] as HeapPoint;
  const last = points[points.length - 1] as HeapPoint;
  const growth = (last.heapMiB - first.heapMiB) / first.heapMiB;
  return { mode, turns, points, growth, flat: growth <= FLAT_WITHIN };
}

const results = [await soak('json', TURNS), await soak('stream', Math.round(TURNS / 2))];
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const block = await writePageBlock('soak', [
  '### Soak: heap after GC over many turns (bench/soak.ts)',
  '',
  `Agent, sandbox and scripted model in one process, ${PARALLEL} turns at a time, ${WARMUP_TURNS} warm-up turns first; heap after a full GC, JIT code space apart (bounded warm-up, not a leak). Target: the heap within ${percent(FLAT_WITHIN)} from the first checkpoint to the last.`,
  '',
  '| mode | turns | heap MiB at each checkpoint (turns) | code MiB first → last | growth | flat |',
  '|---|--:|---|---|--:|---|',
  ...results.map(
    (result) =>
      `| ${result.mode} | ${result.turns} | ${result.points.map((point) => `${point.heapMiB} (${point.turns})`).join(', ')} | ${result.points[0]?.codeMiB} → ${result.points.at(-1)?.codeMiB} | ${percent(result.growth)} | ${result.flat ? 'yes' : '**no**'} |`,
  ),
]);
process.stdout.write(`${block}\n`);
