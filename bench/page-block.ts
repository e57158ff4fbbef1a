import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** docs/benchmarks.md, which every benchmark writes its figures into. */
export const BENCHMARKS_PAGE = path.resolve(import.meta.dirname, '../docs/benchmarks.md');

/**
 * Replaces the block between `<!-- name:start -->` and `<!-- name:end -->` of the page with `lines`
 * (appending it when the page has none yet), so each benchmark rewrites only its own figures.
 */
export async function writePageBlock(name: string, lines: string[], file = BENCHMARKS_PAGE): Promise<string> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = [start, ...lines, end].join('\n');
  const page = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  const from = page.indexOf(start);
  const to = page.indexOf(end);
  await writeFile(
    file,
    from >= 0 && to > from
      ? `${page.slice(0, from)}${block}${page.slice(to + end.length)}`
      : `${page.trimEnd()}\n\n${block}\n`,
  );
  return block;
}
