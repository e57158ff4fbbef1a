import express, { type Request, type Response, type Router } from 'express';
import { parseScopeParameter } from '../scopes.js';
import type { ClientRegistry } from './client-registry.js';
import { type AuthorizationParameters, renderConsentPage, renderErrorPage } from './consent-page.js';
import type { TokenStore } from './token-store.js';

export interface AuthorizeRouteDependencies {
  clients: ClientRegistry;
  tokens: TokenStore;
  accounts: string[];
  /** Account that approves at once, skipping the consent page. */
  autoApprove?: string;
  onAuthorizeRequest(): void;
}

type Validation =
  | { kind: 'page'; message: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'ok'; parameters: AuthorizationParameters; scopes: string[] };

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function redirectLocation(redirectUri: string, values: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(values))
    if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/** Validates in the order that keeps redirects safe: nothing is sent to a redirect_uri before it is trusted. */
function validate(
  source: Record<string, unknown>,
  dependencies: AuthorizeRouteDependencies,
  fromForm: boolean,
): Validation {
  const client = dependencies.clients.find(single(source.client_id));
  if (!client) return { kind: 'page', message: 'Unknown client_id / 未知的应用' };
  const redirectUri = single(source.redirect_uri);
  if (!dependencies.clients.isRedirectAllowed(client, redirectUri)) {
    return { kind: 'page', message: 'redirect_uri is not registered for this app / 回调地址未登记' };
  }
  const state = single(source.state);
  const fail = (error: string, description: string): Validation => ({
    kind: 'redirect',
    location: redirectLocation(redirectUri, { error, error_description: description, state }),
  });
  if (!fromForm && single(source.response_type) !== 'code') {
    return fail('unsupported_response_type', 'response_type must be code');
  }
  const scopes = parseScopeParameter(single(source.scope));
  if (!scopes) return fail('invalid_scope', 'scope must be a comma-separated list of known scopes');
  const codeChallenge = single(source.code_challenge);
  const codeChallengeMethod = single(source.code_challenge_method);
  if ((codeChallenge || codeChallengeMethod) && (!codeChallenge || codeChallengeMethod !== 'S256')) {
    return fail('invalid_request', 'PKCE needs code_challenge with code_challenge_method=S256');
  }
  return {
    kind: 'ok',
    scopes,
    parameters: {
      client_id: client.clientId,
      redirect_uri: redirectUri,
      scope: scopes.join(','),
      state,
      code_challenge: codeChallenge,
      code_challenge_method: codeChallengeMethod,
      resource: single(source.resource),
    },
  };
}

function approve(
  response: Response,
  dependencies: AuthorizeRouteDependencies,
  options: { parameters: AuthorizationParameters; scopes: string[]; account: string },
): void {
  const { parameters } = options;
  const code = dependencies.tokens.issueCode({
    account: options.account,
    clientId: parameters.client_id,
    scopes: options.scopes,
    redirectUri: parameters.redirect_uri,
    codeChallenge: parameters.code_challenge,
  });
  response.redirect(302, redirectLocation(parameters.redirect_uri, { code, state: parameters.state }));
}

function sendValidationFailure(response: Response, validation: Validation): void {
  if (validation.kind === 'page') response.status(400).type('html').send(renderErrorPage(validation.message));
  else if (validation.kind === 'redirect') response.redirect(302, validation.location);
}

/** `GET /oauth2/auth` (consent page) and `POST /oauth2/auth/decision` (the page's form), as WPS names them. */
export function createAuthorizeRoutes(dependencies: AuthorizeRouteDependencies): Router {
  const router = express.Router();

  router.get('/oauth2/auth', (request: Request, response: Response) => {
    dependencies.onAuthorizeRequest();
    const validation = validate(request.query, dependencies, false);
    if (validation.kind !== 'ok') return sendValidationFailure(response, validation);
    if (dependencies.autoApprove) {
      return approve(response, dependencies, { ...validation, account: dependencies.autoApprove });
    }
    response
      .status(200)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(renderConsentPage({ ...validation, accounts: dependencies.accounts }));
  });

  router.post(
    '/oauth2/auth/decision',
    express.urlencoded({ extended: false }),
    (request: Request, response: Response) => {
      const body: Record<string, unknown> = request.body ?? {};
      const validation = validate(body, dependencies, true);
      if (validation.kind !== 'ok') return sendValidationFailure(response, validation);
      const { parameters } = validation;
      if (single(body.decision) !== 'approve') {
        const location = redirectLocation(parameters.redirect_uri, {
          error: 'access_denied',
          error_description: 'the user denied the request',
          state: parameters.state,
        });
        return response.redirect(302, location);
      }
      const account = single(body.account);
      if (!account || !dependencies.accounts.includes(account)) {
        return response.status(400).type('html').send(renderErrorPage('Unknown account / 未知账号'));
      }
      approve(response, dependencies, { ...validation, account });
    },
  );

  return router;
}
