/** An app registered in the (sandbox) developer console. */
export interface SandboxClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface ClientRegistry {
  find(clientId: string | undefined): SandboxClient | undefined;
  /** WPS requires the exact callback registered for the app; standalone mode also accepts any loopback URL. */
  isRedirectAllowed(client: SandboxClient, redirectUri: string | undefined): redirectUri is string;
  first(): SandboxClient;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopbackHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

export function createClientRegistry(options: {
  clients: SandboxClient[];
  allowLoopbackRedirects: boolean;
}): ClientRegistry {
  const { clients, allowLoopbackRedirects } = options;
  const first = clients[0];
  if (!first) throw new Error('the sandbox needs at least one client');
  return {
    find: (clientId) => clients.find((client) => client.clientId === clientId),
    isRedirectAllowed: (client, redirectUri): redirectUri is string =>
      redirectUri !== undefined &&
      (client.redirectUris.includes(redirectUri) ||
        (allowLoopbackRedirects && isLoopbackHttpUrl(redirectUri))),
    first: () => first,
  };
}
