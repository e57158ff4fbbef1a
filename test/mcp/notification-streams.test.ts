import { describe, expect, it } from 'vitest';
import { createNotificationStreams } from '../../src/mcp/notification-streams.js';
import type { FetchLike } from '../../src/shared/fetch.js';

/** A WPS stand-in for one server's GETs and POSTs: answers with `status`, or fails like a lost network. */
function upstream(answer: () => Response | Error) {
  const requests: string[] = [];
  const fetch: FetchLike = async (_url, init) => {
    requests.push(init?.method ?? 'GET');
    const outcome = answer();
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { fetch, requests };
}

const url = 'https://wps.example/mcp/v2/kso-yundoc/message';
const stream = () => new Response('', { status: 200, headers: { 'content-type': 'text/event-stream' } });

describe('notification streams', () => {
  it('lets only the first session of a server open its stream, answering the others 405 locally', async () => {
    const streams = createNotificationStreams();
    const wps = upstream(stream);
    const [first, second] = [{}, {}];
    streams.claim('kso-yundoc', first);
    streams.claim('kso-yundoc', second);
    expect((await streams.gate(wps.fetch, 'kso-yundoc', first)(url, { method: 'GET' })).status).toBe(200);
    const refused = await streams.gate(wps.fetch, 'kso-yundoc', second)(url, { method: 'GET' });
    expect(refused.status).toBe(405);
    expect(wps.requests).toEqual(['GET']);
    // Requests other than the stream pass for every session.
    await streams.gate(wps.fetch, 'kso-yundoc', second)(url, { method: 'POST' });
    expect(wps.requests).toEqual(['GET', 'POST']);
    // Another server has a listener of its own.
    streams.claim('kso-dbsheet', second);
    expect(streams.count()).toBe(2);
  });

  it.each([
    ['an error status', () => new Response(null, { status: 502 })],
    ['no answer', () => new Error('socket hang up')],
  ])('passes the stream to the next session opened when its GET gets %s', async (_name, failure) => {
    const streams = createNotificationStreams();
    const [first, second, third] = [{}, {}, {}];
    streams.claim('kso-yundoc', first);
    streams.claim('kso-yundoc', second);
    const failing = streams.gate(upstream(failure).fetch, 'kso-yundoc', first);
    await failing(url, { method: 'GET' }).catch(() => undefined);
    // The session already open keeps its answer; the next one opened listens, and the failed one no more.
    streams.claim('kso-yundoc', third);
    const wps = upstream(stream);
    expect((await streams.gate(wps.fetch, 'kso-yundoc', second)(url, { method: 'GET' })).status).toBe(405);
    expect((await streams.gate(wps.fetch, 'kso-yundoc', third)(url, { method: 'GET' })).status).toBe(200);
    expect((await streams.gate(wps.fetch, 'kso-yundoc', first)(url, { method: 'GET' })).status).toBe(405);
  });

  it('keeps the claim when the server offers no stream (405), so no other session asks again', async () => {
    const streams = createNotificationStreams();
    const [first, second] = [{}, {}];
    streams.claim('kso-yundoc', first);
    const wps = upstream(() => new Response(null, { status: 405 }));
    expect((await streams.gate(wps.fetch, 'kso-yundoc', first)(url, { method: 'GET' })).status).toBe(405);
    streams.claim('kso-yundoc', second);
    await streams.gate(wps.fetch, 'kso-yundoc', second)(url, { method: 'GET' });
    expect(wps.requests).toEqual(['GET']);
  });

  it('frees the stream when its session closes', () => {
    const streams = createNotificationStreams();
    const [first, second] = [{}, {}];
    streams.claim('kso-yundoc', first);
    streams.release('kso-yundoc', second);
    expect(streams.count()).toBe(1);
    streams.release('kso-yundoc', first);
    expect(streams.count()).toBe(0);
  });
});
