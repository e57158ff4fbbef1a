import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const chromiumMissing = !existsSync(CHROMIUM);
const projectRoot = path.resolve(import.meta.dirname, '../..');
const screenshotDir = path.join(projectRoot, 'screenshots');

describe.skipIf(chromiumMissing && !process.env.CI)('console addresses in a real browser', () => {
  let harness: AgentHarness;
  let distDir: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    distDir = mkdtempSync(path.join(tmpdir(), 'wps-agent-console-'));
    // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({
        configFile: path.join(projectRoot, 'web/vite.config.ts'),
        mode: 'production',
        build: { outDir: distDir, emptyOutDir: true, sourcemap: false },
        logLevel: 'warn',
      });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    mkdirSync(screenshotDir, { recursive: true });
    harness = await startAgentHarness({ consoleDistDir: distDir });
    const { apiKey } = harness.createUser('Alice');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(harness.url);
    await page.getByTestId('sign-in-key').fill(apiKey);
    await page.keyboard.press('Enter');
    await page.getByTestId('user-name').getByText('Alice').waitFor();
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
