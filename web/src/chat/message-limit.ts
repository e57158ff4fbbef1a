/** The server's limit (src/agent/chat-message-limit.ts; a test keeps the two equal), checked before sending. */
export const CHAT_MESSAGE_MAX_CHARS = 32_000;

/** What the composer says about a draft over the limit; undefined when it may be sent. */
export function messageLimitNotice(draft: string): string | undefined {
  const length = draft.trim().length;
  if (length <= CHAT_MESSAGE_MAX_CHARS) return undefined;
  const format = (count: number) => count.toLocaleString('en-US');
  return `This message is ${format(length)} characters; the limit is ${format(CHAT_MESSAGE_MAX_CHARS)}. Shorten it (or split it) and send again; your text is kept.`;
}
