import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEPT_SECTIONS_HEADING, keptSections } from '../../bench/report.js';

describe('docs/benchmarks.md regeneration', () => {
  it('keeps the measured-changes section a rerun of npm run bench would otherwise erase', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bench-report-')), 'benchmarks.md');
    expect(await keptSections(file)).toBe('');
    writeFileSync(
      file,
      `# Benchmarks\n\nold figures\n\n${KEPT_SECTIONS_HEADING}\n\n| change | before | after |\n`,
    );
    expect(await keptSections(file)).toBe(`\n${KEPT_SECTIONS_HEADING}\n\n| change | before | after |\n`);
  });
});
