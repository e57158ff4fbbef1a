import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { randomToken, type SecretBox, sha256 } from '../shared/secret-box.js';
import type { CallbackOutcome, CodeExchange } from './code-exchange.js';
import {
  type PendingAuthorizationsRepository,
  type PendingStatus,
  pendingStatus,
} from './pending-authorizations.repository.js';

/** Wrong API keys tolerated on one confirmation page before the authorization is cancelled. */
export const MAX_WRONG_CONFIRMATIONS = 5;
/** WPS authorization codes live 10 minutes (wps-facts): a held code is useless after that. */
const CODE_LIFETIME_MS = 10 * 60_000;
/** However often a callback is repeated, a flow never outlives its consent time plus one code's life. */
const MAX_FLOW_MS = 20 * 60_000;

const refusals: Record<Exclude<PendingStatus, 'live'> | 'unknown', CallbackOutcome & { status: 'failed' }> = {
  unknown: {
    status: 'failed',
    reason: 'unknown_state',
    message: 'This authorization link is unknown. Start again from the app.',
  },
  expired: {
    status: 'failed',
    reason: 'expired_state',
    message: 'This authorization took too long and expired. Start again from the app.',
  },
  used: {
    status: 'failed',
    reason: 'used_state',
    message: 'This authorization has already been used. Start again from the app.',
  },
  cancelled: {
    status: 'failed',
    reason: 'cancelled_state',
    message:
      'This authorization was cancelled (too many wrong API keys, or newer authorizations replaced it). Start again from the app.',
  },
};

/**
 * WPS's redirect back, and the confirmation that completes it in a browser without the binding cookie.
 * `state` alone never connects anything: a bound browser completes at once; any other browser gets the
 * code held (sealed) and a confirmation page where only the starting user's API key completes it.
 */
export function createAuthorizationCallback(options: {
  repository: PendingAuthorizationsRepository;
  exchangeCode: CodeExchange;
  /** The id of the user an API key belongs to, or undefined for an unknown or revoked key. */
  authenticateApiKey: (apiKey: string) => Promise<string | undefined>;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
}) {
  const { repository, secretBox, clock, logger } = options;
  const refusalFor = async (stateHash: string, now: number) => {
    const row = await repository.findByStateHash(stateHash);
    return refusals[row ? (pendingStatus(row, now) as Exclude<PendingStatus, 'live'>) : 'unknown'];
  };

  return {
    /** Handles `GET /callback`; `isBound` tells whether this browser carries the starter's binding. */
    async complete(query: {
      code?: string;
      state?: string;
      error?: string;
      isBound: (stateHash: string) => boolean;
    }): Promise<CallbackOutcome> {
      if (!query.state)
        return { status: 'failed', reason: 'missing_state', message: 'The callback has no state parameter.' };
      const now = clock.now();
      const stateHash = sha256(query.state);
      const pending = await repository.findByStateHash(stateHash);
      if (!pending) return refusals.unknown;
      const status = pendingStatus(pending, now);
      if (status !== 'live') return refusals[status];
      if (query.error || !query.code) {
        // Declining burns the state from any browser: it connects nothing, so it needs no binding.
        if (!(await repository.claim(stateHash, now))) return refusalFor(stateHash, now);
        if (!query.error)
          return {
            status: 'failed',
            reason: 'exchange_failed',
            message: 'The callback has no authorization code.',
          };
        const denied = query.error === 'access_denied';
        return {
          status: 'failed',
          reason: denied ? 'denied' : 'wps_error',
          message: denied
            ? 'You declined the authorization; nothing was connected.'
            : `WPS reported an error: ${query.error.slice(0, 100)}.`,
        };
      }
      if (query.isBound(stateHash)) {
        if (!(await repository.claim(stateHash, now))) return refusalFor(stateHash, now);
        return options.exchangeCode(pending, query.code);
      }
      const confirmationToken = randomToken(32);
      const held = await repository.holdCode(
        stateHash,
        {
          codeCiphertext: secretBox.seal(query.code),
          confirmationTokenHash: sha256(confirmationToken),
          expiresAt: Math.min(now + CODE_LIFETIME_MS, pending.createdAt + MAX_FLOW_MS),
        },
        now,
      );
      if (!held) return refusalFor(stateHash, now);
      logger.info(
        { userId: pending.userId },
        'wps callback without binding: waiting for api key confirmation',
      );
      return {
        status: 'confirmation_required',
        userName: pending.userName,
        confirmationToken,
        triesLeft: MAX_WRONG_CONFIRMATIONS - pending.failedConfirmations,
        wrongKey: false,
      };
    },

    /** Handles the confirmation form: only an API key of the user who started the flow completes it. */
    async confirm(form: { confirmationToken?: string; apiKey?: string }): Promise<CallbackOutcome> {
      const unknownPage = {
        status: 'failed',
        reason: 'unknown_confirmation',
        message: 'This confirmation page is no longer valid. Open the authorization link again from the app.',
      } as const;
      if (!form.confirmationToken) return unknownPage;
      const now = clock.now();
      const tokenHash = sha256(form.confirmationToken);
      const pending = await repository.findByConfirmationTokenHash(tokenHash);
      if (!pending) return unknownPage;
      const status = pendingStatus(pending, now);
      if (status !== 'live') return refusals[status];
      const userId = form.apiKey ? await options.authenticateApiKey(form.apiKey.trim()) : undefined;
      if (userId !== pending.userId) {
        const counted = await repository.recordFailedConfirmation(
          pending.stateHash,
          MAX_WRONG_CONFIRMATIONS,
          now,
        );
        if (!counted) return refusalFor(pending.stateHash, now);
        logger.warn(
          { userId: pending.userId, failedConfirmations: counted.failedConfirmations },
          'wrong api key on a wps authorization confirmation',
        );
        if (counted.cancelled) return refusals.cancelled;
        return {
          status: 'confirmation_required',
          userName: pending.userName,
          confirmationToken: form.confirmationToken,
          triesLeft: MAX_WRONG_CONFIRMATIONS - counted.failedConfirmations,
          wrongKey: true,
        };
      }
      if (!pending.codeCiphertext || !(await repository.claim(pending.stateHash, now, tokenHash)))
        return refusalFor(pending.stateHash, now);
      return options.exchangeCode(pending, secretBox.open(pending.codeCiphertext));
    },
  };
}

export type AuthorizationCallback = ReturnType<typeof createAuthorizationCallback>;
