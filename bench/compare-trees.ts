/**
 * `npm run bench:compare`: one change measured against the code before it. Two checkouts' agents run side
 * by side in one driver, on the same sandbox and scripted model, each holding the same connected users,
 * in alternating rounds (A, B, then B, A, ...), so the VM's drift falls on both alike; single full runs
 * of `npm run bench` moved the same figure by 10–20% from one run to the next.
 *
 *   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   BENCH_TREES=/tmp/before,. npm run bench:compare
 *
 * BENCH_TREES: the two checkouts (each needs its own bench/agent-process.ts); BENCH_USERS (200): users each
 * agent connects, as `npm run bench` does; BENCH_ROUNDS (10): rounds of a 100-user phase (5 turns each)
 * and a 1-user phase (20 turns), both at 50 ms a model request (issue 12's compared phases).
 */
import path from 'node:path';
import { createWpsSandbox } from '../src/sandbox/index.js';
import { agentStartOptions, type BenchUser, connectUsers } from './agent-load.js';
import { startChildProcess } from './child-process-rpc.js';
import { createPhaseRunners, latencyRow, type Round, warmUpAgent } from './compared-phases.js';
import { positiveIntegerFromEnvironment } from './environment.js';
import { startTimedModel } from './model-timing.js';
import { DEPTH_PHASE } from './turn-depth.js';

const TREES = (process.env.BENCH_TREES ?? '').split(',').filter(Boolean);
if (TREES.length !== 2) throw new Error('BENCH_TREES must name two checkouts: before,after');
const USERS = positiveIntegerFromEnvironment('BENCH_USERS', 200);
const ROUNDS = positiveIntegerFromEnvironment('BENCH_ROUNDS', 10);
const LATENCY_MS = 50;
const PHASES = [
  { name: '100 users', users: 100, turnsEach: 5 },
  { name: '1 user', users: 1, turnsEach: 20 },
] as const;

const log = (line: string) => process.stderr.write(`[bench:compare] ${line}\n`);

async function main(): Promise<void> {
  const sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
  const timedModel = await startTimedModel({ latencyMs: LATENCY_MS });
  const agents: Array<ReturnType<typeof startChildProcess>> = [];
  const sides: Array<{
    tree: string;
    run: ReturnType<typeof createPhaseRunners>;
    rounds: Round[][];
    heapMiB: number;
  }> = [];
  try {
    for (const [index, tree] of TREES.entries()) {
      const agent = startChildProcess({ entry: path.resolve(tree, 'bench/agent-process.ts') });
      agents.push(agent);
      const { url } = await agent.call<{ url: string }>(
        'start',
        agentStartOptions(sandbox, timedModel.model.baseUrl, {
          CONTEXT_BUDGET_CHARS: String(DEPTH_PHASE.contextBudgetChars),
        }),
      );
      log(`${tree}: connecting ${USERS} users`);
      const users = await agent.call<BenchUser[]>('createUsers', { count: USERS, prefix: `tree${index}` });
      await connectUsers(url, users);
      const memory = await agent.call<{ heapUsedBytes: number }>('memory');
      await warmUpAgent({ agentUrl: url, users, timedModel, prefix: `warm${index}` });
      sides.push({
        tree,
        run: createPhaseRunners({ agent, agentUrl: url, users, baseline: agent, timedModel, log }),
        rounds: PHASES.map(() => []),
        heapMiB: memory.heapUsedBytes / 2 ** 20,
      });
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const [phaseIndex, phase] of PHASES.entries())
        for (const side of order) {
          const { round: measured } = await side.run.agent(
            `${side.tree} ${phase.name} #${round}`,
            phase,
            LATENCY_MS,
          );
          side.rounds[phaseIndex]?.push(measured);
        }
    }
    const failures = sides.flatMap((side) => side.run.failures);
    if (failures.length > 0) throw new Error(`turns failed: ${failures.slice(0, 3).join('; ')}`);
    report(sides);
  } finally {
    for (const agent of agents) await agent.stop().catch(() => undefined);
    await timedModel.close();
    await sandbox.close();
  }
}

function report(sides: Array<{ tree: string; rounds: Round[][]; heapMiB: number }>): void {
  console.log(
    `\n${ROUNDS} alternating rounds, ${USERS} users connected to each agent, ${LATENCY_MS} ms a model request\n`,
  );
  console.log(
    '| checkout | phase | agent CPU ms/turn | turn p50 ms | turn p99 ms | turns/s | heap after connecting |',
  );
  console.log('|---|---|--:|--:|--:|--:|--:|');
  for (const side of sides)
    for (const [phaseIndex, phase] of PHASES.entries()) {
      const row = latencyRow(phase.name, phase.users, LATENCY_MS, side.rounds[phaseIndex] ?? []);
      console.log(
        `| ${side.tree} | ${phase.name} | ${row.agentCpuMsPerTurn.toFixed(2)} | ${row.wall.p50.toFixed(1)} | ${row.wall.p99.toFixed(1)} | ${row.turnsPerSecond.toFixed(0)} | ${side.heapMiB.toFixed(1)} MiB |`,
      );
    }
  const [before, after] = sides;
  if (!before || !after) return;
  for (const [phaseIndex, phase] of PHASES.entries()) {
    const cpu = (rounds: Round[] | undefined, round: number) =>
      latencyRow('', phase.users, LATENCY_MS, rounds?.slice(round, round + 1) ?? []).agentCpuMsPerTurn;
    const ratios = Array.from(
      { length: ROUNDS },
      (_, round) => cpu(after.rounds[phaseIndex], round) / cpu(before.rounds[phaseIndex], round),
    );
    const lower = ratios.filter((ratio) => ratio < 1).length;
    console.log(
      `\n${phase.name}: CPU after ÷ before per round pair: ${ratios.map((ratio) => ratio.toFixed(2)).join(' ')} (${lower} of ${ROUNDS} lower)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
