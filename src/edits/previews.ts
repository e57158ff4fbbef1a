import { createTwoFilesPatch, diffLines } from 'diff';
import type { CatalogTool } from '../mcp/tool-catalog.js';
import { sha256 } from '../shared/secret-box.js';
import { editPlanOf, touchedFields } from './edit-plans.js';
import type { WpsReads } from './wps-reads.js';

/** What the user is shown before a write runs. */
export interface EditPreview {
  summary: string;
  /** Unified diff of the document's Markdown, before and after (overwrites and creates). */
  diff?: string;
  /** Records updates: each record's written fields, before and after; creates: what is added. */
  records?: Array<{ id?: string; before?: Record<string, unknown>; after: Record<string, unknown> }>;
  /** The write removes most of the document's text: shown loudly whatever TOOL_APPROVAL says. */
  destructive?: boolean;
}

/** A unified diff of a document's Markdown, now and after the write. */
export function markdownDiff(name: string, before: string, after: string): string {
  return createTwoFilesPatch(name, name, before, after, 'before', 'after', { context: 3 });
}

/** A fingerprint of what the preview was computed from: the approved call runs only if it still holds. */
export type PreviewBasis = string | null;

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** "adds 6 lines, removes 0; keeps 98% of the text", from a line diff of before and after. */
export function describeMarkdownChange(
  before: string,
  after: string,
  destructiveRatio: number,
): { summary: string; destructive: boolean } {
  let added = 0;
  let removed = 0;
  let keptChars = 0;
  for (const change of diffLines(before, after)) {
    if (change.added) added += change.count ?? 0;
    else if (change.removed) removed += change.count ?? 0;
    else keptChars += change.value.length;
  }
  const kept = before.length === 0 ? 100 : Math.round((keptChars / before.length) * 100);
  const destructive = before.length > 0 && 1 - keptChars / before.length >= destructiveRatio;
  const summary = `adds ${plural(added, 'line')}, removes ${removed}; keeps ${kept}% of the text`;
  return {
    summary: destructive ? `WARNING: removes ${100 - kept}% of the document's text (${summary})` : summary,
    destructive,
  };
}

/**
 * Builds the preview of a write call from what WPS holds now: a diff for a document overwrite, field
 * values before and after for a records update, what will be created for a create, and a plain sentence
 * for any other write.
 */
export function createPreviews(options: { reads: WpsReads; destructiveRatio: number }) {
  const { reads } = options;
  return {
    async preview(
      userId: string,
      tool: Pick<CatalogTool, 'name' | 'server'>,
      args: Record<string, unknown>,
    ): Promise<{ preview: EditPreview; basis: PreviewBasis }> {
      const plan = editPlanOf(tool.name, args);
      if (plan?.kind === 'document-overwrite') {
        const { markdown } = await reads.documentMarkdown(userId, plan.fileId);
        const change = describeMarkdownChange(markdown, plan.markdown, options.destructiveRatio);
        const diff = markdownDiff(plan.fileId, markdown, plan.markdown);
        return {
          preview: {
            summary: `Overwrites document ${plan.fileId}: ${change.summary}`,
            diff,
            destructive: change.destructive,
          },
          basis: sha256(markdown),
        };
      }
      if (plan?.kind === 'document-create') {
        const lines = plan.markdown.split('\n').length;
        const title = plan.title ?? /^#\s+(.+)$/m.exec(plan.markdown)?.[1] ?? 'a new document';
        return {
          preview: {
            summary: `Creates "${title}", a new document of ${plural(lines, 'line')}`,
            diff: createTwoFilesPatch('/dev/null', title, '', plan.markdown, '', 'new'),
          },
          basis: null,
        };
      }
      if (plan?.kind === 'records-update') {
        const ids = plan.records.map((record) => record.id);
        const current = await reads.recordValues(userId, plan.sheet, ids, touchedFields(plan.records));
        const records = plan.records.map((record) => ({
          id: record.id,
          before: current.find((candidate) => candidate.id === record.id)?.fields ?? {},
          after: record.fields,
        }));
        return {
          preview: {
            summary: `Updates ${plural(records.length, 'record')} (${touchedFields(plan.records).join(', ')})`,
            records,
          },
          basis: sha256(JSON.stringify(current)),
        };
      }
      if (plan?.kind === 'records-create') {
        return {
          preview: {
            summary: `Adds ${plural(plan.records.length, 'record')}`,
            records: plan.records.map((after) => ({ after })),
          },
          basis: null,
        };
      }
      return {
        preview: { summary: `Runs ${tool.name} on ${tool.server}, which may change your WPS data` },
        basis: null,
      };
    },
  };
}

export type Previews = ReturnType<typeof createPreviews>;
