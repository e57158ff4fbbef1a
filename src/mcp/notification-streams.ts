import type { FetchLike } from '../shared/fetch.js';

/**
 * Which Streamable HTTP session of each WPS server holds the standalone notification stream.
 *
 * The MCP SDK's client opens a GET event stream right after `initialize`, for messages the server sends
 * on its own; WPS's only such message that matters here is `notifications/tools/list_changed`. One stream
 * per pooled (user, server) session costs a socket to WPS and about 140 KiB of heap in web streams
 * (bench: heap per connected idle user 187 KiB with them, 45 KiB without), and V8's collections grow
 * with that heap. WPS's tool lists are per server (wps-facts.md), so one stream per server and process
 * hears every change: the first session opened for a server listens, the others are told "no stream
 * offered" (405, which the SDK takes as the spec's answer for a server without one) without a request
 * leaving the process. The stream passes on when its session closes or its GET fails (an error status,
 * or no answer): the next session opened for that server listens. Until then the tool catalogue's TTL
 * bounds how stale a list can get.
 */
export function createNotificationStreams() {
  const listeners = new Map<string, object>();
  const release = (server: string, session: object) => {
    if (listeners.get(server) === session) listeners.delete(server);
  };
  const notOffered = () => new Response(null, { status: 405, headers: { allow: 'POST, DELETE' } });

  return {
    /** Makes `session` the server's listener if it has none; call before the session connects. */
    claim(server: string, session: object): void {
      if (!listeners.has(server)) listeners.set(server, session);
    },

    /** Frees the server's stream for the next session opened, if `session` held it. */
    release,

    /** The transport's fetch for one session: its GET (the standalone stream) only while it listens. */
    gate(fetch: FetchLike, server: string, session: object): FetchLike {
      return async (url, init) => {
        if ((init?.method ?? 'GET').toUpperCase() !== 'GET') return fetch(url, init);
        if (listeners.get(server) !== session) return notOffered();
        try {
          const response = await fetch(url, init);
          // A server that offers no stream (405) offers none to the next session either.
          if (!response.ok && response.status !== 405) release(server, session);
          return response;
        } catch (error) {
          release(server, session);
          throw error;
        }
      };
    },

    /** Servers with a listening session in this process. */
    count(): number {
      return listeners.size;
    },
  };
}

export type NotificationStreams = ReturnType<typeof createNotificationStreams>;
