import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MESSAGE_MAX_CHARS } from '../../src/agent/chat-message-limit.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { launchChromium, skipBrowserTests } from '../support/browser.js';
import { buildConsole, PHONE_390, screenshotBoth, WIDE } from '../support/browser-console.js';
import { createScriptedModel, type ScriptedModel } from '../support/scripted-model/index.js';

describe.skipIf(skipBrowserTests)("the console in a newcomer's first ten minutes", () => {
  let model: ScriptedModel;
  let harness: AgentHarness;
  let distDir: string;
  let browser: Browser;
  let page: Page;
  let apiKey: string;

  beforeAll(async () => {
    distDir = await buildConsole();
    model = await createScriptedModel();
    harness = await startAgentHarness({
      consoleDistDir: distDir,
      env: { OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'test', TOOL_APPROVAL: 'never' },
    });
    apiKey = (await harness.createUser('Bo 波')).apiKey;
    await harness.connectWps(apiKey, 'alice');
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: WIDE, locale: 'en-US' })).newPage();
    await page.goto(harness.url);
    await page.getByTestId('sign-in-key').fill(apiKey);
    await page.keyboard.press('Enter');
    await page.getByTestId('user-name').getByText('Bo 波').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    await model?.close();
    if (distDir) rmSync(distDir, { recursive: true, force: true });
  });

  it('names the connected WPS account in the header, and one nav name on every screen', async () => {
    await expect.poll(() => page.getByTestId('wps-status').getAttribute('data-status')).toBe('connected');
    expect(await page.getByTestId('wps-account').textContent()).toContain('alice');
    for (const viewport of [WIDE, PHONE_390]) {
      await page.setViewportSize(viewport);
      // biome-ignore lint/performance/useDomNodeTextContent: what is shown at this width is the point.
      expect(await page.getByTestId('nav-conversations').innerText()).toBe('History');
    }
    await page.setViewportSize(WIDE);
  });

  it('keeps a pasted message over the limit in the box, says the limit, and sends nothing', async () => {
    const requestsBefore = model.requests.length;
    const pasted = '粘贴'.repeat(100_000);
    await page.getByTestId('chat-input').fill(pasted);
    await page.getByTestId('chat-send').click();
    const notice = page.getByTestId('chat-limit');
    await notice.waitFor();
    expect(await notice.textContent()).toContain(
      `the limit is ${CHAT_MESSAGE_MAX_CHARS.toLocaleString('en-US')}`,
    );
    expect((await page.getByTestId('chat-input').inputValue()).length).toBe(pasted.length);
    expect(await page.getByTestId('message').count()).toBe(0);
    expect(model.requests.length).toBe(requestsBefore);
    await screenshotBoth(page, 'first-ten-message-limit');
    // Shortened below the limit, the notice goes and the message is sent.
    await page.getByTestId('chat-input').fill('Find the Q3 plan');
    expect(await notice.count()).toBe(0);
  });

  it('heads a new chat with its title once the first answer is there, and badges stay on one line at 390 px', async () => {
    model.script(
      // The longest name on the yundoc server: the head row that must not wrap at 390 px.
      {
        toolCalls: [
          { name: 'kso_yundoc_extract_yundoc_content', arguments: { drive_id: '1', file_id: '1' } },
        ],
      },
      { text: 'Found the Q3 plan.' },
    );
    expect(await page.getByTestId('chat-title').textContent()).toBe('New chat');
    await page.getByTestId('chat-send').click();
    await page.getByTestId('assistant-text').getByText('Found the Q3 plan.').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('chat-title').textContent()).toBe('Find the Q3 plan');

    await page.setViewportSize(PHONE_390);
    const badge = page.getByTestId('tool-state').first();
    const box = await badge.boundingBox();
    const lineHeight = Number(
      await page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('[data-testid=tool-state]')).lineHeight)",
      ),
    );
    expect(box?.height ?? 0).toBeLessThan(lineHeight * 1.5);
    // On the tool name's row, not wrapped onto a row of its own.
    const nameBox = await page.getByTestId('tool-name').first().boundingBox();
    const middle = (rectangle: { y: number; height: number } | null) =>
      rectangle ? rectangle.y + rectangle.height / 2 : Number.NaN;
    expect(Math.abs(middle(box) - middle(nameBox))).toBeLessThan(4);
    await screenshotBoth(page, 'first-ten-titled-chat');
  });

  it('follows /v1/me when the window regains focus: a connection made or lost elsewhere shows at once', async () => {
    expect((await harness.api(apiKey, 'DELETE', '/v1/wps/connection')).status).toBe(204);
    await page.evaluate("window.dispatchEvent(new Event('focus'))");
    await expect
      .poll(() => page.getByTestId('wps-status').getAttribute('data-status'), { timeout: 5_000 })
      .toBe('not_connected');
    expect(await page.getByTestId('wps-account').count()).toBe(0);
    await harness.connectWps(apiKey, 'bob');
    await page.evaluate("window.dispatchEvent(new Event('focus'))");
    await expect
      .poll(() => page.getByTestId('wps-account').textContent(), { timeout: 5_000 })
      .toContain('bob');
  });

  it('re-checks /v1/me after a 409: a chat refused for want of WPS also corrects the header', async () => {
    await harness.api(apiKey, 'DELETE', '/v1/wps/connection');
    // Nothing has told the page yet: the header still says connected.
    expect(await page.getByTestId('wps-status').getAttribute('data-status')).toBe('connected');
    await page.getByTestId('chat-input').fill('And the hiring table?');
    await page.getByTestId('chat-send').click();
    await expect
      .poll(() => page.getByTestId('wps-status').getAttribute('data-status'), { timeout: 5_000 })
      .toBe('not_connected');
  });
});
