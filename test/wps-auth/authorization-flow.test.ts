import { afterEach, describe, expect, it } from 'vitest';
import { type AgentHarness, passConsent, startAgentHarness } from '../support/agent-harness.js';

let harness: AgentHarness;
afterEach(async () => {
  await harness?.close();
});

const searchFor = (keyword: string) => ({ name: 'kso_yundoc_search_yundoc', arguments: { keyword } });
const fileNames = (body: any): string[] =>
  JSON.parse(body.result.content[0].text).items.map((item: any) => item.file.name);

describe('connecting WPS through the authorization-code flow', () => {
  it('two users connect different sandbox accounts and each sees only their own documents', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const ben = await harness.createUser('ben');

    expect((await harness.api(ann.apiKey, 'GET', '/v1/me')).body.wps.status).toBe('not_connected');
    const annCallback = await harness.connectWps(ann.apiKey, 'alice');
    const benCallback = await harness.connectWps(ben.apiKey, 'bob');
    expect(annCallback.status).toBe(200);
    expect(annCallback.html).toContain('you can close this window');
    expect(benCallback.status).toBe(200);

    const me = await harness.api(ann.apiKey, 'GET', '/v1/me');
    expect(me.body).toMatchObject({ user: { id: ann.id, name: 'ann' }, wps: { status: 'connected' } });
    expect(me.body.wps.scopes).toEqual([
      'kso.mcp_yundoc.readwrite',
      'kso.mcp_airpage.readwrite',
      'kso.mcp_dbsheet.readwrite',
    ]);
    expect(Date.parse(me.body.wps.expiresAt)).toBeGreaterThan(Date.now());

    const annSearch = await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    expect(annSearch.status).toBe(200);
    expect(fileNames(annSearch.body).join()).toContain('Q3');
    const benSearch = await harness.api(ben.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    expect(benSearch.status).toBe(200);
    expect(fileNames(benSearch.body)).toEqual([]);
    const benOwn = await harness.api(ben.apiKey, 'POST', '/v1/tools/call', searchFor('Private Notes'));
    expect(fileNames(benOwn.body).join()).toContain("Bob's Private Notes");
    const annForeign = await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Private Notes'));
    expect(fileNames(annForeign.body)).toEqual([]);
  });

  it('asks WPS for every configured scope, comma-joined, with its registered redirect URI', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const { body } = await harness.api(ann.apiKey, 'POST', '/v1/wps/authorize');
    const url = new URL(body.authorizeUrl);
    expect(url.origin + url.pathname).toBe(harness.sandbox.authorizeUrl);
    expect(url.searchParams.get('scope')).toBe(
      'kso.mcp_yundoc.readwrite,kso.mcp_airpage.readwrite,kso.mcp_dbsheet.readwrite',
    );
    expect(url.searchParams.get('redirect_uri')).toBe(`${harness.url}/callback`);
    expect(url.searchParams.get('client_id')).toBe('agent-test');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('state')?.length).toBeGreaterThanOrEqual(40);
    // Without discovery metadata nothing says WPS takes PKCE, so none is sent.
    expect(url.searchParams.has('code_challenge')).toBe(false);
  });

  it('with discovery served, uses the discovered endpoints and PKCE, and the flow completes', async () => {
    harness = await startAgentHarness({
      sandboxOptions: { discovery: true },
      env: {
        WPS_OAUTH_AUTHORIZE_URL: 'http://127.0.0.1:9/not-used',
        WPS_OAUTH_TOKEN_URL: 'http://127.0.0.1:9/not-used',
      },
    });
    const ann = await harness.createUser('ann');
    const { authorizeUrl, cookie } = await harness.startAuthorization(ann.apiKey);
    const url = new URL(authorizeUrl);
    expect(url.origin + url.pathname).toBe(harness.sandbox.authorizeUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const callback = await fetch(await passConsent(authorizeUrl, 'alice', 'approve'), {
      headers: { cookie },
    });
    expect(callback.status).toBe(200);
    const search = await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    expect(search.status).toBe(200);
  });

  it('two pending authorizations of one user (two tabs) each complete by their own state', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const first = await harness.startAuthorization(ann.apiKey);
    const second = await harness.startAuthorization(ann.apiKey);
    // One browser holds both tabs' bindings at once: each authorization has its own cookie.
    const cookie = `${first.cookie}; ${second.cookie}`;
    const secondCallback = await fetch(await passConsent(second.authorizeUrl, 'bob', 'approve'), {
      headers: { cookie },
    });
    expect(secondCallback.status).toBe(200);
    const firstCallback = await fetch(await passConsent(first.authorizeUrl, 'alice', 'approve'), {
      headers: { cookie },
    });
    expect(firstCallback.status).toBe(200);
    // The last completed authorization wins: alice's documents.
    const search = await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    expect(fileNames(search.body).join()).toContain('Q3');
  });
});

