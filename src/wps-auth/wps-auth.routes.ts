import { Router } from 'express';
import { currentUser } from '../http/api-key-auth.js';
import { perUserRateLimit, type RateLimitDependencies } from '../http/rate-limit.js';
import type { AuthorizationBinding } from './authorization-binding.js';
import type { AuthorizationCallback } from './authorization-callback.js';
import type { AuthorizationFlow } from './authorization-flow.js';
import { createCallbackRoutes } from './callback.routes.js';
import type { TokenManager } from './token-manager.js';

/** Starting an authorization writes a row and a cookie: a loop calling it is a bug, not a user. */
const AUTHORIZE_PER_MINUTE = 10;

/** The user-facing side of WPS authorization: status, start, callback, disconnect. */
export function createWpsAuthRoutes(dependencies: {
  authorizationFlow: AuthorizationFlow;
  authorizationCallback: AuthorizationCallback;
  binding: AuthorizationBinding;
  tokenManager: TokenManager;
  redirectUri: string;
  publicUrl: string;
  onDisconnect: (userId: string) => Promise<void>;
  /** Per-server status of a connected user's WPS (`wps.servers`): a server may lack its scope. */
  serverStatuses?: (userId: string) => Promise<unknown[]>;
  rateLimits: RateLimitDependencies;
}) {
  const { authorizationFlow, binding, tokenManager } = dependencies;

  /** Routes under /v1 (behind the API key). */
  const api = Router();
  api.get('/me', async (request, response) => {
    const user = currentUser(request);
    const wps = await tokenManager.status(user.id);
    const servers =
      wps.status === 'connected' && dependencies.serverStatuses
        ? { servers: await dependencies.serverStatuses(user.id) }
        : {};
    response.json({ user: { id: user.id, name: user.name }, wps: { ...wps, ...servers } });
  });
  const authorizeLimit = perUserRateLimit({
    name: 'wps-authorize',
    dependencies: dependencies.rateLimits,
    perMinute: AUTHORIZE_PER_MINUTE,
    what: 'WPS authorizations started',
  });
  api.post('/wps/authorize', authorizeLimit, async (request, response) => {
    const { authorizeUrl, expiresAt, stateHash } = await authorizationFlow.start(currentUser(request).id);
    // Set on every answer: the console's browser sends it back to /callback and completes at once; for a
    // curl caller it is inert, and its browser gets the API-key confirmation page instead.
    binding.bind(response, stateHash);
    response.json({ authorizeUrl, expiresAt: new Date(expiresAt).toISOString() });
  });
  api.delete('/wps/connection', async (request, response) => {
    const user = currentUser(request);
    await tokenManager.forget(user.id);
    await dependencies.onDisconnect(user.id);
    response.status(204).end();
  });

  const callback = createCallbackRoutes(dependencies);
  return { api, callback };
}
