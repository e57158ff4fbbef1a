import { pino } from 'pino';
import { createWpsSandbox, DEFAULT_SANDBOX_CLIENT } from './index.js';

/** Standalone sandbox (`npm run sandbox`): any loopback redirect_uri is accepted, so a local agent just works. */
async function main(): Promise<void> {
  const rawPort = process.env.SANDBOX_PORT ?? '8090';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    process.stderr.write(`SANDBOX_PORT must be a port number between 1 and 65535, got "${rawPort}"\n`);
    process.exit(1);
  }
  const logger = pino();
  const sandbox = await createWpsSandbox({ port, allowLoopbackRedirects: true, logger });
  process.stdout.write(
    [
      `WPS sandbox listening on ${sandbox.url}`,
      `OAuth client: id=${DEFAULT_SANDBOX_CLIENT.clientId} secret=${DEFAULT_SANDBOX_CLIENT.clientSecret} (any http://localhost or http://127.0.0.1 redirect_uri is accepted)`,
      `Accounts: ${sandbox.accounts.join(', ')}`,
      `MCP servers: ${sandbox.mcpBaseUrl}/{kso-yundoc,kso-airpage,kso-dbsheet}/message`,
      '',
      'Agent settings:',
      `WPS_APP_ID=${DEFAULT_SANDBOX_CLIENT.clientId}`,
      `WPS_APP_KEY=${DEFAULT_SANDBOX_CLIENT.clientSecret}`,
      `WPS_MCP_URL=${sandbox.mcpBaseUrl}`,
      `WPS_OAUTH_AUTHORIZE_URL=${sandbox.authorizeUrl}`,
      `WPS_OAUTH_TOKEN_URL=${sandbox.tokenUrl}`,
      '',
    ].join('\n'),
  );

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `WPS sandbox failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
