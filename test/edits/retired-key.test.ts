import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox, type WpsSandbox } from '../../src/sandbox/index.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { startChatHarness } from '../support/chat-harness.js';

const keyA = Buffer.alloc(32, 0xa1).toString('base64');
const keyB = Buffer.alloc(32, 0xb2).toString('base64');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a write sealed under a key that was retired', () => {
  it('still shows in the transcript (without its diff), refuses to revert in plain words, and is whole again once the key is back', async () => {
    const sandbox: WpsSandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
    cleanups.push(() => sandbox.close());
    const dataDir = mkdtempSync(path.join(tmpdir(), 'wps-agent-retired-key-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

    // Under key A: the model overwrites the Q3 plan, the user approves, the before-state is kept sealed.
    const underA = await startChatHarness({ sandbox, dataDir, env: { TOKEN_ENCRYPTION_KEY: keyA } });
    const plan = sandbox.documents('alice').find((document) => document.name.startsWith('Q3'));
    if (!plan) throw new Error('no Q3 plan in the sandbox');
    underA.model.script({
      toolCalls: [
        {
          name: 'kso_airpage_import_markdown_data',
          arguments: { file_id: plan.id, markdown_content: `${plan.markdown}\n## Risks\n` },
        },
      ],
    });
    const { apiKey } = underA.user;
    const paused = await underA.agent.api(apiKey, 'POST', '/v1/chat', { message: 'Add risks' });
    const [approval] = paused.body.approvals;
    underA.model.script({ text: 'Done.' });
    const done = await underA.agent.api(apiKey, 'POST', '/v1/chat', {
      conversationId: paused.body.conversationId,
      approvals: [{ id: approval.id, approved: true }],
    });
    expect(done.body.status).toBe('complete');
    await underA.close();

    const restart = async (env: Record<string, string>): Promise<AgentHarness> => {
      const harness = await startAgentHarness({ sandbox, dataDir, env });
      cleanups.push(() => harness.close());
      return harness;
    };
    const writes = async (harness: AgentHarness) => {
      const listed = await harness.api(apiKey, 'GET', '/v1/tool-calls?name=kso_airpage_import_markdown_data');
      expect(listed.status).toBe(200);
      return listed.body.toolCalls;
    };

    const withoutA = await restart({ TOKEN_ENCRYPTION_KEY: keyB });
    const [call] = await writes(withoutA);
    expect(call).toMatchObject({ id: approval.toolCallId, status: 'ok', approval: { decision: 'approved' } });
    expect(call.approval.preview).toEqual({ summary: expect.stringMatching(/retired/) });
    expect(call.change).toBeUndefined();
    const transcript = await withoutA.api(apiKey, 'GET', `/v1/conversations/${paused.body.conversationId}`);
    expect(transcript.status).toBe(200);
    const revert = await withoutA.api(apiKey, 'POST', `/v1/tool-calls/${approval.toolCallId}/revert`, {});
    expect(revert.status).toBe(400);
    expect(revert.body.error).toMatchObject({
      code: 'not_revertible',
      message: expect.stringMatching(/encrypted with a token encryption key that has since been retired/),
    });
    await withoutA.close();
    cleanups.pop();

    const keyBack = await restart({ TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: keyA });
    const [whole] = await writes(keyBack);
    expect(whole.approval.preview.diff).toContain('+## Risks');
    expect(whole.change.diff).toContain('+## Risks');
    const reverted = await keyBack.api(apiKey, 'POST', `/v1/tool-calls/${approval.toolCallId}/revert`, {});
    expect(reverted.status).toBe(200);
    expect(sandbox.documents('alice').find((document) => document.id === plan.id)?.markdown).toBe(
      plan.markdown,
    );
  });
});
