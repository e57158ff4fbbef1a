import { type AppError, errors } from '../shared/errors.js';
import type { AuthorizationFlow } from './authorization-flow.js';
import type { WpsAuthorizationRequiredError } from './wps-auth.errors.js';

/** The contract's 409 `wps_authorization_required`, with a live authorize URL for this user (reused). */
export async function authorizationRequiredAnswer(options: {
  authorizationFlow: AuthorizationFlow;
  userId: string;
  error: WpsAuthorizationRequiredError;
}): Promise<AppError> {
  const authorizeUrl = await options.authorizationFlow.authorizeUrlFor(options.userId);
  return errors.wpsAuthorizationRequired(authorizeUrl, options.error.message);
}
