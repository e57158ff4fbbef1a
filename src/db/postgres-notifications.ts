import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';

/**
 * PostgreSQL LISTEN/NOTIFY for one process: how instances sharing a database tell each other "this
 * changed" without polling it (a token refresh finished, a user disconnected). Writers send with
 * `notifyStatement` inside their own transaction, so the notification goes out exactly when (and only if)
 * the change commits.
 */
export interface PostgresNotifications {
  /**
   * Calls `handler` with the payload of every notification on `channel` until the returned function is
   * called. Resolves once the channel is being listened to, so a change committed after that is never
   * missed; while the listener is disconnected it resolves at once and the handler hears nothing until the
   * connection is back (callers must not rely on a notification alone: wait with a timeout).
   */
  subscribe(channel: string, handler: (payload: string) => void): Promise<() => void>;
  /**
   * Calls `listener` each time the listener connection is back after a drop: notifications sent meanwhile
   * are lost, so whoever caches what they announce should forget it then.
   */
  onReconnect(listener: () => void): () => void;
  /** Ends the listener connection for good (process shutdown). */
  close(): Promise<void>;
}

/** The first retry comes quickly (a restarted server is back in a moment), later ones back off to this. */
const DEFAULT_RECONNECT_DELAYS = { firstMs: 100, maxMs: 5_000 };
/** Channel names are interpolated into LISTEN as identifiers: only plain lowercase names are accepted. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The statement that sends one notification; run it in the transaction of the change it announces. */
export function notifyStatement(channel: string, payload: string): SQL {
  return sql`select pg_notify(${channel}, ${payload})`;
}

/**
 * One dedicated connection per process LISTENs on every channel anyone subscribed to; it is opened on the
 * first subscription (a process that never waits costs the database nothing) and re-opened with backoff
 * whenever it drops. Handlers run on the connection's event, so they must be quick and must not throw.
 */
export function createPostgresNotifications(options: {
  url: string;
  logger: Logger;
  reconnectDelays?: { firstMs: number; maxMs: number };
}): PostgresNotifications {
  const { logger } = options;
  const delays = options.reconnectDelays ?? DEFAULT_RECONNECT_DELAYS;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const reconnectListeners = new Set<() => void>();
  /** Channels LISTENed to on the current connection; a new connection starts with none. */
  const listened = new Set<string>();
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failedAttempts = 0;
  let everConnected = false;
  let closed = false;

  function dispatch(message: pg.Notification): void {
    for (const handler of handlers.get(message.channel) ?? []) {
      try {
        handler(message.payload ?? '');
      } catch (error) {
        logger.error({ err: error, channel: message.channel }, 'notification handler failed');
      }
    }
  }

  function dropped(lost: pg.Client, error?: Error): void {
    if (lost !== client) return; // a connection already given up on
    client = undefined;
    listened.clear();
    lost.end().catch(() => {}); // already broken: nothing to learn from how it ends
    if (closed) return;
    const delayMs = Math.min(delays.maxMs, delays.firstMs * 2 ** failedAttempts);
    failedAttempts++;
    logger.warn({ err: error, retryInMs: delayMs }, 'database notification listener lost; reconnecting');
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delayMs);
    retryTimer.unref();
  }

  async function listen(on: pg.Client, channel: string): Promise<void> {
    if (listened.has(channel)) return;
    await on.query(`LISTEN "${channel}"`);
    if (on === client) listened.add(channel);
  }

  function connect(): Promise<void> {
    if (closed || client || connecting) return connecting ?? Promise.resolve();
    const next = new pg.Client({
      connectionString: options.url,
      application_name: 'wps-agent-listener',
      // A half-open TCP connection (a vanished server) would otherwise look alive forever.
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    next.on('notification', dispatch);
    next.on('error', (error) => dropped(next, error));
    next.on('end', () => dropped(next));
    client = next;
    connecting = (async () => {
      try {
        await next.connect();
        for (const channel of handlers.keys()) await listen(next, channel);
        failedAttempts = 0;
        if (everConnected) for (const listener of reconnectListeners) listener();
        everConnected = true;
      } catch (error) {
        dropped(next, error as Error);
      } finally {
        connecting = undefined;
      }
    })();
    return connecting;
  }

  return {
    async subscribe(channel, handler) {
      if (!CHANNEL_NAME.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
      if (closed) throw new Error('the notification listener is closed');
      const channelHandlers = handlers.get(channel) ?? new Set();
      handlers.set(channel, channelHandlers);
      channelHandlers.add(handler);
      await connect();
      const current = client;
      if (current) {
        try {
          await listen(current, channel);
        } catch (error) {
          // The connection broke under us: its 'error' event reconnects, and LISTENs this channel again.
          logger.warn({ err: error, channel }, 'could not listen for database notifications yet');
        }
      }
      return () => {
        channelHandlers.delete(handler);
        // The LISTEN itself stays: re-subscribing soon is likely, and an idle LISTEN costs nothing.
        if (channelHandlers.size === 0) handlers.delete(channel);
      };
    },

    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },

    async close() {
      closed = true;
      clearTimeout(retryTimer);
      await connecting;
      const current = client;
      client = undefined;
      await current?.end();
    },
  };
}
