import { afterEach, describe, expect, it } from 'vitest';
import { type ChatHarness, startChatHarness } from '../support/chat-harness.js';
import { startServerProcess } from '../support/server-process.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('an approval answered at two server processes on one database', () => {
  it('runs the approved write exactly once and continues the turn in whichever process won', async () => {
    const harness: ChatHarness = await startChatHarness();
    cleanups.push(() => harness.close());
    const { agent, model, user } = harness;
    const server = await startServerProcess({
      DATA_DIR: agent.dataDir,
      WPS_APP_ID: 'agent-test',
      WPS_APP_KEY: 'agent-test-secret',
      WPS_MCP_URL: agent.sandbox.mcpBaseUrl,
      WPS_OAUTH_AUTHORIZE_URL: agent.sandbox.authorizeUrl,
      WPS_OAUTH_TOKEN_URL: agent.sandbox.tokenUrl,
      TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_API_KEY: 'sk-test-model-key-123456',
      OPENAI_MODEL: 'scripted-model',
    });
    cleanups.push(() => server.stop());

    const plan = agent.sandbox.documents('alice').find((document) => document.name.startsWith('Q3'))!;
    model.script({
      toolCalls: [
        {
          name: 'kso_airpage_import_markdown_data',
          arguments: { file_id: plan.id, markdown_content: `${plan.markdown}\n## Risks\n` },
        },
      ],
    });
    model.setFallback({ text: 'Added the Risks section.' });
    const paused = await agent.api(user.apiKey, 'POST', '/v1/chat', { message: 'Add a risks section' });
    expect(paused.body.status).toBe('awaiting_approval');

    agent.sandbox.resetCounts();
    const answer = JSON.stringify({
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: true }],
    });
    const send = (base: string) =>
      fetch(`${base}/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
        body: answer,
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));
    const answers = await Promise.all([send(server.url), send(agent.url), send(server.url)]);

    const won = answers.filter((reply) => reply.status === 200);
    expect(won).toHaveLength(1);
    expect(won[0]?.body).toMatchObject({ status: 'complete', messageId: paused.body.messageId });
    for (const lost of answers.filter((reply) => reply.status !== 200)) {
      expect(lost.status).toBe(409);
      expect(lost.body.error.code).toBe('approval_decided');
    }
    expect(agent.sandbox.requestCounts().mcp['kso-airpage']?.['tools/call']).toBe(1);
    expect(agent.sandbox.documents('alice').find((document) => document.id === plan.id)?.markdown).toContain(
      '## Risks',
    );
  }, 30_000);
});
