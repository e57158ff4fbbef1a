import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * WPS-style 9-digit error codes the sandbox tools answer with. Only 400008018 (extracting a spreadsheet)
 * is seen in public code; the others are the sandbox's own, shaped like it.
 */
export const TOOL_ERROR_CODES = {
  invalidParams: 400_000_001,
  wrongFileType: 400_000_002,
  unknownField: 400_000_003,
  unsupportedExtraction: 400_008_018,
  fileNotFound: 404_000_001,
  sheetNotFound: 404_000_002,
  recordNotFound: 404_000_003,
} as const;

/** Thrown inside a tool handler; `runTool` turns it into an `isError` result, never an MCP error. */
export class SandboxToolError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'SandboxToolError';
    this.code = code;
  }
}

export function toolSuccess(data: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }] };
}

export function toolFailure(code: number, msg: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ code, msg }) }] };
}

/** Runs a tool body; a `SandboxToolError` becomes a WPS-style failure result, anything else propagates. */
export function runTool(body: () => unknown): CallToolResult {
  try {
    return toolSuccess(body());
  } catch (error: unknown) {
    if (error instanceof SandboxToolError) return toolFailure(error.code, error.message);
    throw error;
  }
}
