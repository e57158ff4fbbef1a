import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import { describeError } from '../api/api-error';
import type { Me } from '../api/types';

/** How often `/v1/me` is asked while the WPS consent window is open. */
const POLL_INTERVAL_MS = 2_000;
/** A consent left open this long is abandoned: stop polling (the user can press Connect again). */
const POLL_GIVE_UP_MS = 10 * 60_000;

export interface WpsConnection {
  me: Me | null;
  loadError: string | null;
  /** True while a consent window is open and `/v1/me` is polled. */
  pending: boolean;
  /** Set when the browser blocked the consent window: the user opens this link themselves. */
  blockedUrl: string | null;
  actionError: string | null;
  refresh(): Promise<Me | null>;
  /**
   * Opens WPS's consent page for a fresh authorization. Always a fresh one (never the URL a 409 answer
   * carried): its answer sets the cookie that binds the authorization to this browser, so the callback
   * completes without asking for the API key.
   */
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The user and their WPS connection (`GET /v1/me`), and the Connect / Disconnect actions. After Connect,
 * the state updates by itself: `/v1/me` is polled until the connection is made or the window closes.
 */
export function useWpsConnection(api: ApiClient): WpsConnection {
  const [me, setMe] = useState<Me | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [blockedUrl, setBlockedUrl] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const pollRef = useRef<{ timer: number; popup: Window | null; startedAt: number } | null>(null);

  const refresh = useCallback(async () => {
    try {
      const answer = await api.request<Me>('GET', '/v1/me');
      setMe(answer);
      setLoadError(null);
      return answer;
    } catch (error: unknown) {
      setLoadError(describeError(error));
      return null;
    }
  }, [api]);

  const stopPolling = useCallback(() => {
    if (pollRef.current) window.clearInterval(pollRef.current.timer);
    pollRef.current = null;
    setPending(false);
  }, []);

  useEffect(() => {
    void refresh();
    return () => {
      if (pollRef.current) window.clearInterval(pollRef.current.timer);
    };
  }, [refresh]);

  const startPolling = useCallback(
    (popup: Window | null) => {
      if (pollRef.current) window.clearInterval(pollRef.current.timer);
      const startedAt = Date.now();
      const timer = window.setInterval(async () => {
        const current = pollRef.current;
        if (!current || current.timer !== timer) return;
        const popupClosed = current.popup?.closed ?? false;
        const answer = await refresh();
        const timedOut = Date.now() - current.startedAt > POLL_GIVE_UP_MS;
        // A closed window gets this one last look: the callback may have completed just before it closed.
        if (answer?.wps.status === 'connected' || popupClosed || timedOut) {
          if (pollRef.current?.timer === timer) stopPolling();
          if (answer?.wps.status === 'connected') {
            setBlockedUrl(null);
            // The result page has no script of its own (strict CSP): the console closes the window it opened.
            current.popup?.close();
          }
        }
      }, POLL_INTERVAL_MS);
      pollRef.current = { timer, popup, startedAt };
      setPending(true);
    },
    [refresh, stopPolling],
  );

  const connect = useCallback(async () => {
    setActionError(null);
    // Opened synchronously, inside the click, so that popup blockers allow it; the address comes after.
    const popup = window.open('about:blank', '_blank');
    try {
      const url = (await api.request<{ authorizeUrl: string }>('POST', '/v1/wps/authorize')).authorizeUrl;
      if (popup) {
        // The consent page must not be able to navigate the console (reverse tabnabbing).
        popup.opener = null;
        popup.location.href = url;
        setBlockedUrl(null);
      } else {
        setBlockedUrl(url);
      }
      startPolling(popup);
    } catch (error: unknown) {
      popup?.close();
      setActionError(describeError(error));
    }
  }, [api, startPolling]);

  const disconnect = useCallback(async () => {
    setActionError(null);
    stopPolling();
    try {
      await api.request('DELETE', '/v1/wps/connection');
    } catch (error: unknown) {
      setActionError(describeError(error));
    }
    await refresh();
  }, [api, refresh, stopPolling]);

  return { me, loadError, pending, blockedUrl, actionError, refresh, connect, disconnect };
}
