/**
 * Turns a failed `listen` into a sentence that names the setting to change. EADDRINUSE on a fresh
 * machine is nearly always a second agent (or sandbox) still running, so it says that too.
 */
export function describeListenError(
  error: unknown,
  where: { setting: 'PORT' | 'SANDBOX_PORT'; port: number; host: string },
): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const address = `${where.host}:${where.port}`;
  if (code === 'EADDRINUSE')
    return `Port ${where.port} (${where.setting}) is already in use on ${where.host}: another agent may be running (stop it), or set ${where.setting} to a free port.`;
  if (code === 'EACCES')
    return `Not allowed to listen on ${address} (${where.setting}): ports below 1024 need extra privileges; set ${where.setting} to a port above 1023.`;
  if (code === 'EADDRNOTAVAIL')
    return `Cannot listen on ${address}: ${where.host} is not an address of this machine; check HOST.`;
  return undefined;
}

/** A start-up failure whose message is already the whole story for the person at the terminal. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Rethrows a listen failure with its plain-words description, when there is one. */
export function explainListenError(
  error: unknown,
  where: { setting: 'PORT' | 'SANDBOX_PORT'; port: number; host: string },
): never {
  const description = describeListenError(error, where);
  if (description) throw new StartupError(description, { cause: error });
  throw error;
}
