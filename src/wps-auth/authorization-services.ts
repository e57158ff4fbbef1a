import type { Infrastructure } from '../services.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { UsersService } from '../users/users.usecases.js';
import { createAuthorizationBinding } from './authorization-binding.js';
import { createAuthorizationCallback } from './authorization-callback.js';
import { createAuthorizationFlow } from './authorization-flow.js';
import type { AuthorizationServerResolver } from './authorization-server.js';
import { createCodeExchange } from './code-exchange.js';
import { createPendingAuthorizationSweeper } from './pending-authorization-sweeper.js';
import type { PendingAuthorizationsRepository } from './pending-authorizations.repository.js';
import type { TokenManager } from './token-manager.js';
/** Starting an authorization, binding it to the browser, and completing it; sweeps its expired rows. */
export function createAuthorizationServices(options: {
  infrastructure: Infrastructure;
  repository: PendingAuthorizationsRepository;
  secretBox: SecretBox;
  tokenManager: TokenManager;
  resolver: AuthorizationServerResolver;
  usersService: UsersService;
}) {
  const { config, clock, fetch, logger, encryptionKey } = options.infrastructure;
  const { secretBox, repository } = options;
  const ttlMs = config.auth.pendingAuthorizationTtlMs;
  const authorizationFlow = createAuthorizationFlow({
    repository,
    resolver: options.resolver,
    secretBox,
    clock,
    logger,
    clientId: config.wps.clientId,
    redirectUri: config.server.redirectUri,
    scopes: config.wps.scopes,
    ttlMs,
  });
  const authorizationCallback = createAuthorizationCallback({
    repository,
    exchangeCode: createCodeExchange({
      tokenManager: options.tokenManager,
      secretBox,
      fetch,
      logger,
      clientId: config.wps.clientId,
      clientSecret: config.wps.clientSecret,
    }),
    authenticateApiKey: async (apiKey) => (await options.usersService.authenticate(apiKey))?.id,
    secretBox,
    clock,
    logger,
  });
  const binding = createAuthorizationBinding({
    encryptionKey,
    redirectUri: config.server.redirectUri,
    publicUrl: config.server.publicUrl,
    ttlMs,
  });
  const pendingAuthorizationSweeper = createPendingAuthorizationSweeper({ authorizationFlow, logger });
  pendingAuthorizationSweeper.start();
  return { authorizationFlow, authorizationCallback, binding, pendingAuthorizationSweeper };
}
