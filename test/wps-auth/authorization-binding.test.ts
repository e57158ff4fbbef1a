import { afterEach, describe, expect, it } from 'vitest';
import { createWpsSandbox } from '../../src/sandbox/index.js';
import { pendingAuthorizationsTable, wpsConnectionsTable } from '../../src/wps-auth/wps-auth.tables.js';
import { type AgentHarness, passConsent, startAgentHarness } from '../support/agent-harness.js';
import { expectNoWpsSecretsLeaked } from '../support/secrets.js';

let harness: AgentHarness;
afterEach(async () => {
  await harness?.close();
});

const searchFor = (keyword: string) => ({ name: 'kso_yundoc_search_yundoc', arguments: { keyword } });
const storedConnections = () => harness.db.select().from(wpsConnectionsTable).all();
const pendingRows = () => harness.db.select().from(pendingAuthorizationsTable).all();
const statusOf = async (apiKey: string) => (await harness.api(apiKey, 'GET', '/v1/me')).body.wps.status;

/** What curl users do: take the URL from the API answer, drop its cookie, open the link elsewhere. */
async function startWithoutCookie(apiKey: string): Promise<string> {
  const { body } = await harness.api(apiKey, 'POST', '/v1/wps/authorize');
  return body.authorizeUrl;
}

/** Another browser (no binding cookie) passes WPS's consent and lands on the callback. */
async function landWithoutBinding(authorizeUrl: string, account: string) {
  const callbackUrl = await passConsent(authorizeUrl, account, 'approve');
  const response = await fetch(callbackUrl);
  return { callbackUrl, response, html: await response.text() };
}

const confirmationTokenIn = (html: string) =>
  /name="confirmation" value="([^"]+)"/.exec(html)?.[1] ?? 'missing-token';

