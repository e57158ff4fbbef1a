/**
 * `npm run bench` (last step), or `npx tsx bench/databases.ts`: the same turn as the load benchmark on the
 * embedded SQLite file, on PostgreSQL, and on two instances sharing one PostgreSQL, side by side. Writes
 * the "Databases" block of docs/benchmarks.md (between its markers) and prints it.
 *
 * PostgreSQL is a throwaway cluster (test/support/postgres.ts: `TEST_DATABASE_URL`, or Debian's binaries);
 * without one the PostgreSQL rows say "skipped". Agent CPU is the agent processes' own (user + system);
 * PostgreSQL's server processes run beside them on the same 2 cores and are not counted in it.
 *
 * BENCH_DB_USERS (50), BENCH_DB_TURNS (4 per user), BENCH_MODEL_LATENCY_MS (50).
 */
import { createWpsSandbox, type WpsSandbox } from '../src/sandbox/index.js';
import { hasPostgres, startTestDatabase } from '../test/support/postgres.js';
import {
  agentStartOptions,
  type BenchUser,
  connectWps,
  inBatches,
  openToolConnections,
  runAgentTurns,
  type TurnMeasure,
} from './agent-load.js';
import { type ChildProcessClient, startChildProcess } from './child-process-rpc.js';
import { positiveNumberFromEnvironment } from './environment.js';
import { startTimedModel, type TimedModel } from './model-timing.js';
import { writePageBlock } from './page-block.js';
import { loadBetween, type ProcessSample } from './process-metrics.js';
import { distribution, formatNumber } from './stats.js';

const fromEnvironment = positiveNumberFromEnvironment;
const USERS = fromEnvironment('BENCH_DB_USERS', 50);
const TURNS = fromEnvironment('BENCH_DB_TURNS', 4);
const LATENCY_MS = fromEnvironment('BENCH_MODEL_LATENCY_MS', 50);
const ACCOUNTS = ['alice', 'bob', 'carol'];

interface Setup {
  name: string;
  instances: number;
  env: Record<string, string>;
}

interface Row {
  setup: string;
  turns: number;
  turnsPerSecond: number;
  p50: number;
  p99: number;
  overheadP50: number;
  cpuMsPerTurn: number;
}

/** Users alternate between the instances: user i talks to instance i mod N, for every request. */
async function measure(setup: Setup, sandbox: WpsSandbox, timedModel: TimedModel): Promise<Row> {
  const agents: ChildProcessClient[] = [];
  try {
    const urls: string[] = [];
    // One at a time: on PostgreSQL the first migrates, the second finds the schema ready.
    for (let index = 0; index < setup.instances; index++) {
      const agent = startChildProcess({ entry: 'bench/agent-process.ts' });
      agents.push(agent);
      const started = await agent.call<{ url: string }>(
        'start',
        agentStartOptions(sandbox, timedModel.model.baseUrl, setup.env),
      );
      urls.push(started.url);
    }
    const users = await agents[0]!.call<BenchUser[]>('createUsers', { count: USERS, prefix: setup.name });
    const urlOf = (index: number) => urls[index % urls.length] as string;
    // Connected through one instance, used through another: the tokens are in the shared database.
    await inBatches(users, 25, (user, index) =>
      connectWps(urls[0] as string, user, ACCOUNTS[index % 3] ?? 'alice'),
    );
    await inBatches(users, 25, async (user, index) => {
      await openToolConnections(urlOf(index), user);
    });
    const run = async (prefix: string) => {
      const byInstance = urls.map((url, instance) => ({
        url,
        users: users.filter((_, index) => index % urls.length === instance),
      }));
      const results = await Promise.all(
        byInstance.map(({ url, users: group }, instance) =>
          runAgentTurns({
            agentUrl: url,
            users: group,
            turnsEach: TURNS,
            timedModel,
            prefix: `${prefix}-${instance}`,
            staggerMs: 2 * LATENCY_MS,
          }),
        ),
      );
      const failures = results.flatMap((result) => result.failures);
      if (failures.length > 0) throw new Error(`${setup.name}: ${failures.slice(0, 3).join('; ')}`);
      return {
        turns: results.flatMap((result) => result.turns) as TurnMeasure[],
        elapsedMs: Math.max(...results.map((result) => result.elapsedMs)),
      };
    };
    await run('warm');
    const before = await Promise.all(agents.map((agent) => agent.call<ProcessSample>('sample')));
    const measured = await run('measured');
    const after = await Promise.all(agents.map((agent) => agent.call<ProcessSample>('sample')));
    const cpuMs = agents.reduce((sum, _, index) => sum + loadBetween(before[index]!, after[index]!).cpuMs, 0);
    const wall = distribution(measured.turns.map((turn) => turn.wallMs));
    const overhead = distribution(measured.turns.map((turn) => turn.overheadMs));
    return {
      setup: setup.name,
      turns: measured.turns.length,
      turnsPerSecond: measured.turns.length / (measured.elapsedMs / 1000),
      p50: wall.p50,
      p99: wall.p99,
      overheadP50: overhead.p50,
      cpuMsPerTurn: cpuMs / measured.turns.length,
    };
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
  }
}

async function main(): Promise<void> {
  const sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
  const timedModel = await startTimedModel({ latencyMs: LATENCY_MS });
  const postgres = hasPostgres ? await startTestDatabase() : undefined;
  const rows: Array<Row | { setup: string; skipped: string }> = [];
  try {
    const setups: Setup[] = [{ name: 'sqlite', instances: 1, env: {} }];
    if (postgres) {
      setups.push({ name: 'postgres', instances: 1, env: { DATABASE_URL: postgres.url } });
      setups.push({ name: 'postgres ×2', instances: 2, env: { DATABASE_URL: postgres.url } });
    }
    for (const setup of setups) {
      rows.push(await measure(setup, sandbox, timedModel));
      console.log(JSON.stringify(rows.at(-1)));
    }
    if (!postgres) rows.push({ setup: 'postgres', skipped: 'no PostgreSQL on this machine' });
  } finally {
    await postgres?.stop();
    await timedModel.close();
    await sandbox.close();
  }
  const block = await writePageBlock('databases', [
    '### Databases: the same turn on SQLite, PostgreSQL, and two instances on PostgreSQL (bench/databases.ts)',
    '',
    `${USERS} concurrent users, ${TURNS} measured turns each after a warm-up turn, ${LATENCY_MS} ms per model step (one MCP search and two model requests per turn). With two instances, user i always talks to instance i mod 2 and both share one PostgreSQL. Agent CPU is the agent processes' (summed); PostgreSQL's own processes share the 2 cores and are not in it. Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    '| setup | turns | turns/s | turn p50 ms | turn p99 ms | overhead p50 ms | agent CPU ms/turn |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...rows.map((row) =>
      'skipped' in row
        ? `| ${row.setup} | skipped: ${row.skipped} | | | | | |`
        : `| ${row.setup} | ${row.turns} | ${formatNumber(row.turnsPerSecond, 0)} | ${formatNumber(row.p50)} | ${formatNumber(row.p99)} | ${formatNumber(row.overheadP50)} | ${formatNumber(row.cpuMsPerTurn, 2)} |`,
    ),
  ]);
  process.stdout.write(`${block}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
