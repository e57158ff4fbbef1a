import { type AppError, errors, isAppError } from '../shared/errors.js';
import type { AuthorizationFlow } from './authorization-flow.js';
import { findAuthorizationRequired, type WpsAuthorizationRequiredError } from './wps-auth.errors.js';

/** The contract's 409 `wps_authorization_required`, with a live authorize URL for this user (reused). */
export async function authorizationRequiredAnswer(options: {
  authorizationFlow: AuthorizationFlow;
  userId: string;
  error: WpsAuthorizationRequiredError;
}): Promise<AppError> {
  const authorizeUrl = await options.authorizationFlow.authorizeUrlFor(options.userId);
  return errors.wpsAuthorizationRequired(authorizeUrl, options.error.message);
}

/**
 * Runs a WPS operation for a user: a lost authorization becomes the contract's 409 with a fresh URL, an
 * AppError passes through, anything else is WPS failing (`upstream_unavailable`).
 */
export async function withWpsErrors<T>(
  options: { authorizationFlow: AuthorizationFlow; userId: string },
  operation: () => Promise<T>,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const authorization = findAuthorizationRequired(error);
    if (authorization) throw await authorizationRequiredAnswer({ ...options, error: authorization });
    if (isAppError(error)) throw error;
    throw errors.upstreamUnavailable('WPS could not be reached or failed; try again shortly.', error);
  }
}
