import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import type { Health } from '../api/types';

/** The server's notice when no model is configured (`GET /health`), shown before the first message. */
export function useModelNotice(api: ApiClient): string | undefined {
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    let cancelled = false;
    api
      .request<Health>('GET', '/health')
      .then((health) => {
        if (!cancelled && health.model?.configured === false) setNotice(health.model.notice);
      })
      .catch(() => {
        // No notice is the right fallback: the chat's own error says what went wrong.
      });
    return () => {
      cancelled = true;
    };
  }, [api]);
  return notice;
}
