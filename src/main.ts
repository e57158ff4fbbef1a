import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { modelIsConfigured, NO_MODEL_CONFIGURED } from './agent/model-errors.js';
import { createApp } from './app.js';
import { type Config, ConfigError, loadConfig, pointAtSandbox, readEnvironment } from './config/config.js';
import { resolveEncryptionKey } from './config/encryption-key.js';
import { dataDirExposure } from './db/database-files.js';
import { openConfiguredDatabase } from './db/open-database.js';
import { createStorageCheck } from './db/storage-check.js';
import { createHttpServer } from './http/http-server.js';
import { createWpsSandbox, SANDBOX_STATE_FILE, type WpsSandbox } from './sandbox/index.js';
import { createServices } from './services.js';
import { systemClock } from './shared/clock.js';
import { explainListenError } from './shared/listen-error.js';
import { createLogger } from './shared/logger.js';
import { keyIdOf } from './shared/secret-box.js';
import { ensureFirstUser, firstStartBanner } from './users/first-user.js';

/** While draining at shutdown, how often keep-alive connections that went idle are closed. */
const IDLE_SWEEP_MS = 50;
/** How often a lost DATA_DIR is looked for when /health is not asked. */
const STORAGE_CHECK_INTERVAL_MS = 15_000;

/** Composition root: configuration, database, services, sandbox (when no WPS app is configured), HTTP. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const opened = await openConfiguredDatabase(config, logger);
  const exposure = dataDirExposure(config.dataDir);
  if (exposure) logger.warn({ dataDir: config.dataDir }, exposure);

  let sandbox: WpsSandbox | undefined;
  if (config.wps.mode === 'sandbox') {
    sandbox = await createWpsSandbox({
      port: config.sandbox.port,
      // Same interface as the agent: the browser must reach the sandbox's consent page too.
      host: config.server.host,
      clients: [
        {
          clientId: config.wps.clientId,
          clientSecret: config.wps.clientSecret,
          redirectUris: [config.server.redirectUri],
        },
      ],
      logger: logger.child({ component: 'sandbox' }),
      // Kept across restarts: a restart must not disconnect everyone and undo their edits.
      statePath: path.join(config.dataDir, SANDBOX_STATE_FILE),
    }).catch((error: unknown) =>
      explainListenError(error, {
        setting: 'SANDBOX_PORT',
        port: config.sandbox.port,
        host: config.server.host,
      }),
    );
    config = pointAtSandbox(config, `http://127.0.0.1:${new URL(sandbox.url).port}`);
  }

  const { key: encryptionKey, generated } = resolveEncryptionKey({
    configured: config.tokenEncryptionKey,
    dataDir: config.dataDir,
  });
  if (generated)
    logger.info(
      { dataDir: config.dataDir },
      'generated a new token encryption key (keep it with the database)',
    );
  // Ids only (fingerprints that reveal nothing): during a rotation, shows each instance has both keys.
  logger.info(
    {
      currentKeyId: keyIdOf(encryptionKey),
      previousKeyIds: config.previousTokenEncryptionKeys.map(keyIdOf),
    },
    'token encryption keys',
  );
  const services = createServices({
    config,
    database: opened.database,
    notifications: opened.notifications,
    clock: systemClock,
    fetch: globalThis.fetch,
    logger,
    encryptionKey,
    previousEncryptionKeys: config.previousTokenEncryptionKeys,
  });
  // A heartbeat row for this instance; work a dead process left half-done (kill -9) is closed as aborted.
  await services.start();

  const consoleDistDir = fileURLToPath(new URL('../web/dist', import.meta.url));
  // The SQLite file can vanish under a running server (DATA_DIR deleted); PostgreSQL can stop answering.
  const storage =
    config.databaseDialect === 'sqlite'
      ? createStorageCheck({ databasePath: config.databasePath, dataDir: config.dataDir, logger })
      : undefined;
  storage?.watch(STORAGE_CHECK_INTERVAL_MS);
  const server = createHttpServer(
    createApp(services, {
      sandboxUrl: sandbox?.url,
      consoleDistDir,
      storageCheck: storage?.check,
      databaseReachable: opened.ping,
    }),
    { keepAliveTimeoutMs: config.server.keepAliveTimeoutMs },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, resolve);
  }).catch((error: unknown) =>
    explainListenError(error, { setting: 'PORT', port: config.server.port, host: config.server.host }),
  );
  // Only now: a start that fails before listening must not use up the one showing of the first key.
  const firstUser = await ensureFirstUser(services.usersService);
  logger.info(
    {
      url: config.server.publicUrl,
      host: config.server.host,
      port: config.server.port,
      mode: config.wps.mode,
    },
    'wps agent listening',
  );
  if (sandbox) {
    process.stdout.write(
      `\n  WPS SANDBOX MODE: WPS_APP_ID is not set, so the agent uses the local WPS sandbox at ${sandbox.url}\n` +
        `  (fake accounts ${sandbox.accounts.join(', ')}; no real WPS data). Set WPS_APP_ID and WPS_APP_KEY to use WPS.\n\n`,
    );
  }
  if (firstUser) process.stdout.write(firstStartBanner(firstUser, config.server.publicUrl));
  if (!modelIsConfigured(config.openai)) process.stdout.write(`  ${NO_MODEL_CONFIGURED}.\n\n`);

  const shutdown = async (signal: string) => {
    const graceMs = config.shutdown.graceMs;
    logger.info({ signal, graceMs, turns: services.turnDrain.running() }, 'shutting down');
    // No new connections; running turns may finish and their answers go out within the grace period.
    const connectionsClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Node closes keep-alive connections idle at close() only: close the ones that go idle later too.
    const idleSweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    const finished = await services.turnDrain.drain(graceMs);
    await Promise.race([connectionsClosed, sleep(Math.max(0, deadline - Date.now()))]);
    clearInterval(idleSweep);
    if (!finished)
      logger.warn(
        { turns: services.turnDrain.running(), graceMs },
        'chat turns still running after SHUTDOWN_GRACE_MS: storing them as aborted',
      );
    // Cuts what is left: a turn whose client is gone is cancelled (model request and tool call).
    server.closeAllConnections();
    await sandbox?.close();
    // Stores this instance's turns and tool calls in flight as `aborted` and deletes its heartbeat row;
    // the database closes right after, so a late write of the chat loop cannot overwrite that.
    await services.close();
    await opened.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
