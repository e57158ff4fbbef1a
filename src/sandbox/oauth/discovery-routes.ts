import express, { type Request, type Response, type Router } from 'express';
import { isSandboxServerName, KNOWN_SCOPES, SERVER_NAMES, SERVER_SCOPES } from '../scopes.js';

/** Where a server's RFC 9728 metadata lives; the MCP 401s point at it when discovery is on. */
export function protectedResourceMetadataUrl(baseUrl: string, serverName: string): string {
  return `${baseUrl}/.well-known/oauth-protected-resource/mcp/v2/${serverName}/message`;
}

export function mcpServerUrl(baseUrl: string, serverName: string): string {
  return `${baseUrl}/mcp/v2/${serverName}/message`;
}

/**
 * RFC 8414 and RFC 9728 metadata. Off by default because WPS may not serve any (wps-facts.md): a client
 * must work both with and without it.
 */
export function createDiscoveryRoutes(options: { baseUrl: string }): Router {
  const { baseUrl } = options;
  const router = express.Router();

  router.get('/.well-known/oauth-authorization-server', (_request: Request, response: Response) => {
    response.json({
      issuer: baseUrl,
      authorization_endpoint: `${baseUrl}/oauth2/auth`,
      token_endpoint: `${baseUrl}/oauth2/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      scopes_supported: KNOWN_SCOPES,
    });
  });

  router.get('/.well-known/oauth-protected-resource', (_request: Request, response: Response) => {
    response.json({
      resource: `${baseUrl}/mcp/v2`,
      authorization_servers: [baseUrl],
      scopes_supported: SERVER_NAMES.map((name) => SERVER_SCOPES[name]),
      bearer_methods_supported: ['header'],
    });
  });

  router.get(
    '/.well-known/oauth-protected-resource/mcp/v2/:server/message',
    (request: Request, response: Response) => {
      const serverName = String(request.params.server);
      if (!isSandboxServerName(serverName)) {
        response.status(404).json({ code: 40_400_001, msg: 'not_found' });
        return;
      }
      response.json({
        resource: mcpServerUrl(baseUrl, serverName),
        authorization_servers: [baseUrl],
        scopes_supported: [SERVER_SCOPES[serverName]],
        bearer_methods_supported: ['header'],
      });
    },
  );

  return router;
}
