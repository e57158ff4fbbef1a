import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { SandboxDocument } from '../store/store-types.js';
import { accountFiles, findDocument, type ToolContext, touch } from './tool-context.js';
import { runTool, SandboxToolError, TOOL_ERROR_CODES } from './tool-result.js';

const UNTITLED = '无标题 Untitled';

function firstHeading(markdown: string): string | undefined {
  const match = /^#\s+(.+?)\s*#*\s*$/m.exec(markdown);
  return match?.[1];
}

/** Smart documents carry the `.otl` extension in WPS file names. */
function withOtlExtension(name: string): string {
  return name.toLowerCase().endsWith('.otl') ? name : `${name}.otl`;
}

/**
 * Registers the kso-airpage tool. With `file_id` it overwrites that smart document (version + 1); without
 * it, it creates a new smart document named `file_name`, else `title`, else the first `# H1`.
 */
export function registerAirpageTools(server: McpServer, context: ToolContext): Map<string, RegisteredTool> {
  const tools = new Map<string, RegisteredTool>();
  tools.set(
    'kso_airpage_import_markdown_data',
    server.registerTool(
      'kso_airpage_import_markdown_data',
      {
        description:
          "把 Markdown 导入智能文档：传 file_id 时覆盖该文档的全部内容；不传时新建一篇智能文档（标题取 title 或第一个一级标题）。Import Markdown into a smart document (otl): with file_id it REPLACES that document's whole content; without it, it creates a new document titled from `title` or the first `# H1`. Returns {file_id, file_name, link_url, version}.",
        inputSchema: {
          markdown_content: z.string().describe('要导入的完整 Markdown 内容 / The full Markdown content'),
          file_id: z
            .string()
            .optional()
            .describe('要覆盖的智能文档 ID / Id of the smart document to overwrite'),
          file_name: z.string().optional().describe('新建文档的文件名 / File name for a new document'),
          title: z.string().optional().describe('文档标题 / Document title'),
        },
      },
      (input) =>
        runTool(() => {
          const now = context.clock.now();
          if (input.file_id) {
            const document = findDocument(context, { id: input.file_id }, 'file_id');
            if (document.type !== 'otl') {
              throw new SandboxToolError(
                TOOL_ERROR_CODES.wrongFileType,
                `only smart documents (otl) can be overwritten, this is ${document.type} / 仅支持覆盖智能文档`,
              );
            }
            document.markdown = input.markdown_content;
            if (input.title) document.name = withOtlExtension(input.title);
            touch(document, context.clock);
            return {
              file_id: document.id,
              file_name: document.name,
              link_url: document.linkUrl,
              version: document.version,
            };
          }
          const files = accountFiles(context);
          const name = withOtlExtension(
            input.file_name || input.title || firstHeading(input.markdown_content) || UNTITLED,
          );
          const document: SandboxDocument = {
            ...context.store.newFileIdentity(name),
            driveId: files.driveId,
            type: 'otl',
            markdown: input.markdown_content,
            comments: [],
            createdAt: now,
            modifiedAt: now,
          };
          files.documents.push(document);
          return {
            file_id: document.id,
            file_name: document.name,
            link_url: document.linkUrl,
            version: document.version,
          };
        }),
    ),
  );
  return tools;
}
