import { type AgentHarness, type AgentHarnessOptions, startAgentHarness } from './agent-harness.js';
import { createScriptedModel, type ScriptedModel } from './scripted-model/index.js';

export interface ChatHarness {
  agent: AgentHarness;
  model: ScriptedModel;
  user: { id: string; apiKey: string };
  close(): Promise<void>;
}

/** An agent wired to a scripted model, with one user already connected to the sandbox account `alice`. */
export async function startChatHarness(
  options: AgentHarnessOptions & { connect?: boolean } = {},
): Promise<ChatHarness> {
  const model = await createScriptedModel();
  const agent = await startAgentHarness({
    ...options,
    env: {
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_API_KEY: 'sk-test-model-key-123456',
      OPENAI_MODEL: 'scripted-model',
      ...options.env,
    },
  });
  const user = await agent.createUser('ann');
  if (options.connect !== false) {
    const connected = await agent.connectWps(user.apiKey, 'alice');
    if (connected.status !== 200) throw new Error(`could not connect WPS: ${connected.html}`);
  }
  return {
    agent,
    model,
    user,
    async close() {
      await agent.close();
      await model.close();
    },
  };
}

/** `POST /v1/chat` as a streaming client sends it (`Accept: text/event-stream`); the raw response. */
export function postChatStream(
  harness: ChatHarness,
  body:
    | { message: string; conversationId?: string }
    | { conversationId: string; approvals: Array<{ id: string; approved: boolean; reason?: string }> },
): Promise<Response> {
  return fetch(`${harness.agent.url}/v1/chat`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${harness.user.apiKey}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify(body),
  });
}
