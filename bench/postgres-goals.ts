/**
 * `npm run bench:postgres` (part of `npm run bench`): issue 12's goals measured with the agent on
 * PostgreSQL, as bench/run.ts measures them on SQLite: the agent against the baseline at 1 and 100 users
 * in alternating rounds, and turn depth (turn 1 against turns 45–50, bytes written being the WAL
 * PostgreSQL generates, bench/postgres-wal.ts). Writes the "postgres" block of docs/benchmarks.md.
 *
 * PostgreSQL is a throwaway cluster (test/support/postgres.ts: `TEST_DATABASE_URL`, or Debian's
 * binaries); without one the block says so. Agent CPU is the agent process's own: PostgreSQL's server
 * processes share the 2 cores and are not counted in it (nor are they in the baseline, which has no
 * database). BENCH_WRITE_DOCS=0 leaves the page alone.
 */
import { performance } from 'node:perf_hooks';
import { hasPostgres, startTestDatabase } from '../test/support/postgres.js';
import { type BenchUser, connectUsers } from './agent-load.js';
import {
  COMPARED_PHASES,
  createPhaseRunners,
  measureBaselineDepth,
  measureComparedPhases,
  startBaseline,
  startRunProcesses,
  WARM_TURNS,
  warmUpAgent,
} from './compared-phases.js';
import { writePageBlock } from './page-block.js';
import { postgresBytesWritten } from './postgres-wal.js';
import { costGoals, type GoalFigures, latencyTable, turnDepthTable } from './report.js';
import { DEPTH_PHASE, measureTurnDepth } from './turn-depth.js';

/** The overhead phases' latency (bench/run.ts), for the depth waves; the compared phases run at the issue's. */
const MODEL_LATENCY_MS = 20;
const COMPARED_MODEL_LATENCY_MS = 50;
const USERS = Math.max(WARM_TURNS.users, ...COMPARED_PHASES.map((phase) => phase.users), DEPTH_PHASE.users);
const WRITE_DOCS = process.env.BENCH_WRITE_DOCS !== '0';
const HEADING =
  '### Issue 12 on PostgreSQL: the agent against the baseline, and turn depth (bench/postgres-goals.ts)';

const started = performance.now();
const log = (line: string) =>
  process.stderr.write(`[bench:postgres ${((performance.now() - started) / 1000).toFixed(1)} s] ${line}\n`);

async function main(): Promise<void> {
  if (!hasPostgres) {
    const lines = [HEADING, '', 'Skipped: no PostgreSQL here (no TEST_DATABASE_URL and no initdb/pg_ctl).'];
    if (WRITE_DOCS) await writePageBlock('postgres', lines);
    console.log(lines.join('\n'));
    return;
  }
  const figures = await measure();
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const lines = [
    HEADING,
    '',
    `The same phases as the SQLite figures at the top of this page, with the agent on a throwaway PostgreSQL cluster on the same machine (its server processes share the 2 cores; their CPU is in neither side's figures). Compared rows at ${COMPARED_MODEL_LATENCY_MS} ms a model request, depth waves at ${MODEL_LATENCY_MS} ms. Run ${date} UTC.`,
    '',
    ...latencyTable([...figures.agentRows, ...figures.baselineRows]),
    '',
    ...costGoals(figures, '#### Goals on PostgreSQL'),
    '',
    ...turnDepthTable(figures.turnDepth).map((line) => (line.startsWith('### ') ? `#${line}` : line)),
  ];
  if (WRITE_DOCS) await writePageBlock('postgres', lines);
  console.log(lines.join('\n'));
}

async function measure(): Promise<GoalFigures> {
  const postgres = await startTestDatabase();
  const { sandbox, timedModel, agent, baseline, agentUrl, close } = await startRunProcesses({
    modelLatencyMs: MODEL_LATENCY_MS,
    env: { DATABASE_URL: postgres.url, CONTEXT_BUDGET_CHARS: String(DEPTH_PHASE.contextBudgetChars) },
  }).catch(async (error: unknown) => {
    await postgres.stop();
    throw error;
  });
  try {
    log(`connecting ${USERS} users`);
    const users = await agent.call<BenchUser[]>('createUsers', { count: USERS, prefix: 'pg-user' });
    await connectUsers(agentUrl, users);
    log('warm-up');
    await warmUpAgent({ agentUrl, users, timedModel, prefix: 'pg-warm' });

    log(`turn depth: ${DEPTH_PHASE.users} conversations × ${DEPTH_PHASE.turns} turns`);
    const bytesWritten = await postgresBytesWritten(postgres.url);
    const depth = await measureTurnDepth({
      agentUrl,
      agent,
      users: users.slice(0, DEPTH_PHASE.users),
      timedModel,
      depth: DEPTH_PHASE.turns,
      measured: DEPTH_PHASE.measured,
      rounds: DEPTH_PHASE.rounds,
      prefix: 'pg-depth',
      bytesWritten,
    }).finally(() => bytesWritten.close());
    const deepConversation = depth.deepConversations[0];
    const replayed = deepConversation
      ? await agent.call<unknown[]>('replayedHistory', { conversationId: deepConversation })
      : [];

    log('baseline: start and warm up');
    timedModel.model.setLatency(MODEL_LATENCY_MS);
    await startBaseline(baseline, sandbox, timedModel);
    const baselineDepth = await measureBaselineDepth(baseline, timedModel, replayed, DEPTH_PHASE);
    const run = createPhaseRunners({ agent, agentUrl, users, baseline, timedModel, log });
    const compared = await measureComparedPhases(run, COMPARED_MODEL_LATENCY_MS, 'pg-');
    if (run.failures.length > 0) throw new Error(`turns failed: ${run.failures.slice(0, 3).join('; ')}`);
    return {
      comparedModelLatencyMs: COMPARED_MODEL_LATENCY_MS,
      ...compared,
      turnDepth: {
        contextBudgetChars: DEPTH_PHASE.contextBudgetChars,
        rows: depth.rows,
        baseline: baselineDepth,
        bytesWritten: bytesWritten.description,
      },
    };
  } finally {
    await close();
    await postgres.stop();
  }
}

// No process.exit(): the run must end because everything it opened is closed.
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
