import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { TokenStoreSnapshot } from '../oauth/token-store.js';
import type { SandboxStoreSnapshot } from './sandbox-store.js';

/** The file in DATA_DIR where `npm start` keeps its sandbox (tokens, documents, tables) across restarts. */
export const SANDBOX_STATE_FILE = 'sandbox-state.json';

/** Bumped when the shape changes; a file of another version is ignored (the sandbox starts fresh). */
const STATE_VERSION = 1;

export interface SandboxState {
  store: SandboxStoreSnapshot;
  tokens: TokenStoreSnapshot;
}

/** The saved state, or undefined when there is none (first start, after a reset) or it is unreadable. */
export function readSandboxState(filePath: string): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as { version?: unknown } & Partial<SandboxState>;
  if (parsed.version !== STATE_VERSION || !parsed.store || !parsed.tokens) return undefined;
  return { store: parsed.store, tokens: parsed.tokens };
}

/** Serialises the state once; `write` only touches the disk when it changed since the last write. */
export function createSandboxStateWriter(filePath: string) {
  let lastWritten: string | undefined;
  return {
    write(state: SandboxState): void {
      const text = JSON.stringify({ version: STATE_VERSION, ...state });
      if (text === lastWritten) return;
      // Write-then-rename: a crash mid-write leaves the previous file whole, never half a file.
      const temporary = `${filePath}.${process.pid}.tmp`;
      writeFileSync(temporary, text, { mode: 0o600 });
      renameSync(temporary, filePath);
      lastWritten = text;
    },
  };
}

/** Forgets the saved sandbox: the next start seeds fresh accounts and issues no old token. */
export function removeSandboxState(filePath: string): boolean {
  try {
    rmSync(filePath);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return false;
    throw error;
  }
}
