import { sql } from 'drizzle-orm';

/*
 * The two writes of every tool call are prepared statements on both dialects; their named placeholders
 * (mapped through each dialect's column encoders when run) and the values they bind are written once here.
 */

const p = (name: string) => sql.placeholder(name);

/** Every column of a new call: the prepared insert binds each one, whatever the caller left out. */
export const newToolCallPlaceholders = {
  id: p('id'),
  userId: p('userId'),
  conversationId: p('conversationId'),
  messageId: p('messageId'),
  step: p('step'),
  safeName: p('safeName'),
  name: p('name'),
  server: p('server'),
  arguments: p('arguments'),
  result: p('result'),
  isError: p('isError'),
  status: p('status'),
  source: p('source'),
  startedAt: p('startedAt'),
  durationMs: p('durationMs'),
  changesData: p('changesData'),
  revertOf: p('revertOf'),
  instanceId: p('instanceId'),
};

/** What a new call stores for the optional columns its caller left out. */
export const newToolCallDefaults = {
  conversationId: null,
  messageId: null,
  step: null,
  safeName: null,
  result: null,
  durationMs: null,
  changesData: false,
  revertOf: null,
};

/**
 * A call's outcome. drizzle's update types do not admit placeholders (it maps them at run time all the
 * same): hence the cast.
 */
export const toolCallOutcomePlaceholders = {
  result: p('result'),
  isError: p('isError'),
  status: p('status'),
  durationMs: p('durationMs'),
} as unknown as { result: unknown };

/** The id placeholder of the outcome's WHERE. */
export const toolCallIdPlaceholder = p('id');
