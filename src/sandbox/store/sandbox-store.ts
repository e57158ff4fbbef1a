import type { Clock } from '../../shared/clock.js';
import { type AccountSeed, SEED_ACCOUNTS } from './seed-data.js';
import type { AccountFiles, SandboxDbsheet, SandboxDocument, SandboxFileIdentity } from './store-types.js';

/**
 * The in-memory cloud drive of every sandbox account. One instance per sandbox, so every test starts from
 * the same seed. Ids come from one counter shared by all accounts: an id from alice's drive never names a
 * file of bob's, which keeps the isolation tests meaningful.
 */
export interface SandboxStore {
  accountNames(): string[];
  /** The live (mutable) files of an account; undefined for an unknown account. */
  files(account: string): AccountFiles | undefined;
  newFileIdentity(name: string): SandboxFileIdentity;
  newRecordId(): string;
  newFieldId(): string;
  newSheetId(table: SandboxDbsheet): number;
  /** Everything needed to rebuild this store as it is now (`createSandboxStore({ restore })`). */
  snapshot(): SandboxStoreSnapshot;
}

/** The store's whole state, as plain JSON: the id counter and every account's files. */
export interface SandboxStoreSnapshot {
  sequence: number;
  accounts: Record<string, AccountFiles>;
}

/** WPS share links look like `https://365.kdocs.cn/l/<link id>`; tools accept them as `file_url`. */
export const LINK_URL_PREFIX = 'https://365.kdocs.cn/l/';

export function createSandboxStore(options: {
  clock: Clock;
  seed?: Record<string, AccountSeed>;
  /** A snapshot to continue from instead of the seed (a sandbox restarted on the same state file). */
  restore?: SandboxStoreSnapshot;
}): SandboxStore {
  const { clock } = options;
  let sequence = options.restore?.sequence ?? 0;
  const next = () => {
    sequence += 1;
    return sequence;
  };

  const newFileIdentity = (name: string, options_: { seeded?: boolean } = {}): SandboxFileIdentity => {
    const n = next();
    // Seeded files are dated a minute apart, older the later they are seeded, so "most recently
    // modified first" lists come out in one fixed order however fast the seeding runs.
    const now = options_.seeded ? clock.now() - n * 60_000 : clock.now();
    return {
      id: String(100_000_000_000 + n),
      name,
      driveId: '',
      linkUrl: `${LINK_URL_PREFIX}cs${(1_000_000 + n * 7919).toString(36)}`,
      version: 1,
      createdAt: now,
      modifiedAt: now,
    };
  };

  const accounts = new Map<string, AccountFiles>(
    Object.entries(structuredClone(options.restore?.accounts ?? {})),
  );
  for (const [account, seed] of Object.entries(options.restore ? {} : (options.seed ?? SEED_ACCOUNTS))) {
    const driveId = String(200_000_000 + next());
    const documents: SandboxDocument[] = seed.documents.map((document) => ({
      ...newFileIdentity(document.name, { seeded: true }),
      driveId,
      type: document.type,
      version: document.version ?? 1,
      markdown: document.markdown,
      comments: (document.comments ?? []).map((comment) => ({ ...comment })),
    }));
    const tables: SandboxDbsheet[] = seed.tables.map((table) => ({
      ...newFileIdentity(table.name, { seeded: true }),
      driveId,
      sheets: table.sheets.map((sheet, index) => ({
        id: index + 1,
        name: sheet.name,
        fields: sheet.fields.map((field) => ({
          id: `fld${next().toString(36)}`,
          name: field,
          type: 'MultiLineText',
        })),
        records: sheet.records.map((fields) => ({ id: `rec${next().toString(36)}`, fields: { ...fields } })),
      })),
    }));
    accounts.set(account, { driveId, documents, tables });
  }

  return {
    accountNames: () => [...accounts.keys()],
    files: (account) => accounts.get(account),
    newFileIdentity,
    newRecordId: () => `rec${next().toString(36)}`,
    newFieldId: () => `fld${next().toString(36)}`,
    newSheetId: (table) => Math.max(0, ...table.sheets.map((sheet) => sheet.id)) + 1,
    snapshot: () => ({ sequence, accounts: structuredClone(Object.fromEntries(accounts)) }),
  };
}
