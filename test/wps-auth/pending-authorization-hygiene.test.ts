import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.js';
import { createPendingAuthorizationSweeper } from '../../src/wps-auth/pending-authorization-sweeper.js';
import { pendingAuthorizationsTable } from '../../src/wps-auth/wps-auth.tables.js';
import { type AgentHarness, passConsent, startAgentHarness } from '../support/agent-harness.js';

let harness: AgentHarness;
afterEach(async () => {
  await harness?.close();
});

const pendingRows = () => harness.db.select().from(pendingAuthorizationsTable).all();
const searchFor = (keyword: string) => ({ name: 'kso_yundoc_search_yundoc', arguments: { keyword } });

describe('pending authorizations stay few', () => {
  it('the 409 answers of tools, tools/call and chat hand out one live pending authorization', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const answers = [
      await harness.api(ann.apiKey, 'GET', '/v1/tools'),
      await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Q3')),
      await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Q3')),
      await harness.api(ann.apiKey, 'POST', '/v1/chat', { message: 'hello' }),
      await harness.api(ann.apiKey, 'POST', '/v1/chat', { message: 'hello again' }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe('wps_authorization_required');
    }
    const urls = new Set(answers.map((answer) => answer.body.error.authorizeUrl));
    expect(urls.size).toBe(1);
    expect(pendingRows()).toHaveLength(1);
  });

  it('a link about to expire is not handed out again: a fresh one replaces it', async () => {
    let now = Date.now();
    harness = await startAgentHarness({ clock: { now: () => now } });
    const ann = await harness.createUser('ann');
    const first = await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    now += 8 * 60_000;
    const second = await harness.api(ann.apiKey, 'POST', '/v1/tools/call', searchFor('Q3'));
    expect(second.body.error.authorizeUrl).not.toBe(first.body.error.authorizeUrl);
    expect(pendingRows()).toHaveLength(2);
  });

  it('past three live authorizations of a user, the oldest is cancelled', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const ben = await harness.createUser('ben');
    const started = [];
    for (let count = 0; count < 4; count++) started.push(await harness.startAuthorization(ann.apiKey));
    await harness.startAuthorization(ben.apiKey);
    const [oldest, second] = started;
    if (!oldest || !second) throw new Error('unreachable');
    const refused = await fetch(await passConsent(oldest.authorizeUrl, 'alice', 'approve'), {
      headers: { cookie: oldest.cookie },
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('was cancelled');
    expect(pendingRows().filter((row) => row.cancelledAt === null && row.usedAt === null)).toHaveLength(4);
    const kept = await fetch(await passConsent(second.authorizeUrl, 'alice', 'approve'), {
      headers: { cookie: second.cookie },
    });
    expect(kept.status).toBe(200);
  });

  it('POST /v1/wps/authorize is rate-limited per user', async () => {
    harness = await startAgentHarness();
    const ann = await harness.createUser('ann');
    const ben = await harness.createUser('ben');
    for (let count = 0; count < 10; count++)
      expect((await harness.api(ann.apiKey, 'POST', '/v1/wps/authorize')).status).toBe(200);
    const limited = await harness.api(ann.apiKey, 'POST', '/v1/wps/authorize');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect((await harness.api(ben.apiKey, 'POST', '/v1/wps/authorize')).status).toBe(200);
    expect(pendingRows().filter((row) => row.userId === ann.id && row.cancelledAt === null)).toHaveLength(3);
  });

  it('the sweeper deletes authorizations an hour after they expired, and only those', async () => {
    let now = Date.now();
    harness = await startAgentHarness({ clock: { now: () => now } });
    const ann = await harness.createUser('ann');
    await harness.startAuthorization(ann.apiKey);
    now += 30 * 60_000;
    await harness.startAuthorization(ann.apiKey);
    now += 45 * 60_000;
    const sweeper = createPendingAuthorizationSweeper({
      authorizationFlow: harness.services.authorizationFlow,
      logger: createLogger({ level: 'silent' }),
      intervalMs: 20,
    });
    sweeper.start();
    try {
      await expect.poll(() => pendingRows().length).toBe(1);
    } finally {
      sweeper.stop();
    }
    now += 60 * 60_000;
    expect(await harness.services.authorizationFlow.sweepExpired()).toBe(1);
    expect(pendingRows()).toEqual([]);
  });
});
