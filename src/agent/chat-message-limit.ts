/**
 * The longest chat message accepted, in characters (after trimming). A model's context is the real
 * bound; this keeps one paste from eating it. The console checks the same number before sending
 * (web/src/chat/message-limit.ts; a test keeps the two equal).
 */
export const CHAT_MESSAGE_MAX_CHARS = 32_000;
