import express, { type Request, type Response, type Router } from 'express';
import type { FaultInjector } from '../controls/fault-injector.js';
import type { ClientRegistry } from './client-registry.js';
import { type OAuthErrorName, sendTokenError } from './oauth-errors.js';
import { s256, type TokenResponse, type TokenStore } from './token-store.js';

export interface TokenRouteDependencies {
  clients: ClientRegistry;
  tokens: TokenStore;
  faults: FaultInjector;
  /** WPS's status for token errors is unconfirmed (wps-facts.md): 400 by default, 200 to mimic the worst case. */
  errorStatus: number;
  onTokenRequest(grantType: string | undefined): void;
}

type TokenOutcome =
  | { ok: true; tokens: TokenResponse }
  | { ok: false; error: OAuthErrorName; description: string };

function single(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function failure(error: OAuthErrorName, description: string): TokenOutcome {
  return { ok: false, error, description };
}

function exchange(body: Record<string, unknown>, dependencies: TokenRouteDependencies): TokenOutcome {
  const grantType = single(body.grant_type);
  if (!grantType) return failure('invalid_request', 'grant_type is required');
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    return failure('unsupported_grant_type', `grant_type ${grantType} is not supported`);
  }
  const clientId = single(body.client_id);
  const clientSecret = single(body.client_secret);
  if (!clientId || !clientSecret) {
    // WPS takes the app credentials in the form body only (client_secret_post), not HTTP Basic.
    return failure('invalid_client', 'client_id and client_secret are required in the form body');
  }
  const client = dependencies.clients.find(clientId);
  if (!client || client.clientSecret !== clientSecret)
    return failure('invalid_client', 'unknown client or wrong secret');

  if (grantType === 'refresh_token') {
    const refreshToken = single(body.refresh_token);
    if (!refreshToken) return failure('invalid_request', 'refresh_token is required');
    const outcome = dependencies.tokens.refresh(refreshToken, client.clientId);
    return outcome.status === 'rotated'
      ? { ok: true, tokens: outcome.tokens }
      : failure('invalid_grant', outcome.reason);
  }

  const codeValue = single(body.code);
  if (!codeValue) return failure('invalid_request', 'code is required');
  const code = dependencies.tokens.takeCode(codeValue);
  if (!code || code.clientId !== client.clientId) {
    return failure('invalid_grant', 'code is invalid, expired, already used or issued to another client');
  }
  if (single(body.redirect_uri) !== code.redirectUri) {
    return failure('invalid_grant', 'redirect_uri does not match the authorization request');
  }
  if (code.codeChallenge !== undefined) {
    const verifier = single(body.code_verifier);
    if (!verifier || s256(verifier) !== code.codeChallenge) {
      return failure('invalid_grant', 'code_verifier does not match the code_challenge');
    }
  }
  return { ok: true, tokens: dependencies.tokens.issueTokens(code) };
}

/** `POST /oauth2/token`: WPS's flat JSON on success, `{code, msg, debug}` on failure. */
export function createTokenRoutes(dependencies: TokenRouteDependencies): Router {
  const router = express.Router();
  router.post(
    '/oauth2/token',
    express.urlencoded({ extended: false }),
    (request: Request, response: Response) => {
      const body: Record<string, unknown> = request.body ?? {};
      dependencies.onTokenRequest(single(body.grant_type));
      const fault = dependencies.faults.take('token');
      if (fault === 'hang') return; // never answered; the sandbox destroys the socket on close
      if (fault === 'error') {
        response
          .status(500)
          .json({ code: 50_000_001, msg: 'internal_error', debug: { desc: 'injected failure' } });
        return;
      }
      const outcome = exchange(body, dependencies);
      if (!outcome.ok) {
        sendTokenError(response, {
          status: dependencies.errorStatus,
          error: outcome.error,
          description: outcome.description,
        });
        return;
      }
      response.status(200).set('Cache-Control', 'no-store').json(outcome.tokens);
    },
  );
  return router;
}
