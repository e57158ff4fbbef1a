import type { Response } from 'express';

/**
 * WPS token-endpoint failures: `{code, msg, debug: {desc}}` with a non-zero code. 40000001 and 40000005 are
 * documented by WPS; the others follow the same numbering.
 */
export const OAUTH_ERROR_CODES = {
  invalid_request: 40_000_001,
  invalid_client: 40_000_002,
  invalid_grant: 40_000_003,
  unsupported_grant_type: 40_000_004,
  invalid_scope: 40_000_005,
} as const;

export type OAuthErrorName = keyof typeof OAUTH_ERROR_CODES;

export interface WpsErrorBody {
  code: number;
  msg: string;
  debug: { desc: string };
}

export function oauthErrorBody(error: OAuthErrorName, description: string): WpsErrorBody {
  return { code: OAUTH_ERROR_CODES[error], msg: error, debug: { desc: description } };
}

export function sendTokenError(
  response: Response,
  options: { status: number; error: OAuthErrorName; description: string },
): void {
  response
    .status(options.status)
    .set('Cache-Control', 'no-store')
    .json(oauthErrorBody(options.error, options.description));
}
