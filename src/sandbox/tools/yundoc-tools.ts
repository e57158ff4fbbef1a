import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { SandboxComment, SandboxFileIdentity } from '../store/store-types.js';
import { accountFiles, findAnyFile, findDocument, type ToolContext, unixSeconds } from './tool-context.js';
import { runTool, SandboxToolError, TOOL_ERROR_CODES } from './tool-result.js';

const fileReference = {
  file_id: z.string().optional().describe('文件 ID（与 file_url 二选一）/ File id (give this or file_url)'),
  file_url: z
    .string()
    .optional()
    .describe(
      '文件分享链接，如 https://365.kdocs.cn/l/xxx（与 file_id 二选一）/ Share link of the file (or file_id)',
    ),
};

const extractInput = {
  drive_id: z
    .string()
    .describe('文件所在的云盘 ID，来自搜索结果的 drive_id / Drive id of the file, from search results'),
  ...fileReference,
};

function fileSummary(file: SandboxFileIdentity, type: string) {
  return {
    id: file.id,
    name: file.name,
    drive_id: file.driveId,
    link_url: file.linkUrl,
    version: file.version,
    type,
  };
}

function commentBlocks(comment: SandboxComment) {
  return {
    author: comment.author,
    date: comment.date,
    blocks: comment.text.split('\n').map((line) => ({ para: { runs: [{ text: line }] } })),
  };
}

/** Registers the kso-yundoc tools (cloud documents: search, metadata, content and comments as Markdown). */
export function registerYundocTools(server: McpServer, context: ToolContext): Map<string, RegisteredTool> {
  const tools = new Map<string, RegisteredTool>();

  tools.set(
    'kso_yundoc_search_yundoc',
    server.registerTool(
      'kso_yundoc_search_yundoc',
      {
        description:
          "按关键字搜索当前用户的云文档（匹配文件名和正文）。Search the user's cloud documents by keyword (matches file names and content). Returns items[].file {id, name, drive_id, link_url, version, type}.",
        inputSchema: {
          keyword: z.string().describe('搜索关键字 / Search keyword'),
          page_size: z
            .number()
            .int()
            .min(1)
            .max(100)
            .optional()
            .describe('返回数量上限，默认 20 / Max results, default 20'),
          type: z
            .enum(['otl', 'docx', 'ksheet', 'pdf'])
            .optional()
            .describe('文件类型：otl 智能文档、docx 文字、ksheet 表格、pdf / File type filter'),
        },
      },
      (input) =>
        runTool(() => {
          const keyword = input.keyword.trim().toLowerCase();
          if (!keyword)
            throw new SandboxToolError(TOOL_ERROR_CODES.invalidParams, 'keyword is empty / 关键字不能为空');
          const files = accountFiles(context);
          const candidates = [
            ...files.documents.map((document) => ({
              file: document,
              type: document.type,
              text: document.markdown,
            })),
            ...files.tables.map((table) => ({ file: table, type: 'dbsheet', text: '' })),
          ];
          const items = candidates
            .filter((candidate) => input.type === undefined || candidate.type === input.type)
            .filter(
              (candidate) =>
                candidate.file.name.toLowerCase().includes(keyword) ||
                candidate.text.toLowerCase().includes(keyword),
            )
            // Most recently modified first; seed order breaks ties so results are stable.
            .sort((a, b) => b.file.modifiedAt - a.file.modifiedAt || Number(a.file.id) - Number(b.file.id))
            .slice(0, input.page_size ?? 20)
            .map((candidate) => ({ file: fileSummary(candidate.file, candidate.type) }));
          return { items };
        }),
    ),
  );

  tools.set(
    'kso_yundoc_get_file_meta',
    server.registerTool(
      'kso_yundoc_get_file_meta',
      {
        description:
          "获取云文档的元数据（名称、类型、版本、修改时间等）。Get a cloud file's metadata (name, type, version, times); with_drive adds the drive.",
        inputSchema: {
          ...fileReference,
          with_drive: z.boolean().optional().describe('是否返回云盘信息 / Also return the drive'),
        },
      },
      (input) =>
        runTool(() => {
          const { file, type } = findAnyFile(context, { id: input.file_id, url: input.file_url });
          const size =
            'markdown' in file && typeof file.markdown === 'string' ? Buffer.byteLength(file.markdown) : 0;
          return {
            file: {
              ...fileSummary(file, type),
              size,
              ctime: unixSeconds(file.createdAt),
              mtime: unixSeconds(file.modifiedAt),
            },
            ...(input.with_drive ? { drive: { id: file.driveId, name: '我的云文档 My Documents' } } : {}),
          };
        }),
    ),
  );

  tools.set(
    'kso_yundoc_extract_yundoc_content',
    server.registerTool(
      'kso_yundoc_extract_yundoc_content',
      {
        description:
          "把云文档（智能文档、文字文档、PDF）的正文提取为 Markdown；表格文件不支持。Extract a document's content as Markdown (otl, docx, pdf; spreadsheets are not supported, error 400008018). Returns {dst_format, markdown, src_format, version}.",
        inputSchema: extractInput,
      },
      (input) =>
        runTool(() => {
          const document = documentInDrive(context, input);
          if (document.type === 'ksheet') {
            throw new SandboxToolError(
              TOOL_ERROR_CODES.unsupportedExtraction,
              'unsupported file type: ksheet / 不支持提取表格文件',
            );
          }
          return {
            dst_format: 'markdown',
            markdown: document.markdown,
            src_format: document.type,
            version: document.version,
          };
        }),
    ),
  );

  tools.set(
    'kso_yundoc_extract_yundoc_comment',
    server.registerTool(
      'kso_yundoc_extract_yundoc_comment',
      {
        description:
          "提取云文档中的评论（作者、时间、内容）。Extract a document's comments: {doc:{comments:[{author, date, blocks:[{para:{runs:[{text}]}}]}]}}.",
        inputSchema: extractInput,
      },
      (input) =>
        runTool(() => {
          const document = documentInDrive(context, input);
          return { doc: { comments: document.comments.map(commentBlocks) } };
        }),
    ),
  );

  return tools;
}

/** The document that `file_id` or `file_url` names, which must live in `drive_id`, as WPS checks. */
function documentInDrive(
  context: ToolContext,
  input: { drive_id: string; file_id?: string; file_url?: string },
) {
  const document = findDocument(context, { id: input.file_id, url: input.file_url });
  if (document.driveId !== input.drive_id) {
    throw new SandboxToolError(
      TOOL_ERROR_CODES.fileNotFound,
      'file not found in this drive / 云盘中不存在该文件',
    );
  }
  return document;
}
