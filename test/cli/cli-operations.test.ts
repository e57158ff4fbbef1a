import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_MODEL_CONFIGURED } from '../../src/agent/model-errors.js';
import { type ChatHarness, startChatHarness } from '../support/chat-harness.js';
import { runCliWith } from '../support/run-cli.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const cli = runCliWith;

function environmentOf(chat: ChatHarness): Record<string, string> {
  const { sandbox } = chat.agent;
  return {
    DATABASE_URL: path.join(chat.agent.dataDir, 'agent.db'),
    WPS_APP_ID: 'agent-test',
    WPS_APP_KEY: 'agent-test-secret',
    WPS_MCP_URL: sandbox.mcpBaseUrl,
    WPS_OAUTH_AUTHORIZE_URL: sandbox.authorizeUrl,
    WPS_OAUTH_TOKEN_URL: sandbox.tokenUrl,
    OPENAI_BASE_URL: chat.model.baseUrl,
    OPENAI_API_KEY: 'sk-test-model-key-123456',
    OPENAI_MODEL: 'scripted-model',
  };
}

describe('conversations export', () => {
  it('writes one JSON transcript per line, with tool calls, and honours --since', async () => {
    harness = await startChatHarness();
    harness.model.script(
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
      { text: 'Found it.' },
      { text: 'Second.' },
    );
    await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'Find the Q3 plan' });
    await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'Another conversation' });
    const environment = environmentOf(harness);
    const exported = await cli(environment, 'conversations', 'export', 'ann');
    expect(exported.exitCode).toBe(0);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.title)).toEqual(['Find the Q3 plan', 'Another conversation']);
    expect(lines[0].messages[1].toolCalls[0]).toMatchObject({
      name: 'kso_yundoc_search_yundoc',
      status: 'ok',
      source: 'chat',
    });
    const future = await cli(
      environment,
      'conversations',
      'export',
      harness.user.id,
      '--since',
      '2999-01-01',
    );
    expect(future.stdout).toBe('');
    const badDate = await cli(environment, 'conversations', 'export', 'ann', '--since', 'someday');
    expect(badDate.exitCode).toBe(2);
    expect(badDate.stderr).toContain('--since needs a date');
  });
});

describe('doctor', () => {
  it('reports every endpoint as reachable when WPS and the model are there', async () => {
    harness = await startChatHarness({ connect: false });
    harness.model.script({ text: 'OK' });
    const { exitCode, stdout } = await cli(environmentOf(harness), 'doctor');
    const report = JSON.parse(stdout);
    expect(report.checks.map((check: any) => check.name)).toEqual([
      'configuration',
      'wps oauth discovery',
      'wps token endpoint',
      'mcp kso-yundoc',
      'mcp kso-airpage',
      'mcp kso-dbsheet',
      'model endpoint',
    ]);
    expect(report.checks.filter((check: any) => !check.ok)).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.checks[1].detail).toContain('No discovery metadata');
    expect(report.checks[3].detail).toContain('asks for a user token');
    expect(stdout).not.toContain('agent-test-secret');
    expect(stdout).not.toContain('sk-test-model-key');
    // The model was checked with a real (tiny) chat completion, not a model listing.
    expect(harness.model.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
    expect(report.checks[6].detail).toContain('answered a one-token request');
  });

  it('fails a base URL without /v1 (whose /models may well answer) and says to add /v1', async () => {
    harness = await startChatHarness({ connect: false });
    const withoutV1 = harness.model.baseUrl.replace(/\/v1$/, '');
    const { exitCode, stdout } = await cli(
      { ...environmentOf(harness), OPENAI_BASE_URL: withoutV1 },
      'doctor',
    );
    const model = JSON.parse(stdout).checks.find((check: any) => check.name === 'model endpoint');
    expect(exitCode).toBe(1);
    expect(model).toEqual({
      name: 'model endpoint',
      ok: false,
      detail: expect.stringContaining(`try OPENAI_BASE_URL=${withoutV1}/v1`),
    });
  });

  it('checks the model with one response in responses mode', async () => {
    harness = await startChatHarness({ connect: false });
    harness.model.script({ text: 'OK' });
    const environment = { ...environmentOf(harness), OPENAI_API_MODE: 'responses' };
    const { exitCode } = await cli(environment, 'doctor');
    expect(exitCode).toBe(0);
    expect(harness.model.requests.map((request) => request.path)).toEqual(['/v1/responses']);
  });

  it('says that no model is configured when there is no key and the default OpenAI URL', async () => {
    harness = await startChatHarness({ connect: false });
    const environment: Record<string, string> = { ...environmentOf(harness) };
    delete environment.OPENAI_API_KEY;
    delete environment.OPENAI_BASE_URL;
    const { stdout } = await cli(environment, 'doctor');
    const model = JSON.parse(stdout).checks.find((check: any) => check.name === 'model endpoint');
    expect(model).toMatchObject({ ok: false, detail: `${NO_MODEL_CONFIGURED}.` });
  });

  it('says in plain words what is wrong: bad app credentials, an unknown server, a model endpoint that is down', async () => {
    harness = await startChatHarness({ connect: false });
    const environment = {
      ...environmentOf(harness),
      WPS_APP_KEY: 'wrong-secret',
      WPS_MCP_SERVERS: 'kso-yundoc,kso-nope',
      OPENAI_BASE_URL: 'http://127.0.0.1:1/v1',
    };
    const { exitCode, stdout } = await cli(environment, 'doctor');
    const report = JSON.parse(stdout);
    const byName = Object.fromEntries(report.checks.map((check: any) => [check.name, check]));
    expect(exitCode).toBe(1);
    expect(report.ok).toBe(false);
    expect(byName['wps token endpoint']).toMatchObject({
      ok: false,
      detail: expect.stringContaining('check WPS_APP_ID and WPS_APP_KEY'),
    });
    expect(byName['mcp kso-nope']).toMatchObject({
      ok: false,
      detail: expect.stringContaining('does not exist'),
    });
    expect(byName['mcp kso-yundoc'].ok).toBe(true);
    expect(byName['model endpoint']).toMatchObject({
      ok: false,
      detail: expect.stringContaining('Cannot reach'),
    });
  });
});
