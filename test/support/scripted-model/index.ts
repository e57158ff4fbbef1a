/**
 * A scripted OpenAI-compatible model server for integration tests and benchmarks: each
 * `/v1/chat/completions` or `/v1/responses` request consumes one scripted step, answered in that API's
 * wire format.
 */
export {
  bearerTokenOf,
  findTool,
  lastToolResults,
  redactedHeaders,
  type ToolResultMessage,
  toolNamesOf,
} from './request-inspection.js';
export { createScriptedModel, SCRIPTED_MODEL_ID } from './scripted-model-server.js';
export type {
  ChatMessage,
  ChatRequestBody,
  ChatTool,
  RecordedRequest,
  ResolvedStep,
  ResponsesInputItem,
  ResponsesTool,
  ScriptedModel,
  ScriptedModelOptions,
  ScriptedStep,
  ScriptedToolCall,
} from './types.js';
