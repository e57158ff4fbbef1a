import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { launchChromium, skipBrowserTests } from '../support/browser.js';
import { buildConsole, screenshotDir, signIn, WIDE } from '../support/browser-console.js';

describe.skipIf(skipBrowserTests)('console addresses in a real browser', () => {
  let harness: AgentHarness;
  let distDir: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    distDir = await buildConsole();
    harness = await startAgentHarness({ consoleDistDir: distDir });
    const { apiKey } = await harness.createUser('Alice');
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: WIDE })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await signIn(page, harness.url, apiKey);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (distDir) rmSync(distDir, { recursive: true, force: true });
  });

  it('a malformed address (#/chat/%) shows the not-found page, opened directly or navigated to', async () => {
    await page.goto(`${harness.url}/#/chat/%`);
    await page.getByTestId('not-found').waitFor();
    await page.reload();
    await page.getByTestId('not-found').getByText('Page not found').waitFor();
    // The header is still there: the person can go on from here.
    await page.getByTestId('user-name').getByText('Alice').waitFor();
    await page.screenshot({ path: path.join(screenshotDir, 'hash-route-not-found.png') });
    await page.goto(`${harness.url}/#/conversations/%E0%A4%A`);
    await page.getByTestId('not-found').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('an unknown section shows it too, and the link leads back to the chat', async () => {
    await page.goto(`${harness.url}/#/nowhere`);
    await page.getByTestId('not-found').waitFor();
    await page.getByText('Go to the chat').click();
    await expect.poll(() => page.getByTestId('not-found').count()).toBe(0);
    expect(new URL(page.url()).hash).toBe('#/chat');
  });
});
