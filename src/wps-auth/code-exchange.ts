import type { FetchLike } from '../shared/fetch.js';
import type { Logger } from '../shared/logger.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { PendingAuthorization } from './pending-authorizations.repository.js';
import { requestTokens, TokenEndpointError } from './token-endpoint.js';
import type { TokenManager } from './token-manager.js';

export type CallbackFailureReason =
  | 'missing_state'
  | 'unknown_state'
  | 'expired_state'
  | 'used_state'
  | 'cancelled_state'
  | 'unknown_confirmation'
  | 'cross_site'
  | 'denied'
  | 'wps_error'
  | 'exchange_failed'
  | 'wps_unavailable';

/** What a callback or a confirmation ends in; the pages are rendered from it. */
export type CallbackOutcome =
  | { status: 'connected'; userId: string; userName: string }
  | {
      status: 'confirmation_required';
      userName: string;
      /** Identifies the held code and is the form's CSRF token; shown only in this one page. */
      confirmationToken: string;
      triesLeft: number;
      wrongKey: boolean;
    }
  | { status: 'failed'; reason: CallbackFailureReason; message: string };

/**
 * Trades a claimed authorization's code for tokens and stores them for the user who started it. Nothing
 * is stored unless WPS accepts the code.
 */
export function createCodeExchange(options: {
  tokenManager: TokenManager;
  secretBox: SecretBox;
  fetch: FetchLike;
  logger: Logger;
  clientId: string;
  clientSecret: string;
}) {
  const { secretBox, logger } = options;
  return async function exchangeCode(pending: PendingAuthorization, code: string): Promise<CallbackOutcome> {
    try {
      const tokens = await requestTokens({
        fetch: options.fetch,
        tokenUrl: pending.tokenUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        grant: {
          grant_type: 'authorization_code',
          code,
          redirect_uri: pending.redirectUri,
          ...(pending.codeVerifierCiphertext
            ? { code_verifier: secretBox.open(pending.codeVerifierCiphertext) }
            : {}),
        },
      });
      await options.tokenManager.storeAuthorized(pending.userId, tokens, {
        requestedScopes: pending.scopes.split(','),
        tokenUrl: pending.tokenUrl,
      });
      logger.info({ userId: pending.userId }, 'wps connected');
      return { status: 'connected', userId: pending.userId, userName: pending.userName };
    } catch (error) {
      if (!(error instanceof TokenEndpointError)) throw error;
      logger.warn(
        { userId: pending.userId, reason: error.reason, kind: error.kind },
        'wps code exchange failed',
      );
      return error.kind === 'rejected'
        ? {
            status: 'failed',
            reason: 'exchange_failed',
            message: `WPS did not accept the authorization code (${error.reason}). Start again from the app.`,
          }
        : {
            status: 'failed',
            reason: 'wps_unavailable',
            message: 'WPS could not be reached to finish the authorization. Try again shortly.',
          };
    }
  };
}

export type CodeExchange = ReturnType<typeof createCodeExchange>;
