import { modelMessageSchema } from 'ai';

/**
 * Resolves the AI SDK's JSON-value schema (a `z.lazy`) once, so that zod keeps its answer about the
 * message schema. zod 4.6 decides once per container schema whether it can contain a cycle, and keeps
 * the answer, except one that depends on a lazy not yet resolved. The SDK's lazy is reached only through
 * provider options, which the agent's messages never carry, so it stayed unresolved, and the
 * `z.array(modelMessageSchema)` that `generateText` builds on every call walked the whole message schema
 * again: about 80 KB allocated and 0.1 ms of CPU a turn (issue 12). One parse that reaches the lazy settles
 * it for the process. It changes no validation result: the parse below is an ordinary valid message.
 */
export function resolveMessageSchemaCycles(): void {
  // A future SDK whose schema rejected this message would leave the lazy unresolved: slower, never wrong.
  modelMessageSchema.safeParse({
    role: 'user',
    content: [{ type: 'text', text: '', providerOptions: { warmup: { value: [null] } } }],
  });
}
