import { runCli } from '../../src/cli/run-cli.js';
import { loadConfig } from '../../src/config/config.js';
import { openConfiguredDatabase } from '../../src/db/open-database.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';

/** Runs one CLI command as an operator would, with this environment, capturing its output. */
export async function runCliWith(environment: Record<string, string>, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, {
    openDatabase: async () => {
      const config = loadConfig(environment);
      return { config, opened: await openConfiguredDatabase(config, createLogger({ level: 'silent' })) };
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
