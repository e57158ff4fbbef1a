import path from 'node:path';
import type { Config } from '../config/config.js';
import { removeSandboxState, SANDBOX_STATE_FILE } from '../sandbox/index.js';
import { AppError } from '../shared/errors.js';
import type { FetchLike } from '../shared/fetch.js';

/**
 * `sandbox reset`: the next start seeds a fresh sandbox. Refused while a sandbox answers on SANDBOX_PORT:
 * the running one would write its state straight back.
 */
export async function resetSandbox({ config, fetch }: { config: Config; fetch: FetchLike }) {
  const running = await fetch(`http://127.0.0.1:${config.sandbox.port}/`, {
    signal: AbortSignal.timeout(1_000),
  }).then(
    () => true,
    () => false,
  );
  if (running)
    throw new AppError({
      code: 'sandbox_running',
      status: 409,
      message: `A sandbox is running on port ${config.sandbox.port} (SANDBOX_PORT): stop the server (npm start) first, then reset.`,
    });
  const statePath = path.join(config.dataDir, SANDBOX_STATE_FILE);
  return { reset: true, removed: removeSandboxState(statePath), statePath };
}
