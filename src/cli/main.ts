import { loadConfig, readEnvironment } from '../config/config.js';
import { migrateDatabase, openDatabase } from '../db/database.js';
import { systemClock } from '../shared/clock.js';
import { runCli } from './run-cli.js';

/** `npm run cli -- <command>`: JSON on stdout, errors on stderr with a non-zero exit. */
const exitCode = await runCli(process.argv.slice(2), {
  openDatabase: () => {
    const config = loadConfig(readEnvironment());
    const db = openDatabase(config.databasePath);
    migrateDatabase(db);
    return { config, db };
  },
  clock: systemClock,
  fetch: globalThis.fetch,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
process.exitCode = exitCode;
