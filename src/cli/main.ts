import { loadConfig, readEnvironment } from '../config/config.js';
import { openConfiguredDatabase } from '../db/open-database.js';
import { systemClock } from '../shared/clock.js';
import { createLogger } from '../shared/logger.js';
import { runCli } from './run-cli.js';

/** `npm run cli -- <command>`: JSON on stdout, errors on stderr with a non-zero exit. */
const exitCode = await runCli(process.argv.slice(2), {
  openDatabase: async () => {
    const config = loadConfig(readEnvironment());
    return { config, opened: await openConfiguredDatabase(config, createLogger({ level: 'silent' })) };
  },
  clock: systemClock,
  fetch: globalThis.fetch,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
process.exitCode = exitCode;
