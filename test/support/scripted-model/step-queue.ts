import type { RecordedRequest, ResolvedStep, ScriptedStep } from './types.js';

/** A dynamic step returning another dynamic step this many times is a loop in the test, not a script. */
const MAX_DYNAMIC_DEPTH = 10;

export type NextStep =
  | { kind: 'step'; step: ResolvedStep }
  | { kind: 'exhausted' }
  | { kind: 'dynamic-step-failed'; error: unknown };

export interface StepQueue {
  append(steps: ScriptedStep[]): void;
  setFallback(step: ScriptedStep | undefined): void;
  pending(): number;
  /** Consumes the next step (or uses the fallback) and calls it if it is dynamic. */
  next(request: RecordedRequest): NextStep;
}

export function createStepQueue(): StepQueue {
  const queue: ScriptedStep[] = [];
  let fallback: ScriptedStep | undefined;

  return {
    append: (steps) => {
      queue.push(...steps);
    },
    setFallback: (step) => {
      fallback = step;
    },
    pending: () => queue.length,
    next: (request) => {
      const step = queue.shift() ?? fallback;
      if (step === undefined) return { kind: 'exhausted' };
      try {
        return { kind: 'step', step: resolveStep(step, request) };
      } catch (error: unknown) {
        return { kind: 'dynamic-step-failed', error };
      }
    },
  };
}

function resolveStep(step: ScriptedStep, request: RecordedRequest): ResolvedStep {
  let current = step;
  for (let depth = 0; depth < MAX_DYNAMIC_DEPTH; depth++) {
    if (typeof current !== 'function') return current;
    current = current(request);
  }
  throw new Error(`dynamic step still returned a function after ${MAX_DYNAMIC_DEPTH} calls`);
}
