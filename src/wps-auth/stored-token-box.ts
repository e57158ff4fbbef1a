import type { Logger } from '../shared/logger.js';
import { type SecretBox, UnknownSealingKeyError } from '../shared/secret-box.js';
import { WpsAuthorizationRequiredError } from './wps-auth.errors.js';

/** What the user is told: the stored authorization is unreadable here, and reconnecting fixes it. */
const UNREADABLE_MESSAGE =
  'This server can no longer read your stored WPS authorization (it was encrypted with a retired key); connect WPS again.';

/**
 * The secret box as the token manager uses it. A stored token sealed under a key this instance does not
 * have (dropped from TOKEN_ENCRYPTION_PREVIOUS_KEYS too early) is, for the user, a lost authorization
 * they can mend themselves by reconnecting (the contract's `wps_authorization_required`, not a 500 they
 * can do nothing about). For the operator it is an error naming the key id. The stored row is left as it
 * is: putting the key back restores every such user without anyone reconnecting.
 */
export function storedTokenBox(secretBox: SecretBox, logger: Logger): SecretBox {
  return {
    currentKeyId: secretBox.currentKeyId,
    seal: (plaintext) => secretBox.seal(plaintext),
    sealedWithCurrentKey: (sealed) => secretBox.sealedWithCurrentKey(sealed),
    holdsKeyOf: (sealed) => secretBox.holdsKeyOf(sealed),
    open(sealed) {
      try {
        return secretBox.open(sealed);
      } catch (error) {
        if (!(error instanceof UnknownSealingKeyError)) throw error;
        logger.error(
          { keyId: error.keyId ?? 'none (v1)', currentKeyId: secretBox.currentKeyId },
          'a stored WPS token is sealed with a token encryption key this instance does not have: its user must reconnect WPS, unless that key is put back into TOKEN_ENCRYPTION_PREVIOUS_KEYS',
        );
        throw new WpsAuthorizationRequiredError('reauthorization_required', {
          cause: error,
          message: UNREADABLE_MESSAGE,
        });
      }
    },
  };
}
