/** Model usage of one chat turn (or of a stretch of it), as stored on its assistant message. */
export interface TurnUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Model responses received: one per finished step. */
  modelRequests: number;
}

export const noUsage = (): TurnUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  modelRequests: 0,
});

/** One step's usage as the AI SDK reports it (`LanguageModelUsage`'s counts). */
export interface StepUsage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  totalTokens?: number | undefined;
}

/**
 * Adds one finished step's usage as the AI SDK reports it. Providers may leave counts out (undefined):
 * those count as 0, and a missing total is the sum of the other two.
 */
export function addStepUsage(total: TurnUsage, step: StepUsage): TurnUsage {
  const input = step.inputTokens ?? 0;
  const output = step.outputTokens ?? 0;
  return {
    inputTokens: total.inputTokens + input,
    outputTokens: total.outputTokens + output,
    totalTokens: total.totalTokens + (step.totalTokens ?? input + output),
    modelRequests: total.modelRequests + 1,
  };
}