describe('callbacks that must store nothing', () => {
  async function connectedUser() {
    const user = await harness.createUser('ann');
    expect((await harness.connectWps(user.apiKey, 'alice')).status).toBe(200);
    return user;
  }
  const statusOf = async (apiKey: string) => (await harness.api(apiKey, 'GET', '/v1/me')).body.wps;

  it('a replayed callback is refused and the tokens stay as they were', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    const { authorizeUrl, cookie } = await harness.startAuthorization(user.apiKey);
    const callbackUrl = await passConsent(authorizeUrl, 'alice', 'approve');
    expect((await fetch(callbackUrl, { headers: { cookie } })).status).toBe(200);
    const before = await statusOf(user.apiKey);
    const replay = await fetch(callbackUrl, { headers: { cookie } });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already been used');
    expect(await statusOf(user.apiKey)).toEqual(before);
  });

  it('an unknown state, a missing state and a denied consent are 400 pages and store nothing', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    const unknown = await fetch(`${harness.url}/callback?code=abc&state=not-a-real-state`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('unknown');
    const missing = await fetch(`${harness.url}/callback?code=abc`);
    expect(missing.status).toBe(400);
    const denied = await harness.connectWps(user.apiKey, 'alice', 'deny');
    expect(denied.status).toBe(400);
    expect(denied.html).toContain('declined');
    expect((await statusOf(user.apiKey)).status).toBe('not_connected');
  });

  it('a wrong code fails the exchange and keeps the previous good tokens', async () => {
    harness = await startAgentHarness();
    const user = await connectedUser();
    const before = await statusOf(user.apiKey);
    const { authorizeUrl, cookie } = await harness.startAuthorization(user.apiKey);
    const callbackUrl = new URL(await passConsent(authorizeUrl, 'bob', 'approve'));
    callbackUrl.searchParams.set('code', 'forged-code');
    const answer = await fetch(callbackUrl, { headers: { cookie } });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('did not accept');
    expect(await statusOf(user.apiKey)).toEqual(before);
    const search = await harness.api(user.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    expect(fileNames(search.body).join()).toContain('Q3');
  });

  it('the state, not the code, decides which user a callback connects', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const ben = await harness.createUser('ben');
    const annStarted = await harness.startAuthorization(ann.apiKey);
    const annUrl = new URL(annStarted.authorizeUrl);
    const benStarted = await harness.startAuthorization(ben.apiKey);
    const benUrl = benStarted.authorizeUrl;
    const cookie = `${annStarted.cookie}; ${benStarted.cookie}`;
    // Ben's code with Ann's state: the state decides the user, and the code was issued for Ben's flow.
    const benCallback = new URL(await passConsent(benUrl, 'bob', 'approve'));
    benCallback.searchParams.set('state', annUrl.searchParams.get('state') ?? '');
    const crossed = await fetch(benCallback, { headers: { cookie } });
    expect(crossed.status).toBe(200);
    expect((await statusOf(ann.apiKey)).status).toBe('connected');
    expect((await statusOf(ben.apiKey)).status).toBe('not_connected');
    // Ben's own state is still pending and single-use: replaying it with a used code stores nothing.
    const benOwn = new URL(benCallback);
    benOwn.searchParams.set('state', new URL(benUrl).searchParams.get('state') ?? '');
    expect((await fetch(benOwn, { headers: { cookie } })).status).toBe(400);
    expect((await statusOf(ben.apiKey)).status).toBe('not_connected');
  });

  it('an expired state is refused', async () => {
    let now = Date.now();
    harness = await startAgentHarness({ clock: { now: () => now } });
    const user = await harness.createUser('ann');
    const { authorizeUrl, cookie } = await harness.startAuthorization(user.apiKey);
    const callbackUrl = await passConsent(authorizeUrl, 'alice', 'approve');
    now += 11 * 60_000;
    const answer = await fetch(callbackUrl, { headers: { cookie } });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('expired');
    expect((await statusOf(user.apiKey)).status).toBe('not_connected');
  });
});

describe('disconnecting', () => {
  it('forgets the tokens; tool calls then ask for authorization with a fresh URL', async () => {
    harness = await startAgentHarness();
    const user = await harness.createUser('ann');
    await harness.connectWps(user.apiKey, 'alice');
    expect((await harness.api(user.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'))).status).toBe(200);
    expect((await harness.api(user.apiKey, 'DELETE', '/v1/wps/connection')).status).toBe(204);
    const answer = await harness.api(user.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('wps_authorization_required');
    expect(answer.body.error.authorizeUrl).toContain(harness.sandbox.authorizeUrl);
  });
});
