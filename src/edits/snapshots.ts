import type { CatalogTool } from '../mcp/tool-catalog.js';
import { openUnlessKeyRetired, type SecretBox } from '../shared/secret-box.js';
import { type BeforeState, editPlanOf, touchedFields } from './edit-plans.js';
import type { WpsReads } from './wps-reads.js';

/**
 * Before-states of write calls: read from WPS just before the write runs, sealed with the token key (the
 * user's documents are as private as their tokens), opened only to revert or to show a diff.
 */
export function createSnapshots(options: { reads: WpsReads; secretBox: SecretBox }) {
  const { reads, secretBox } = options;

  /** Reads what the call is about to change; undefined when it changes nothing that can be put back. */
  async function capture(
    userId: string,
    tool: Pick<CatalogTool, 'name' | 'server'>,
    args: Record<string, unknown>,
  ): Promise<BeforeState | undefined> {
    const plan = editPlanOf(tool.name, args);
    if (plan?.kind === 'document-overwrite') {
      const { driveId, markdown } = await reads.documentMarkdown(userId, plan.fileId);
      return { kind: 'document', fileId: plan.fileId, driveId, markdown };
    }
    if (plan?.kind === 'records-update') {
      const ids = plan.records.map((record) => record.id);
      const records = await reads.recordValues(userId, plan.sheet, ids, touchedFields(plan.records));
      return { kind: 'records', server: tool.server, sheet: plan.sheet, records };
    }
    return undefined;
  }

  return {
    capture,
    /** Captures and seals in one go: what the tool runner stores with the call. */
    async captureSealed(
      userId: string,
      tool: Pick<CatalogTool, 'name' | 'server'>,
      args: Record<string, unknown>,
    ): Promise<string | undefined> {
      const before = await capture(userId, tool, args);
      return before ? secretBox.seal(JSON.stringify(before)) : undefined;
    },
    /** Undefined when it was sealed with a token encryption key that has since been retired. */
    open(sealed: string): BeforeState | undefined {
      const opened = openUnlessKeyRetired(secretBox, sealed);
      return opened === undefined ? undefined : (JSON.parse(opened) as BeforeState);
    },
  };
}

export type Snapshots = ReturnType<typeof createSnapshots>;
