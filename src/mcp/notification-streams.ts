import type { FetchLike } from '../shared/fetch.js';

/**
 * Which Streamable HTTP session of each WPS server holds the standalone notification stream.
 *
 * The MCP SDK's client opens a GET event stream right after `initialize`, for messages the server sends
 * on its own; WPS's only such message that matters here is `notifications/tools/list_changed`. One stream
 * per pooled (user, server) session costs a socket to WPS and about 140 KiB of heap in web streams
 * (bench: heap per connected idle user 187 KiB with them, 45 KiB without), and V8's full collections
 * grow with that heap. WPS's tool lists are per server (wps-facts.md), so one stream per server and
 * process hears every change: the first session opened for a server listens, the others are told "no
 * stream offered" (405, which the SDK takes as the spec's answer for a server without one) without a
 * request leaving the process. When the listening session closes, the next session opened for that
 * server listens; until then the tool catalogue's TTL bounds how stale a list can get.
 */
export function createNotificationStreams() {
  const listeners = new Map<string, object>();
  return {
    /** Makes `session` the server's listener if it has none; true when it now is. */
    claim(server: string, session: object): boolean {
      if (listeners.has(server)) return false;
      listeners.set(server, session);
      return true;
    },

    /** Frees the server's stream for the next session opened, if `session` held it. */
    release(server: string, session: object): void {
      if (listeners.get(server) === session) listeners.delete(server);
    },

    /** The transport's fetch for one session: its GET (the standalone stream) only if it listens. */
    gate(fetch: FetchLike, listens: () => boolean): FetchLike {
      return (url, init) =>
        (init?.method ?? 'GET').toUpperCase() === 'GET' && !listens()
          ? Promise.resolve(new Response(null, { status: 405, headers: { allow: 'POST, DELETE' } }))
          : fetch(url, init);
    },

    /** Servers with a listening session in this process. */
    count(): number {
      return listeners.size;
    },
  };
}

export type NotificationStreams = ReturnType<typeof createNotificationStreams>;
