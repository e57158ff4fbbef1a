import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ENCRYPTION_KEY_FILE = 'token-encryption.key';

/**
 * The token encryption key: the configured one, or the one generated into `$DATA_DIR` on first start
 * (mode 0600). Losing this file makes stored WPS tokens unreadable: users then reconnect WPS.
 */
export function resolveEncryptionKey(options: { configured: Buffer | undefined; dataDir: string }): {
  key: Buffer;
  generated: boolean;
} {
  if (options.configured) return { key: options.configured, generated: false };
  const file = path.join(options.dataDir, ENCRYPTION_KEY_FILE);
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key; fix or delete it.`);
    return { key, generated: false };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx' fails if another process created the file meanwhile; then read theirs so both agree.
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return resolveEncryptionKey(options);
    throw error;
  }
  chmodSync(file, 0o600);
  return { key, generated: true };
}
