import type { LanguageModelV3, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { type ModelMessage, wrapLanguageModel } from 'ai';
import { convertToLanguageModelPrompt } from 'ai/internal';
import { deepFreeze } from '../shared/deep-freeze.js';
import type { HistoryTurn } from './conversation-history.js';

/**
 * The earlier turns in the form the AI SDK hands a provider (its language-model prompt), made by the
 * SDK's own conversion once per turn replayed rather than on every step of every later turn.
 *
 * Why: the history joined the step's messages in `prepareStep`, so the SDK converted all of it again for
 * each model request; with a full context budget that conversion was the largest part of what a deep
 * turn costs more than a first one (docs/benchmarks.md, turn depth). Converting a turn alone gives what
 * converting the whole history gives for it: the SDK joins adjacent tool messages and checks that every
 * tool call has its result, and a turn begins with its user message, which neither crosses. What comes
 * from the history cache (frozen) is converted once per process and kept by identity; the rest once per
 * turn. A history with file or image URLs, which the SDK may download per request, or one the SDK cannot
 * convert, stays with the SDK (undefined): it then fails or succeeds there exactly as before.
 */
export interface HistoryPrompts {
  convert(turns: readonly HistoryTurn[]): Promise<LanguageModelV3Prompt | undefined>;
}

/**
 * Converted messages of the cached (frozen) history by identity: each answer as a whole, each user
 * message alone (history-cache.ts makes one frozen user message per cached row).
 */
export function createHistoryPrompts(): HistoryPrompts {
  const answers = new WeakMap<readonly ModelMessage[], LanguageModelV3Prompt>();
  const users = new WeakMap<ModelMessage, LanguageModelV3Prompt[number]>();
  /** Kept only if frozen: a cached, never changed object, the same one next turn. */
  const keep = <Key extends object, Value>(map: WeakMap<Key, Value>, key: Key, value: Value) => {
    if (Object.isFrozen(key)) map.set(key, deepFreeze(value));
  };
  return {
    async convert(turns) {
      if (turns.length === 0) return [];
      try {
        // The user messages not converted before, in one call (user messages are never joined).
        const unconverted = turns.flatMap((turn) => (turn.user && !users.has(turn.user) ? [turn.user] : []));
        const converted = unconverted.length > 0 ? await convertAlone(unconverted) : [];
        if (!converted || converted.length !== unconverted.length) return undefined;
        const fresh = new Map(unconverted.map((user, index) => [user, converted[index]]));
        for (const [user, message] of fresh) if (message) keep(users, user, message);
        const prompt: LanguageModelV3Prompt = [];
        for (const turn of turns) {
          if (turn.user) {
            const user = users.get(turn.user) ?? fresh.get(turn.user);
            if (!user) return undefined;
            prompt.push(user);
          }
          if (turn.answer.length === 0) continue;
          let answer = answers.get(turn.answer);
          if (!answer) {
            answer = await convertAlone(turn.answer);
            if (!answer) return undefined;
            keep(answers, turn.answer, answer);
          }
          prompt.push(...answer);
        }
        return prompt;
      } catch {
        return undefined;
      }
    },
  };
}

/** The SDK's conversion of these messages, or undefined if it would download anything for them. */
async function convertAlone(messages: readonly ModelMessage[]): Promise<LanguageModelV3Prompt | undefined> {
  let downloads = false;
  const converted = await convertToLanguageModelPrompt({
    prompt: { messages: messages as ModelMessage[] },
    supportedUrls: {},
    download: async (requested) => {
      downloads ||= requested.length > 0;
      return requested.map(() => null);
    },
  });
  return downloads ? undefined : converted;
}

/**
 * The model with the converted history put in each request's prompt, after the system message and before
 * the turn's own messages: where the SDK would have put it from `prepareStep`.
 */
export function withHistory(model: LanguageModelV3, history: LanguageModelV3Prompt): LanguageModelV3 {
  if (history.length === 0) return model;
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v3',
      transformParams: async ({ params }) => {
        const { prompt } = params;
        let systemMessages = 0;
        while (prompt[systemMessages]?.role === 'system') systemMessages++;
        return {
          ...params,
          prompt: [...prompt.slice(0, systemMessages), ...history, ...prompt.slice(systemMessages)],
        };
      },
    },
  });
}
