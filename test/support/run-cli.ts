import { runCli } from '../../src/cli/run-cli.js';
import { loadConfig } from '../../src/config/config.js';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { systemClock } from '../../src/shared/clock.js';

/** Runs one CLI command as an operator would, with this environment, capturing its output. */
export async function runCliWith(environment: Record<string, string>, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, {
    openDatabase: () => {
      const config = loadConfig(environment);
      const db = openDatabase(config.databasePath);
      migrateDatabase(db);
      return { config, db };
    },
    clock: systemClock,
    fetch: globalThis.fetch,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { exitCode, stdout, stderr, json: () => JSON.parse(stdout) };
}
