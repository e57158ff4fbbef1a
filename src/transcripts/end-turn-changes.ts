import { type AnyColumn, type SQL, sql } from 'drizzle-orm';

const p = (name: string) => sql.placeholder(name);

/** The message columns `endTurn` sets alike on both dialects (the model messages' append differs). */
interface EndTurnColumns {
  text: AnyColumn;
  status: AnyColumn;
  error: AnyColumn;
  inputTokens: AnyColumn;
  outputTokens: AnyColumn;
  totalTokens: AnyColumn;
  modelRequests: AnyColumn;
}

/**
 * What the prepared `endTurn` UPDATE sets, from named placeholders: `:text` and `:status` null keep what
 * is stored, `:setError` false keeps the stored error, and the usage placeholders are added to the
 * message's sums. A turn closed as aborted (shutdown, a dead instance) stays aborted whatever ends it.
 */
export function endTurnChanges(messages: EndTurnColumns): Record<keyof EndTurnColumns, SQL> {
  return {
    text: sql`coalesce(${p('text')}, ${messages.text})`,
    status: sql`case when ${messages.status} = 'aborted' then 'aborted'
      else coalesce(${p('status')}, ${messages.status}) end`,
    error: sql`case when ${p('setError')} then ${p('error')} else ${messages.error} end`,
    inputTokens: sql`${messages.inputTokens} + ${p('inputTokens')}`,
    outputTokens: sql`${messages.outputTokens} + ${p('outputTokens')}`,
    totalTokens: sql`${messages.totalTokens} + ${p('totalTokens')}`,
    modelRequests: sql`${messages.modelRequests} + ${p('modelRequests')}`,
  };
}
