import type { LanguageModelMiddleware } from 'ai';
import { ARGUMENT_LIMITS } from '../mcp/argument-validator.js';

/**
 * Whether JSON text nests deeper than `limit`, found by counting brackets outside strings: the text is
 * never parsed, because parsing it is what must not happen when it nests thousands of levels deep.
 */
export function jsonTextNestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index++;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{' || character === '[') {
      depth++;
      if (depth > limit) return true;
    } else if (character === '}' || character === ']') depth--;
  }
  return false;
}

/**
 * Deep enough that no real tool call comes near, shallow enough for every recursive copy the AI SDK and
 * the transcript make of parsed arguments. Between ARGUMENT_LIMITS.maxDepth and this, arguments reach the
 * tool's validator, which refuses them as a recorded tool call; past it they never get parsed.
 */
export const MAX_PARSED_DEPTH = 256;

/** Why the model's arguments were replaced, or undefined when they may be parsed as they are. */
function refusalOf(input: string): string | undefined {
  if (!jsonTextNestsDeeperThan(input, MAX_PARSED_DEPTH)) return undefined;
  return `arguments refused: they nest deeper than ${ARGUMENT_LIMITS.maxDepth} levels; call the tool again with flatter arguments`;
}

/**
 * Bounds the nesting of the model's tool-call arguments before the AI SDK parses them. Arguments nested
 * thousands of levels deep would parse, then overflow the stack when the SDK copies each step
 * (structuredClone) and fail the whole turn as a "model error". Such arguments are replaced by a plain
 * sentence, which is not JSON: the SDK reports an invalid tool input back to the model, with that
 * sentence, as a tool error the model can correct, and the turn goes on.
 */
export const boundToolInputs: LanguageModelMiddleware = {
  specificationVersion: 'v3',
  async wrapGenerate({ doGenerate }) {
    const result = await doGenerate();
    return {
      ...result,
      content: result.content.map((part) => {
        if (part.type !== 'tool-call') return part;
        const refusal = refusalOf(part.input);
        return refusal ? { ...part, input: refusal } : part;
      }),
    };
  },
  async wrapStream({ doStream }) {
    const result = await doStream();
    return {
      ...result,
      stream: result.stream.pipeThrough(
        new TransformStream({
          transform(part, controller) {
            const refusal = part.type === 'tool-call' ? refusalOf(part.input) : undefined;
            controller.enqueue(refusal && part.type === 'tool-call' ? { ...part, input: refusal } : part);
          },
        }),
      ),
    };
  },
};
