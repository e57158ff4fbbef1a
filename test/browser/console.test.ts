import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentHarness, type AgentHarnessOptions, startAgentHarness } from '../support/agent-harness.js';
import { CHROMIUM, launchChromium } from '../support/browser.js';
import { buildConsole, screenshotDir } from '../support/browser-console.js';
import { createScriptedModel, lastToolResults, type ScriptedModel } from '../support/scripted-model/index.js';

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing && !process.env.CI) {
  console.warn(
    `Skipping the browser tests: ${CHROMIUM} is missing (apt-get install -y chromium). In CI they run.`,
  );
}

const PHONE = { width: 375, height: 740 };
const WIDE = { width: 1280, height: 820 };

/** The edit the scripted model makes: the Q3 plan gains this section. */
const RISKS_SECTION = '## Risks 风险\n\n- Supplier delays 供应商延期\n- Hiring freeze';
/** A reply that tries every way Markdown could run script: none may work. */
const FINAL_REPLY = [
  'I added a **Risks** section to the Q3 plan. 已添加“风险”一节。',
  '',
  '<img src="x" onerror="window.__pwned = true"> <script>window.__pwned = true</script>',
  '',
  '[a link](javascript:window.__pwned=true) and [the plan](https://example.com/q3)',
].join('\n');

