import { Router } from 'express';
import { currentUser } from '../http/api-key-auth.js';
import { simplePage } from '../http/html.js';
import type { AuthorizationFlow } from './authorization-flow.js';
import type { TokenManager } from './token-manager.js';

/** The user-facing side of WPS authorization: status, start, callback, disconnect. */
export function createWpsAuthRoutes(dependencies: {
  authorizationFlow: AuthorizationFlow;
  tokenManager: TokenManager;
  onDisconnect: (userId: string) => Promise<void>;
  /** Per-server status of a connected user's WPS (`wps.servers`): a server may lack its scope. */
  serverStatuses?: (userId: string) => Promise<unknown[]>;
}) {
  const { authorizationFlow, tokenManager } = dependencies;

  /** Routes under /v1 (behind the API key). */
  const api = Router();
  api.get('/me', async (request, response) => {
    const user = currentUser(request);
    const wps = tokenManager.status(user.id);
    const servers =
      wps.status === 'connected' && dependencies.serverStatuses
        ? { servers: await dependencies.serverStatuses(user.id) }
        : {};
    response.json({ user: { id: user.id, name: user.name }, wps: { ...wps, ...servers } });
  });
  api.post('/wps/authorize', async (request, response) => {
    const { authorizeUrl, expiresAt } = await authorizationFlow.start(currentUser(request).id);
    response.json({ authorizeUrl, expiresAt: new Date(expiresAt).toISOString() });
  });
  api.delete('/wps/connection', async (request, response) => {
    const user = currentUser(request);
    tokenManager.forget(user.id);
    await dependencies.onDisconnect(user.id);
    response.status(204).end();
  });

  /** The OAuth redirect target; no API key: the state identifies the user. */
  const callback = Router();
  callback.get('/callback', async (request, response) => {
    const query = request.query;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const outcome = await authorizationFlow.complete({
      code: text(query.code),
      state: text(query.state),
      error: text(query.error),
    });
    response.set('cache-control', 'no-store').set('referrer-policy', 'no-referrer');
    if (outcome.status === 'connected') {
      response
        .status(200)
        .type('html')
        .send(
          simplePage({
            title: 'WPS connected',
            heading: 'WPS connected · 已连接 WPS',
            body: 'Connected, you can close this window. 连接成功，可以关闭此窗口。',
            tone: 'ok',
          }),
        );
      return;
    }
    response
      .status(400)
      .type('html')
      .send(
        simplePage({
          title: 'WPS connection failed',
          heading: 'WPS connection failed · 连接失败',
          body: outcome.message,
          tone: 'error',
        }),
      );
  });

  return { api, callback };
}
