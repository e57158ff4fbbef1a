import type { Clock } from '../../shared/clock.js';
import { LINK_URL_PREFIX, type SandboxStore } from '../store/sandbox-store.js';
import type {
  AccountFiles,
  SandboxDbsheet,
  SandboxDocument,
  SandboxFileIdentity,
} from '../store/store-types.js';
import { SandboxToolError, TOOL_ERROR_CODES } from './tool-result.js';

/** What every tool of one MCP session sees: the store, and the account the session's token belongs to. */
export interface ToolContext {
  store: SandboxStore;
  account: string;
  clock: Clock;
}

export function accountFiles(context: ToolContext): AccountFiles {
  const files = context.store.files(context.account);
  if (!files) throw new SandboxToolError(TOOL_ERROR_CODES.fileNotFound, `unknown account ${context.account}`);
  return files;
}

/** Matches a file by id, or by a share link (`https://365.kdocs.cn/l/<id>`, query and fragment ignored). */
function matchesReference(file: SandboxFileIdentity, reference: { id?: string; url?: string }): boolean {
  if (reference.id !== undefined) return file.id === reference.id;
  if (reference.url === undefined) return false;
  const linkId = linkIdOf(reference.url);
  return linkId !== undefined && file.linkUrl === `${LINK_URL_PREFIX}${linkId}`;
}

function linkIdOf(url: string): string | undefined {
  const match = /\/l\/([A-Za-z0-9_-]+)/.exec(url);
  return match?.[1];
}

function requireReference(reference: { id?: string; url?: string }, names: string): void {
  if (!reference.id && !reference.url) {
    throw new SandboxToolError(
      TOOL_ERROR_CODES.invalidParams,
      `one of ${names} is required / 缺少参数 ${names}`,
    );
  }
}

export function findDocument(
  context: ToolContext,
  reference: { id?: string; url?: string },
  names = 'file_id, file_url',
): SandboxDocument {
  requireReference(reference, names);
  const files = accountFiles(context);
  const document = files.documents.find((candidate) => matchesReference(candidate, reference));
  if (document) return document;
  if (files.tables.some((table) => matchesReference(table, reference))) {
    throw new SandboxToolError(
      TOOL_ERROR_CODES.unsupportedExtraction,
      'unsupported file type: dbsheet / 不支持的文件类型',
    );
  }
  throw new SandboxToolError(TOOL_ERROR_CODES.fileNotFound, 'file not found / 文件不存在');
}

export function findTable(context: ToolContext, reference: { id?: string; url?: string }): SandboxDbsheet {
  requireReference(reference, 'fileID, fileURL');
  const files = accountFiles(context);
  const table = files.tables.find((candidate) => matchesReference(candidate, reference));
  if (table) return table;
  if (files.documents.some((document) => matchesReference(document, reference))) {
    throw new SandboxToolError(TOOL_ERROR_CODES.wrongFileType, 'file is not a dbsheet / 该文件不是多维表格');
  }
  throw new SandboxToolError(TOOL_ERROR_CODES.fileNotFound, 'file not found / 文件不存在');
}

/** Records an edit: the version goes up and the modification time moves to now. */
export function touch(file: SandboxFileIdentity, clock: Clock): void {
  file.version += 1;
  file.modifiedAt = clock.now();
}

/** Unix seconds, as WPS file metadata carries times. */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Any file of the account, document or table, for tools that only need its metadata. */
export function findAnyFile(
  context: ToolContext,
  reference: { id?: string; url?: string },
): { file: SandboxFileIdentity; type: string } {
  requireReference(reference, 'file_id, file_url');
  const files = accountFiles(context);
  const document = files.documents.find((candidate) => matchesReference(candidate, reference));
  if (document) return { file: document, type: document.type };
  const table = files.tables.find((candidate) => matchesReference(candidate, reference));
  if (table) return { file: table, type: 'dbsheet' };
  throw new SandboxToolError(TOOL_ERROR_CODES.fileNotFound, 'file not found / 文件不存在');
}
