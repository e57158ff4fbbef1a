/**
 * A scripted OpenAI-compatible model server for integration tests and benchmarks: each
 * `/v1/chat/completions` request consumes one scripted step, answered in OpenAI's wire format.
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
  ScriptedModel,
  ScriptedModelOptions,
  ScriptedStep,
  ScriptedToolCall,
} from './types.js';
