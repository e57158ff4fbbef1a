import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that could ever carry a secret are censored even if some code logs a whole object by mistake.
 * Code must still never log tokens on purpose; this is the safety net, not the policy.
 */
const redactedPaths = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'access_token',
  'refresh_token',
  '*.access_token',
  '*.refresh_token',
  'accessToken',
  'refreshToken',
  '*.accessToken',
  '*.refreshToken',
  'apiKey',
  '*.apiKey',
  'client_secret',
  '*.client_secret',
  'code',
  'code_verifier',
  'state',
];

/** The process logger: JSON lines on stdout (or the given stream, which tests use to grep for secrets). */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    { level: options.level, redact: { paths: redactedPaths, censor: '[redacted]' }, base: undefined },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
