/**
 * Fails when a drizzle schema and its generated migrations disagree, for both dialects: drizzle-kit
 * 0.31 has no dry-run, so each migration folder is copied to a temp dir and `drizzle-kit generate` runs
 * into the copy; any file it writes there is a schema change nobody generated a migration for.
 * `drizzle-kit check` then validates each folder's snapshot chain. Part of `npm run check`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from 'drizzle-kit';
import sqliteConfig from '../drizzle.config.js';
import postgresConfig from '../drizzle.postgres.config.js';

const drizzleKit = path.resolve('node_modules/.bin/drizzle-kit');
const dialects = [
  { configFile: 'drizzle.config.ts', config: sqliteConfig },
  { configFile: 'drizzle.postgres.config.ts', config: postgresConfig },
];

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((entry) => statSync(path.join(folder, entry)).isFile())
    .sort();
}

/** The files `drizzle-kit generate` would add to this dialect's migration folder (none when in sync). */
function ungeneratedChanges(config: Config): { file: string; text: string }[] {
  const out = config.out ?? 'drizzle';
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'migrations-check-')), 'migrations');
  try {
    cpSync(out, copy, { recursive: true });
    const before = new Set(filesUnder(copy));
    // drizzle-kit reads `--out` relative to the working directory only.
    const relativeCopy = path.relative(process.cwd(), copy);
    const schema = String(config.schema);
    execFileSync(
      drizzleKit,
      ['generate', '--dialect', config.dialect, '--schema', schema, '--out', relativeCopy],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    return filesUnder(copy)
      .filter((file) => !before.has(file) && file.endsWith('.sql'))
      .map((file) => ({ file, text: readFileSync(path.join(copy, file), 'utf8') }));
  } finally {
    rmSync(path.dirname(copy), { recursive: true, force: true });
  }
}

let failed = false;
for (const { configFile, config } of dialects) {
  execFileSync(drizzleKit, ['check', '--config', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const changes = ungeneratedChanges(config);
  if (changes.length === 0) {
    console.log(`${config.schema} and ${config.out}/ agree`);
    continue;
  }
  failed = true;
  console.error(`${config.schema} has changes that ${config.out}/ lacks: run \`npm run db:generate\`.`);
  for (const { text } of changes) console.error(text);
}
process.exit(failed ? 1 : 0);
