import express, { type Request, Router } from 'express';
import { sha256 } from '../shared/secret-box.js';
import type { AuthorizationBinding } from './authorization-binding.js';
import type { AuthorizationCallback } from './authorization-callback.js';
import { sendCallbackPage } from './callback-pages.js';

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * The OAuth redirect target and its confirmation form; no API key header: the binding cookie, or the API
 * key typed into the confirmation page, proves who the browser acts for.
 */
export function createCallbackRoutes(dependencies: {
  authorizationCallback: AuthorizationCallback;
  binding: AuthorizationBinding;
  /** The registered callback URL: the confirmation form posts next to it. */
  redirectUri: string;
  publicUrl: string;
}) {
  const { authorizationCallback, binding } = dependencies;
  const confirmAction = `${new URL(dependencies.redirectUri).pathname}/confirm`;
  const ownOrigins = new Set([
    new URL(dependencies.redirectUri).origin,
    new URL(dependencies.publicUrl).origin,
  ]);

  const router = Router();
  router.get('/callback', async (request, response) => {
    const state = text(request.query.state);
    const outcome = await authorizationCallback.complete({
      code: text(request.query.code),
      state,
      error: text(request.query.error),
      isBound: (stateHash) => binding.isBound(request, stateHash),
    });
    if (state && outcome.status !== 'confirmation_required') binding.release(response, sha256(state));
    sendCallbackPage(response, outcome, { confirmAction });
  });

  router.post(
    '/callback/confirm',
    express.urlencoded({ extended: false, limit: '8kb' }),
    async (request, response) => {
      if (!isSameOriginPost(request, ownOrigins)) {
        sendCallbackPage(
          response,
          {
            status: 'failed',
            reason: 'cross_site',
            message: 'This confirmation must be sent from the agent’s own page. Nothing was connected.',
          },
          { confirmAction },
        );
        return;
      }
      const body = (request.body ?? {}) as Record<string, unknown>;
      const outcome = await authorizationCallback.confirm({
        confirmationToken: text(body.confirmation),
        apiKey: text(body.apiKey),
      });
      sendCallbackPage(response, outcome, { confirmAction });
    },
  );
  return router;
}

/**
 * The confirmation form only counts when posted by the agent's own page. Modern browsers say so in
 * `Sec-Fetch-Site`; older ones send `Origin` (here often `null`: the page's no-referrer policy makes
 * Chromium blank it, so Fetch Metadata is checked first). A client sending neither is not a browser, so no
 * third-party page can make it post; the page's single-use token is required in every case.
 */
function isSameOriginPost(request: Request, ownOrigins: Set<string>): boolean {
  const site = request.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const origin = request.get('origin');
  return origin === undefined || ownOrigins.has(origin);
}