describe.skipIf(chromiumMissing && !process.env.CI)('web console in a real browser', () => {
  let model: ScriptedModel;
  let harness: AgentHarness;
  let consoleUrl: string;
  let distDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let apiKey: string;

  async function screenshot(name: string) {
    for (const [label, viewport] of [
      ['wide', WIDE],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: path.join(screenshotDir, `${name}-${label}.png`), fullPage: false });
    }
    await page.setViewportSize(WIDE);
  }

  beforeAll(async () => {
    distDir = await buildConsole();

    model = await createScriptedModel();
    const options: AgentHarnessOptions & { consoleDistDir: string } = {
      consoleDistDir: distDir,
      env: { OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'test' },
    };
    harness = await startAgentHarness(options);
    consoleUrl = harness.url;
    apiKey = (await harness.createUser('Alice 爱丽丝')).apiKey;

    browser = await launchChromium();
    context = await browser.newContext({ viewport: WIDE, acceptDownloads: true, locale: 'en-US' });
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    await model?.close();
    if (distDir) rmSync(distDir, { recursive: true, force: true });
  });

  it('refuses an unknown API key with a clear message, then signs in and shows the user and WPS state', async () => {
    await page.goto(consoleUrl);
    await page.getByTestId('sign-in-key').fill('not-a-key');
    await page.getByTestId('sign-in-submit').click();
    await expect
      .poll(() => page.getByTestId('sign-in-error').textContent())
      .toContain('unknown or has been revoked');
    await screenshot('01-sign-in');

    await page.getByTestId('sign-in-key').fill(apiKey);
    await page.keyboard.press('Enter');
    await page.getByTestId('user-name').getByText('Alice 爱丽丝').waitFor();
    await expect.poll(() => page.getByTestId('wps-status').getAttribute('data-status')).toBe('not_connected');
    // The key is kept for this tab only.
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    expect(await page.evaluate('localStorage.length')).toBe(0);
  });

  it('connects WPS through the sandbox consent page with no extra step; the window closes itself', async () => {
    const [popup] = await Promise.all([
      context.waitForEvent('page'),
      page.getByTestId('wps-connect').click(),
    ]);
    await popup.waitForSelector('#account-alice');
    await popup.check('#account-alice');
    const callback = popup.waitForResponse((response) => response.url().includes('/callback?'));
    await popup.click('#approve');
    // The console's browser carries the binding cookie: connected at once, no API-key confirmation.
    const callbackAnswer = await callback;
    expect(callbackAnswer.status()).toBe(200);
    expect(await callbackAnswer.text()).toContain(
      'connected to agent user «<strong data-testid="connected-user">Alice 爱丽丝</strong>»',
    );
    await expect
      .poll(() => page.getByTestId('wps-status').getAttribute('data-status'), { timeout: 8_000 })
      .toBe('connected');
    await expect.poll(() => popup.isClosed(), { timeout: 8_000 }).toBe(true);
  });

  it('asks for an edit, shows the diff for approval, and writes only once approved', async () => {
    model.setLatency(250);
    let plan: { id: string; drive_id: string } | undefined;
    model.script(
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
      (request) => {
        plan = JSON.parse(lastToolResults(request)[0]?.content ?? '{}').items[0].file;
        return {
          toolCalls: [
            {
              name: 'kso_yundoc_extract_yundoc_content',
              arguments: { drive_id: plan?.drive_id, file_id: plan?.id },
            },
          ],
        };
      },
      (request) => {
        const extracted = JSON.parse(lastToolResults(request)[0]?.content ?? '{}');
        return {
          toolCalls: [
            {
              name: 'kso_airpage_import_markdown_data',
              arguments: {
                file_id: plan?.id,
                markdown_content: `${extracted.markdown}\n\n${RISKS_SECTION}\n`,
              },
            },
          ],
        };
      },
      { text: FINAL_REPLY },
    );

    await page.getByTestId('chat-input').fill('Add a risks section to the Q3 plan');
    await page.getByTestId('chat-input').press('Enter');
    // The first card shows up while the turn is still running.
    await page.getByTestId('tool-card').first().waitFor();
    expect(await page.getByTestId('chat-status').getAttribute('data-status')).toMatch(/submitted|streaming/);
    // The write waits for approval: one sentence, a coloured diff, Approve / Deny. Nothing written yet.
    const approval = page.getByTestId('approval-card');
    await approval.waitFor({ timeout: 10_000 });
    await expect.poll(() => approval.getByTestId('diff').count()).toBe(1);
    expect(await approval.getByTestId('approval-description').textContent()).toMatch(
      /wants to run kso_airpage_import_markdown_data on kso-airpage/,
    );
    expect(await approval.getByTestId('edit-summary').textContent()).toMatch(/adds \d+ lines, removes 0/);
    expect(
      await approval.locator('.diff-add').evaluateAll((lines) => lines.map((line) => line.textContent)),
    ).toContain('+## Risks 风险\n');
    expect(await approval.locator('.diff-fold').count()).toBeGreaterThan(0);
    expect(
      harness.sandbox.documents('alice').find((document) => document.id === plan?.id)?.markdown,
    ).not.toContain('## Risks 风险');
    await screenshot('02a-approval');
    // Keyboard: Tab from the reason field reaches Approve; Enter presses it.
    await approval.getByTestId('approval-reason').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe(
      'approval-approve',
    );
    await page.keyboard.press('Enter');
    await page.getByTestId('assistant-text').getByText('已添加').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('chat-status').getAttribute('data-status')).toBe('ready');

    const cards = page.getByTestId('tool-card');
    expect(
      await cards.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-tool'))),
    ).toEqual([
      'kso_yundoc_search_yundoc',
      'kso_yundoc_extract_yundoc_content',
      'kso_airpage_import_markdown_data',
    ]);
    expect(
      await cards.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-state'))),
    ).toEqual(['ok', 'ok', 'ok']);
    // The write's card shows its change as a diff, not the raw Markdown.
    expect(await cards.nth(2).getByTestId('tool-change-summary').textContent()).toMatch(/adds \d+ lines/);
    expect(await cards.nth(2).getByTestId('tool-arguments').count()).toBe(0);
    await cards.first().locator('summary').click();
    expect(await cards.first().getByTestId('tool-arguments').textContent()).toContain('"keyword": "Q3"');
    expect(await cards.first().getByTestId('tool-result').textContent()).toContain('Q3');

    // The edit really happened in the (sandbox) WPS document.
    const edited = harness.sandbox.documents('alice').find((document) => document.id === plan?.id);
    expect(edited?.markdown).toContain('## Risks 风险');

    // Markdown is rendered, and nothing in it ran or links to script.
    expect(await page.getByTestId('assistant-text').locator('strong').first().textContent()).toBe('Risks');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('[data-testid="messages"] img, [data-testid="messages"] script').count()).toBe(
      0,
    );
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    await screenshot('02-chat');
  });

  it('stops a turn that hangs, and the chat returns to idle', async () => {
    model.setLatency(0);
    model.script({ hang: true });
    const requestsBefore = model.requests.length;
    await page.getByTestId('chat-input').fill('继续：再加一个结论部分');
    await page.getByTestId('chat-send').click();
    await page.getByTestId('chat-stop').waitFor();
    await expect.poll(() => model.requests.length).toBeGreaterThan(requestsBefore);
    await page.getByTestId('chat-stop').click();
    await page.getByTestId('chat-send').waitFor();
    await expect.poll(() => page.getByTestId('chat-status').getAttribute('data-status')).toBe('ready');
    // The agent saw the browser go away and gave up on the model too.
    await expect.poll(() => model.requests.at(-1)?.aborted, { timeout: 5_000 }).toBe(true);
  });

  it('lists the conversation, shows its transcript with tool calls, and exports it as JSON', async () => {
    await page.getByTestId('nav-conversations').click();
    const item = page.getByTestId('conversation-item').first();
    await item.waitFor();
    await item.locator('.conversation-link').click();
    await page.getByTestId('transcript-title').waitFor();
    await expect.poll(() => page.getByTestId('transcript').getByTestId('tool-card').count()).toBe(3);
    await screenshot('03-transcript');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-conversation').click(),
    ]);
    const exported = JSON.parse(readFileSync((await download.path()) ?? '', 'utf8'));
    expect(download.suggestedFilename()).toBe(`conversation-${exported.id}.json`);
    expect(
      exported.messages.some((message: { text: string }) => message.text?.includes('risks section')),
    ).toBe(true);

    // Continuing it in the chat shows the earlier turns, and the next turn goes to the same conversation.
    await page.getByTestId('continue-conversation').click();
    await page.getByTestId('message').first().waitFor();
    expect(await page.getByTestId('tool-card').count()).toBe(3);
    model.script({ text: 'Done. 完成。' });
    await page.getByTestId('chat-input').fill('Thanks');
    await page.getByTestId('chat-input').press('Enter');
    await page.getByText('完成').waitFor();
    const conversations = await harness.api(apiKey, 'GET', '/v1/conversations');
    expect(conversations.body.conversations).toHaveLength(1);
  });

  it('reviews tool calls across conversations with filters and load more', async () => {
    for (let index = 0; index < 26; index++) {
      await harness.api(apiKey, 'POST', '/v1/tools/call', {
        name: 'kso_yundoc_search_yundoc',
        arguments: { keyword: index === 0 ? '' : `plan ${index}` },
      });
    }
    await page.getByTestId('nav-tool-calls').click();
    const rows = page.getByTestId('tool-call-row');
    await expect.poll(() => rows.count()).toBe(25);
    await page.getByTestId('load-more').click();
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(26);

    await page.getByTestId('filter-status').selectOption('error');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-status')).toBe('error');
    await screenshot('04-tool-calls');

    await page.getByTestId('filter-clear').click();
    await page.getByTestId('filter-source').selectOption('direct');
    await expect.poll(() => rows.count()).toBe(25);
    await page.getByTestId('filter-source').selectOption('chat');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.evaluateAll((elements) => elements.map((element) => element.dataset.source))).toEqual([
      'chat',
      'chat',
      'chat',
    ]);
    await page.getByTestId('filter-name').fill('kso_airpage_import_markdown_data');
    await page.getByTestId('filter-name').press('Enter');
    await expect.poll(() => rows.count()).toBe(1);
  });

  it('reverts the edit from the transcript after a confirmation', async () => {
    const original = harness.sandbox.documents('alice').find((document) => document.name.startsWith('Q3'));
    expect(original?.markdown).toContain('## Risks 风险');
    await page.getByTestId('nav-conversations').click();
    await page.getByTestId('conversation-item').first().locator('.conversation-link').click();
    const write = page.getByTestId('transcript').locator('.tool-card-with-actions');
    await write.waitFor();
    await write.getByTestId('revert-button').click();
    await write.getByTestId('revert-confirm').waitFor();
    await screenshot('05-revert-confirm');
    await write.getByTestId('revert-confirm').click();
    await expect
      .poll(
        () => harness.sandbox.documents('alice').find((document) => document.id === original?.id)?.markdown,
      )
      .not.toContain('## Risks 风险');
    const reverts = await harness.api(apiKey, 'GET', '/v1/tool-calls?source=revert');
    expect(reverts.body.toolCalls).toHaveLength(1);
    await page.getByTestId('nav-tool-calls').click();
    await page.getByTestId('filter-source').selectOption('revert');
    await expect.poll(() => page.getByTestId('tool-call-row').count()).toBe(1);
    await screenshot('06-review-reverts');
  });

  it('asks for another edit, and a denial writes nothing and tells the model', async () => {
    await page.getByTestId('nav-chat').click();
    await page.getByTestId('new-chat').click();
    const plan = harness.sandbox.documents('alice').find((document) => document.name.startsWith('Q3'));
    let toldModel = '';
    model.script(
      {
        toolCalls: [
          {
            name: 'kso_airpage_import_markdown_data',
            arguments: { file_id: plan?.id, markdown_content: '# Q3\n\nOnly this line.\n' },
          },
        ],
      },
      (request) => {
        toldModel = lastToolResults(request)[0]?.content ?? '';
        return { text: 'Understood, I left the plan alone.' };
      },
    );
    await page.getByTestId('chat-input').fill('Replace the Q3 plan with one line');
    await page.getByTestId('chat-input').press('Enter');
    const approval = page.getByTestId('approval-card');
    await approval.waitFor({ timeout: 10_000 });
    // Removing most of the document is flagged loudly.
    expect(await approval.getByTestId('edit-summary').textContent()).toMatch(/WARNING: removes \d+%/);
    await screenshot('07-destructive-approval');
    await approval.getByTestId('approval-reason').fill('Keep the plan');
    await approval.getByTestId('approval-deny').click();
    await page.getByText('left the plan alone').waitFor({ timeout: 10_000 });
    expect(toldModel).toMatch(/Keep the plan|denied/i);
    expect(harness.sandbox.documents('alice').find((document) => document.id === plan?.id)?.markdown).toBe(
      plan?.markdown,
    );
    expect(await page.getByTestId('tool-card').last().getByTestId('tool-state').textContent()).toBe('denied');
    const denied = await harness.api(apiKey, 'GET', '/v1/tool-calls?status=denied');
    expect(denied.body.toolCalls).toHaveLength(1);
    await screenshot('08-denied');
  });

  it('after Disconnect, a chat turn offers Connect, and connecting again works from there', async () => {
    await page.getByTestId('wps-disconnect').click();
    await expect.poll(() => page.getByTestId('wps-status').getAttribute('data-status')).toBe('not_connected');
    await page.getByTestId('nav-chat').click();
    const requestsBefore = model.requests.length;
    await page.getByTestId('chat-input').fill('Summarise the Q3 plan');
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('chat-connect').waitFor();
    // The agent refused before calling the model.
    expect(model.requests.length).toBe(requestsBefore);
    const [popup] = await Promise.all([
      context.waitForEvent('page'),
      page.getByTestId('chat-connect').click(),
    ]);
    await popup.waitForSelector('#account-alice');
    await popup.click('#approve');
    await expect
      .poll(() => page.getByTestId('wps-status').getAttribute('data-status'), { timeout: 8_000 })
      .toBe('connected');
    // The red "Connect your WPS account" card goes away by itself, and so does the consent window.
    await expect.poll(() => page.getByTestId('chat-error').count()).toBe(0);
    await expect.poll(() => popup.isClosed(), { timeout: 8_000 }).toBe(true);
    await screenshot('11-reconnected');
  });

  it('deletes a conversation only after a confirmation', async () => {
    const before = (await harness.api(apiKey, 'GET', '/v1/conversations')).body.conversations.length;
    expect(before).toBeGreaterThan(0);
    await page.getByTestId('nav-conversations').click();
    await page.getByTestId('conversation-item').first().locator('.conversation-link').click();
    await page.getByTestId('delete-conversation').click();
    // One click is not enough: nothing is gone until the confirmation.
    expect((await harness.api(apiKey, 'GET', '/v1/conversations')).body.conversations).toHaveLength(before);
    await page.getByTestId('confirm-delete').click();
    await expect
      .poll(async () => (await harness.api(apiKey, 'GET', '/v1/conversations')).body.conversations.length)
      .toBe(before - 1);
  });

  it('a refused key anywhere returns to sign-in with a message', async () => {
    await page.evaluate("sessionStorage.setItem('wps-agent.apiKey', 'revoked-key')");
    await page.reload();
    await page.getByTestId('sign-in-error').waitFor();
    expect(await page.getByTestId('sign-in-error').textContent()).toContain('Sign in again');
  });
});
