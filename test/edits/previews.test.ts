import { describe, expect, it } from 'vitest';
import { describeMarkdownChange, markdownDiff } from '../../src/edits/previews.js';

const DOCUMENT = Array.from({ length: 40 }, (_, index) => `Line ${index + 1} of the plan.`).join('\n');

describe('edit previews', () => {
  it('say in one line what an overwrite adds, removes and keeps', () => {
    const after = `${DOCUMENT}\n\n## Risks\n\n- Hiring may slip\n- Vendor renewal pending\n`;
    expect(describeMarkdownChange(DOCUMENT, after, 0.5)).toEqual({
      summary: 'adds 6 lines, removes 1; keeps 98% of the text',
      destructive: false,
    });
  });

  it('flag loudly a write that removes most of the text, at the configured threshold', () => {
    const after = 'Line 1 of the plan.\n';
    const flagged = describeMarkdownChange(DOCUMENT, after, 0.5);
    expect(flagged.destructive).toBe(true);
    expect(flagged.summary).toMatch(/^WARNING: removes 98% of the document's text/);
    expect(describeMarkdownChange(DOCUMENT, after, 0.99).destructive).toBe(false);
  });

  it('diff only the changed lines, with three lines of context', () => {
    const after = DOCUMENT.replace('Line 20 of the plan.', 'Line 20, rewritten.');
    const diff = markdownDiff('plan', DOCUMENT, after);
    expect(diff).toContain('-Line 20 of the plan.');
    expect(diff).toContain('+Line 20, rewritten.');
    expect(diff).toContain(' Line 17 of the plan.');
    expect(diff).not.toContain('Line 16 of the plan.');
  });
});
