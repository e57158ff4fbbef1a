import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wpsConnectionsTable } from '../../src/wps-auth/wps-auth.tables.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { launchChromium, skipBrowserTests } from '../support/browser.js';

const screenshotDir = path.resolve(import.meta.dirname, '../../screenshots');

/**
 * The account-linking attack played in a real browser: the authorize link is opened in a fresh browser
 * context (no cookie of the agent's), as a forwarded link or a curl user's link would be.
 */
describe.skipIf(skipBrowserTests)('an authorize link opened in another browser', () => {
  let harness: AgentHarness;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(screenshotDir, { recursive: true });
    harness = await startAgentHarness();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });

  /** A fresh browser context opens the link, picks the WPS account, approves: where does it land? */
  async function approveInFreshBrowser(authorizeUrl: string, account: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 900, height: 700 }, locale: 'en-US' });
    const page = await context.newPage();
    // Fail with Playwright's own message, well inside the test's time limit.
    page.setDefaultTimeout(5_000);
    await page.goto(authorizeUrl);
    await page.check(`#account-${account}`);
    await page.click('#approve');
    await page.waitForURL(/\/callback\?/);
    return page;
  }

  const authorizeUrlOf = async (apiKey: string) =>
    (await harness.api(apiKey, 'POST', '/v1/wps/authorize')).body.authorizeUrl as string;

  it("bob approving mallory's link connects nothing: the page asks for mallory's key", async () => {
    const mallory = await harness.createUser('mallory');
    const bob = await harness.createUser('bob');
    const page = await approveInFreshBrowser(await authorizeUrlOf(mallory.apiKey), 'bob');
    await page.getByText('Connect this WPS authorization to agent user «mallory»?').waitFor();
    const code = new URL(page.url()).searchParams.get('code') ?? '';
    expect(code.length).toBeGreaterThan(8);
    expect(await page.content()).not.toContain(code);
    await page.screenshot({ path: path.join(screenshotDir, 'binding-01-confirmation.png') });

    await page.fill('#api-key', bob.apiKey);
    await Promise.all([page.waitForURL(/\/callback\/confirm$/), page.click('button[type=submit]')]);
    await page.getByText('That API key does not belong to agent user «mallory»').waitFor();
    expect(await page.content()).not.toContain(bob.apiKey);
    await page.screenshot({ path: path.join(screenshotDir, 'binding-02-wrong-key.png') });

    expect((await harness.api(mallory.apiKey, 'GET', '/v1/me')).body.wps.status).toBe('not_connected');
    const search = await harness.api(mallory.apiKey, 'POST', '/v1/tools/call', {
      name: 'kso_yundoc_search_yundoc',
      arguments: { keyword: 'Private Notes' },
    });
    expect(search.status).toBe(409);
    expect(harness.db.select().from(wpsConnectionsTable).all()).toEqual([]);
    await page.context().close();
  });

  it('the starting user completes it with their own API key; the page names them', async () => {
    const ann = await harness.createUser('ann');
    const page = await approveInFreshBrowser(await authorizeUrlOf(ann.apiKey), 'alice');
    await page.fill('#api-key', ann.apiKey);
    await Promise.all([page.waitForURL(/\/callback\/confirm$/), page.click('button[type=submit]')]);
    expect(await page.getByTestId('connected-user').textContent()).toBe('ann');
    await page.screenshot({ path: path.join(screenshotDir, 'binding-03-confirmed.png') });
    expect((await harness.api(ann.apiKey, 'GET', '/v1/me')).body.wps.status).toBe('connected');
    await page.context().close();
  });
});