function confirm(confirmation: string, apiKey: string, headers: Record<string, string> = {}) {
  return fetch(`${harness.url}/callback/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ confirmation, apiKey }),
  });
}

describe('an authorize link forwarded to another person (account-linking CSRF)', () => {
  it("bob approving mallory's link with curl-like requests connects nothing and exposes nothing of bob's", async () => {
    harness = await startAgentHarness();
    const mallory = await harness.createUser('mallory');
    const bob = await harness.createUser('bob');
    const link = await startWithoutCookie(mallory.apiKey);

    const landing = await landWithoutBinding(link, 'bob');
    expect(landing.response.status).toBe(200);
    expect(landing.html).toContain('Connect this WPS authorization to agent user «mallory»?');
    expect(landing.html).toContain('If you are not «mallory»');
    const code = new URL(landing.callbackUrl).searchParams.get('code') ?? '';
    expect(code.length).toBeGreaterThan(8);
    expect(landing.html).not.toContain(code);

    // bob, not having mallory's key, tries his own: still nothing is connected.
    const wrong = await confirm(confirmationTokenIn(landing.html), bob.apiKey);
    expect(wrong.status).toBe(400);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain('does not belong to agent user «mallory»');
    expect(wrongHtml).not.toContain(bob.apiKey);

    // mallory knows the state: replaying the callback with a made-up code gets her only a failing exchange.
    const state = new URL(link).searchParams.get('state') ?? '';
    const forged = await fetch(`${harness.url}/callback?state=${state}&code=made-up`);
    const forgedConfirm = await confirm(confirmationTokenIn(await forged.text()), mallory.apiKey);
    expect(forgedConfirm.status).toBe(400);
    expect(await forgedConfirm.text()).toContain('did not accept');

    expect(await statusOf(mallory.apiKey)).toBe('not_connected');
    const search = await harness.api(mallory.apiKey, 'POST', '/v1/tools/call', searchFor('Private Notes'));
    expect(search.status).toBe(409);
    expect(search.body.error.code).toBe('wps_authorization_required');
    expect(storedConnections()).toEqual([]);
    expectNoWpsSecretsLeaked(harness, [landing.html, wrongHtml]);
  });
});

describe('the curl path: confirming in the browser with the API key', () => {
  /** ann started without keeping the cookie and passed consent in another browser; ben is another user. */
  async function annLandedWithoutBinding() {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const ben = await harness.createUser('ben');
    const landing = await landWithoutBinding(await startWithoutCookie(ann.apiKey), 'alice');
    return { ann, ben, token: confirmationTokenIn(landing.html) };
  }

  it("the starting user's key completes it and the page names the agent user now connected", async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const landing = await landWithoutBinding(await startWithoutCookie(ann.apiKey), 'alice');
    expect(await statusOf(ann.apiKey)).toBe('not_connected');

    const confirmed = await confirm(confirmationTokenIn(landing.html), ann.apiKey, {
      origin: harness.url,
    });
    expect(confirmed.status).toBe(200);
    const html = await confirmed.text();
    expect(html).toContain('connected to agent user «<strong data-testid="connected-user">ann</strong>»');
    expect(html).not.toContain(ann.apiKey);
    expect(await statusOf(ann.apiKey)).toBe('connected');
    const search = await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    expect(search.status).toBe(200);
    expect(harness.logs.join('\n')).not.toContain(ann.apiKey);
    expectNoWpsSecretsLeaked(harness, [landing.html, html]);
  });

  it('a wrong key is refused without burning the state; the right key still completes', async () => {
    const { ann, ben, token } = await annLandedWithoutBinding();
    for (const key of [ben.apiKey, 'wpsa_not-a-real-key', '']) {
      const wrong = await confirm(token, key);
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain('does not belong to agent user «ann»');
    }
    expect(await statusOf(ann.apiKey)).toBe('not_connected');
    expect((await confirm(token, ann.apiKey)).status).toBe(200);
    expect(await statusOf(ann.apiKey)).toBe('connected');
    expect(await statusOf(ben.apiKey)).toBe('not_connected');
  });

  it('five wrong keys cancel the authorization: the right key then connects nothing', async () => {
    const { ann, ben, token } = await annLandedWithoutBinding();
    const answers: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++)
      answers.push(await (await confirm(token, ben.apiKey)).text());
    expect(answers[3]).toContain('1 try left');
    expect(answers[4]).toContain('was cancelled');
    const late = await confirm(token, ann.apiKey);
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('was cancelled');
    expect(storedConnections()).toEqual([]);
    expect(pendingRows()[0]?.codeCiphertext).toBeNull();
  });

  it('a replayed confirmation is refused and stores nothing new', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const landing = await landWithoutBinding(await startWithoutCookie(ann.apiKey), 'alice');
    const token = confirmationTokenIn(landing.html);
    expect((await confirm(token, ann.apiKey)).status).toBe(200);
    const [before] = storedConnections();
    const replay = await confirm(token, ann.apiKey);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already been used');
    // The callback itself cannot be replayed into a second confirmation page either.
    const again = await fetch(landing.callbackUrl);
    expect(again.status).toBe(400);
    expect(storedConnections()).toEqual([before]);
  });

  it('a held code expires with the WPS code it stands for', async () => {
    let now = Date.now();
    harness = await startAgentHarness({ clock: { now: () => now } });
    const ann = await harness.createUser('ann');
    const landing = await landWithoutBinding(await startWithoutCookie(ann.apiKey), 'alice');
    now += 11 * 60_000;
    const late = await confirm(confirmationTokenIn(landing.html), ann.apiKey);
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('expired');
    expect(storedConnections()).toEqual([]);
  });

  it('a confirmation posted from another site is refused and connects nothing', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const landing = await landWithoutBinding(await startWithoutCookie(ann.apiKey), 'alice');
    const token = confirmationTokenIn(landing.html);
    const crossSite = await confirm(token, ann.apiKey, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const fetchMetadata = await confirm(token, ann.apiKey, {
      'sec-fetch-site': 'cross-site',
      origin: 'null',
    });
    expect(fetchMetadata.status).toBe(403);
    const opaqueOrigin = await confirm(token, ann.apiKey, { origin: 'null' });
    expect(opaqueOrigin.status).toBe(403);
    expect(storedConnections()).toEqual([]);
    // What Chromium sends from the confirmation page itself (no-referrer makes its Origin `null`).
    const sameOrigin = await confirm(token, 'wpsa_wrong', {
      'sec-fetch-site': 'same-origin',
      origin: 'null',
    });
    expect(sameOrigin.status).toBe(400);
    expect((await confirm(token, ann.apiKey, { origin: harness.url })).status).toBe(200);
  });
});

describe('the binding cookie', () => {
  it('is HttpOnly, SameSite=Lax and scoped to the callback path; Secure when PUBLIC_URL is https', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const answer = await fetch(`${harness.url}/v1/wps/authorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ann.apiKey}` },
    });
    const [cookie] = answer.headers.getSetCookie();
    expect(cookie).toMatch(/^wps_binding_[0-9a-f]{16}=[\w-]{43};/);
    expect(cookie).toContain('Path=/callback');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).not.toContain('Secure');
    await harness.close();

    harness = await startAgentHarness({ env: { PUBLIC_URL: 'https://agent.example.com' } });
    const ben = await harness.createUser('ben');
    const secure = await fetch(`${harness.url}/v1/wps/authorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ben.apiKey}` },
    });
    expect(secure.headers.getSetCookie()[0]).toContain('Secure');
  });

  it('binds across instances sharing the database: the callback may land on another one', async () => {
    const sandbox = await createWpsSandbox({ allowLoopbackRedirects: true });
    harness = await startAgentHarness({ sandbox });
    const second = await startAgentHarness({ sandbox, dataDir: harness.dataDir });
    try {
      const ann = await harness.createUser('ann');
      const { authorizeUrl, cookie } = await harness.startAuthorization(ann.apiKey);
      const callback = new URL(await passConsent(authorizeUrl, 'alice', 'approve'));
      const answer = await fetch(`${second.url}/callback${callback.search}`, { headers: { cookie } });
      expect(answer.status).toBe(200);
      expect(await statusOf(ann.apiKey)).toBe('connected');
    } finally {
      await second.close();
      await sandbox.close();
    }
  });

  it("another authorization's cookie does not bind this one", async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const own = await harness.startAuthorization(ann.apiKey);
    const other = await harness.startAuthorization(ann.apiKey);
    const renamed = other.cookie.replace(/^wps_binding_\w+=/, `${own.cookie.split('=')[0]}=`);
    const callback = await fetch(await passConsent(own.authorizeUrl, 'alice', 'approve'), {
      headers: { cookie: renamed },
    });
    expect(await callback.text()).toContain('Connect this WPS authorization');
    expect(storedConnections()).toEqual([]);
  });
});

describe('every page of the flow', () => {
  function expectFlowHeaders(response: Response, html: string) {
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("form-action 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('script-src');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(html).not.toMatch(/<script|\son\w+=/i);
  }

  it('sends a strict CSP, no framing, nosniff and no referrer, whatever the outcome', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const pages: { name: string; response: Response }[] = [];
    const keep = (name: string, response: Response) => {
      pages.push({ name, response });
      return response;
    };
    keep('unknown state', await fetch(`${harness.url}/callback?code=x&state=unknown`));
    keep('missing state', await fetch(`${harness.url}/callback?code=x`));
    const bound = await harness.startAuthorization(ann.apiKey);
    keep(
      'bound success',
      await fetch(await passConsent(bound.authorizeUrl, 'alice', 'approve'), {
        headers: { cookie: bound.cookie },
      }),
    );
    const denied = await harness.startAuthorization(ann.apiKey);
    keep('denied', await fetch(await passConsent(denied.authorizeUrl, 'alice', 'deny')));
    const callbackUrl = await passConsent(await startWithoutCookie(ann.apiKey), 'alice', 'approve');
    const confirmation = keep('confirmation', await fetch(callbackUrl));
    const token = confirmationTokenIn(await confirmation.clone().text());
    keep('wrong key', await confirm(token, 'wpsa_wrong'));
    keep('cross site', await confirm(token, ann.apiKey, { origin: 'https://evil.example' }));
    keep('confirmed', await confirm(token, ann.apiKey));
    keep('replayed confirmation', await confirm(token, ann.apiKey));
    keep('unknown confirmation', await confirm('nope', ann.apiKey));

    expect(pages.map(({ name, response }) => `${name} ${response.status}`)).toEqual([
      'unknown state 400',
      'missing state 400',
      'bound success 200',
      'denied 400',
      'confirmation 200',
      'wrong key 400',
      'cross site 403',
      'confirmed 200',
      'replayed confirmation 400',
      'unknown confirmation 400',
    ]);
    for (const { response } of pages) expectFlowHeaders(response, await response.text());
  });
});
