import type { ToolCallEditsService } from '../edits/tool-call-edits.js';
import type { ConversationRow, ConversationsRepository } from './conversations.repository.js';
import type { ToolCallsRepository } from './tool-calls.repository.js';
import { toolCallView } from './tool-calls.view.js';

/** A whole conversation as reviewers see it: every message in order, each with its tool calls. */
export async function conversationTranscript(options: {
  conversation: ConversationRow;
  conversationsRepository: ConversationsRepository;
  toolCallsRepository: ToolCallsRepository;
  toolCallEdits?: ToolCallEditsService;
}) {
  const { conversation } = options;
  const messages = await options.conversationsRepository.listMessages(conversation.id);
  const toolCalls = await options.toolCallsRepository.listForMessages(messages.map((message) => message.id));
  const edits = await options.toolCallEdits?.forRows(toolCalls);
  return {
    id: conversation.id,
    title: conversation.title,
    createdAt: new Date(conversation.createdAt).toISOString(),
    updatedAt: new Date(conversation.updatedAt).toISOString(),
    messages: messages.map((message) => ({
      id: message.id,
      role: message.role,
      text: message.text,
      status: message.status,
      ...(message.error ? { error: message.error } : {}),
      ...(message.role === 'assistant'
        ? {
            usage: {
              inputTokens: message.inputTokens,
              outputTokens: message.outputTokens,
              totalTokens: message.totalTokens,
              modelRequests: message.modelRequests,
            },
          }
        : {}),
      createdAt: new Date(message.createdAt).toISOString(),
      toolCalls: toolCalls
        .filter((call) => call.messageId === message.id)
        .map((call) => toolCallView(call, edits?.get(call.id))),
    })),
  };
}
