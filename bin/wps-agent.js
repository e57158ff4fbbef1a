#!/usr/bin/env node
// The package's command: the admin CLI, in this process. Runs the compiled JavaScript (`npm run build`,
// `npm start`) when it is at least as new as every source file; otherwise the TypeScript sources through
// tsx, so an edit made since the last build never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const compiled = path.join(root, 'dist/cli/main.js');
const sources = path.join(root, 'src');

function compiledIsCurrent() {
  if (!existsSync(compiled)) return false;
  if (!existsSync(sources)) return true;
  const builtAt = statSync(compiled).mtimeMs;
  return readdirSync(sources, { recursive: true, withFileTypes: true }).every(
    (entry) => !entry.isFile() || statSync(path.join(entry.parentPath, entry.name)).mtimeMs <= builtAt,
  );
}

if (compiledIsCurrent()) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(sources, 'cli/main.ts')).href);
}
