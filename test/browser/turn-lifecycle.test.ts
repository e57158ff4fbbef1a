import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { CHROMIUM, launchChromium, skipBrowserTests } from '../support/browser.js';
import { buildConsole, screenshotDir, signIn } from '../support/browser-console.js';
import { createScriptedModel, type ScriptedModel } from '../support/scripted-model/index.js';

const WIDE = { width: 1280, height: 820 };
const search = { name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } };

if (skipBrowserTests) console.warn(`Skipping the turn browser tests: ${CHROMIUM} is missing.`);

describe.skipIf(skipBrowserTests)('how a chat turn ends, in a real browser', () => {
  let distDir: string;
  let browser: Browser;
  let model: ScriptedModel;
  let harness: AgentHarness;
  let page: Page;
  let apiKey: string;

  const screenshot = (name: string) => page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
  const chatRequests = () => model.requests.filter((request) => request.path.endsWith('/chat/completions'));
  const transcriptOfFirstConversation = async () => {
    const list = await harness.api(apiKey, 'GET', '/v1/conversations');
    return (await harness.api(apiKey, 'GET', `/v1/conversations/${list.body.conversations[0].id}`)).body;
  };

  beforeAll(async () => {
    distDir = await buildConsole();
    browser = await launchChromium();
    model = await createScriptedModel();
    harness = await startAgentHarness({
      consoleDistDir: distDir,
      env: { OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'test' },
    });
    apiKey = (await harness.createUser('Bea')).apiKey;
    await harness.connectWps(apiKey, 'alice');
    page = await (await browser.newContext({ viewport: WIDE, locale: 'en-US' })).newPage();
    await signIn(page, harness.url, apiKey);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    await model?.close();
    if (distDir) rmSync(distDir, { recursive: true, force: true });
  });

  it('"Try again" after a failed turn retries the same message: it is stored once', async () => {
    model.script({ error: { status: 400, body: { error: { message: 'The model had a bad day' } } } });
    await page.getByTestId('chat-input').fill('Summarise the Q3 plan');
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('chat-error').getByText('bad day').waitFor();
    await screenshot('turn-01-failed');

    model.script({ text: 'Here is the Q3 plan in short.' });
    await page.getByTestId('chat-retry').click();
    await page.getByTestId('assistant-text').getByText('in short').waitFor();
    const transcript = await transcriptOfFirstConversation();
    expect(transcript.messages.filter((message: { role: string }) => message.role === 'user')).toHaveLength(
      1,
    );
    expect(transcript.messages.map((message: { status: string }) => message.status)).toEqual([
      'complete',
      'error',
      'complete',
    ]);
    // The chat shows the message once too.
    expect(await page.locator('[data-testid="message"][data-role="user"]').count()).toBe(1);
  });

  it('Stop after the first tool step says "Stopped", in chat and in the transcript, and is stored aborted', async () => {
    await page.getByTestId('new-chat').click();
    model.script({ toolCalls: [search] }, { hang: true });
    const requestsBefore = chatRequests().length;
    await page.getByTestId('chat-input').fill('Find the Q3 plan and wait');
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('tool-card').first().waitFor();
    await expect.poll(() => chatRequests().length).toBe(requestsBefore + 2);
    await page.getByTestId('chat-stop').click();
    await page.getByTestId('turn-stopped').waitFor();
    await screenshot('turn-02-stopped-chat');
    await expect
      .poll(async () =>
        (await transcriptOfFirstConversation()).messages.map((message: any) => message.status),
      )
      .toEqual(['complete', 'aborted']);

    await page.getByTestId('nav-conversations').click();
    await page.getByTestId('conversation-item').first().locator('.conversation-link').click();
    await page.getByTestId('transcript').getByTestId('turn-stopped').waitFor();
    await screenshot('turn-03-stopped-transcript');
    // Continued in the chat, the stopped turn still says so.
    await page.getByTestId('continue-conversation').click();
    // In the chat's messages: the transcript page may still be leaving the DOM for a moment.
    await page.getByTestId('messages').getByTestId('turn-stopped').waitFor();
  });

  it('with no model configured, the chat says what to set before the first message', async () => {
    const unconfigured = await startAgentHarness({
      consoleDistDir: distDir,
      env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: 'https://api.openai.com/v1' },
    });
    try {
      const key = (await unconfigured.createUser('Cy')).apiKey;
      const fresh = await (await browser.newContext({ viewport: WIDE, locale: 'en-US' })).newPage();
      page = fresh;
      await signIn(fresh, unconfigured.url, key);
      const notice = fresh.getByTestId('model-notice');
      await notice.waitFor();
      expect(await notice.textContent()).toBe(
        'No model is configured: set OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL (environment or .env); any OpenAI-compatible endpoint works',
      );
      await screenshot('turn-04-no-model');
    } finally {
      await unconfigured.close();
    }
  });
});
