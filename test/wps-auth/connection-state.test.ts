import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { createSecretBox, type SecretBox } from '../../src/shared/secret-box.js';
import { createTokenManager } from '../../src/wps-auth/token-manager.js';
import type {
  WpsConnectionRow,
  WpsConnectionsRepository,
} from '../../src/wps-auth/wps-connections.repository.js';
import { sealV1 } from '../support/sealed-v1.js';

const T0 = Date.UTC(2026, 5, 1);
const keyA = randomBytes(32);
const keyB = randomBytes(32);
/** A sandbox-style access token: it names its account, which only GET /v1/me shows. */
const ACCESS_TOKEN = 'sandbox_at.alice.0123456789';

/** The secret box, counting how often it opens a value. */
function countingBox(box: SecretBox) {
  const opened: string[] = [];
  const counting: SecretBox = {
    currentKeyId: box.currentKeyId,
    seal: (plaintext) => box.seal(plaintext),
    sealedWithCurrentKey: (sealed) => box.sealedWithCurrentKey(sealed),
    holdsKeyOf: (sealed) => box.holdsKeyOf(sealed),
    open(sealed) {
      opened.push(sealed);
      return box.open(sealed);
    },
  };
  return { box: counting, opened };
}

/** A token manager over one stored connection (only `find` is asked for in these tests). */
function managerWith(options: {
  box: SecretBox;
  row?: Partial<WpsConnectionRow> & { accessTokenCiphertext: string };
  clock?: ReturnType<typeof createManualClock>;
  /** Each read of the stored connection, and what it answers (the row by default). */
  find?: (row: WpsConnectionRow | undefined) => WpsConnectionRow | undefined;
}) {
  const row = options.row && {
    userId: 'usr_a',
    status: 'connected' as const,
    refreshTokenCiphertext: options.box.seal('refresh'),
    refreshTokenHash: 'hash',
    accessExpiresAt: T0 + 3_600_000,
    refreshExpiresAt: null,
    scopes: 'kso.file.read',
    createdAt: T0,
    updatedAt: T0,
    ...options.row,
  };
  const find = options.find ?? ((stored) => stored);
  const repository = {
    find: async () => find(row as WpsConnectionRow | undefined),
  } as unknown as WpsConnectionsRepository;
  return createTokenManager({
    repository,
    secretBox: options.box,
    clock: options.clock ?? createManualClock(T0),
    fetch: async () => {
      throw new Error('no request in these tests');
    },
    logger: createLogger({ level: 'silent' }),
    resolver: { resolve: async () => ({ tokenUrl: 'http://wps.test/token' }) } as never,
    clientId: 'client',
    clientSecret: 'secret',
    refreshMarginMs: 60_000,
  });
}

describe("a chat turn's check of the WPS connection", () => {
  it('does not decrypt a token sealed under a key this instance holds, current or previous', async () => {
    for (const sealedUnder of [keyB, keyA]) {
      const { box, opened } = countingBox(createSecretBox({ current: keyB, previous: [keyA] }));
      const accessTokenCiphertext = createSecretBox(sealedUnder).seal(ACCESS_TOKEN);
      const manager = managerWith({ box, row: { accessTokenCiphertext } });
      expect(await manager.connectionState('usr_a')).toBe('connected');
      expect(opened).toEqual([]);
      // GET /v1/me (`status`) still opens it, for the account name.
      expect(await manager.status('usr_a')).toMatchObject({ status: 'connected' });
      expect(opened).toEqual([accessTokenCiphertext]);
    }
  });

  it('answers reauthorization_required for a token sealed under a retired key, as GET /v1/me does', async () => {
    const { box } = countingBox(createSecretBox({ current: keyB }));
    const manager = managerWith({
      box,
      row: { accessTokenCiphertext: createSecretBox(keyA).seal(ACCESS_TOKEN) },
    });
    expect(await manager.connectionState('usr_a')).toBe('reauthorization_required');
    expect(await manager.status('usr_a')).toMatchObject({
      status: 'reauthorization_required',
      account: null,
    });
  });

  it('opens a v1 token (it names no key) to tell whether one of the keys still opens it', async () => {
    const { box, opened } = countingBox(createSecretBox({ current: keyB, previous: [keyA] }));
    const underA = sealV1(keyA, ACCESS_TOKEN);
    expect(await managerWith({ box, row: { accessTokenCiphertext: underA } }).connectionState('usr_a')).toBe(
      'connected',
    );
    expect(opened).toEqual([underA]);
    const withoutA = createSecretBox({ current: keyB });
    expect(
      await managerWith({ box: withoutA, row: { accessTokenCiphertext: underA } }).connectionState('usr_a'),
    ).toBe('reauthorization_required');
  });

  it('answers not_connected without a connection, and a stored reauthorization_required as it is', async () => {
    const box = createSecretBox(keyB);
    expect(await managerWith({ box }).connectionState('usr_a')).toBe('not_connected');
    const revoked = managerWith({
      box,
      row: { status: 'reauthorization_required', accessTokenCiphertext: box.seal(ACCESS_TOKEN) },
    });
    expect(await revoked.connectionState('usr_a')).toBe('reauthorization_required');
  });

  it('reads nothing while the token is remembered for MCP requests, and sees a change made elsewhere', async () => {
    const box = createSecretBox(keyB);
    const clock = createManualClock(T0);
    let reads = 0;
    let revokedElsewhere = false;
    const manager = managerWith({
      box,
      clock,
      row: { accessTokenCiphertext: box.seal(ACCESS_TOKEN) },
      find: (row) => {
        reads += 1;
        return row && revokedElsewhere ? { ...row, status: 'reauthorization_required' } : row;
      },
    });
    expect(await manager.getAccessToken('usr_a')).toBe(ACCESS_TOKEN);
    expect(reads).toBe(1);
    expect(await manager.connectionState('usr_a')).toBe('connected');
    expect(reads).toBe(1);

    // Another process marks the connection for re-authorization: within seconds it shows here too...
    revokedElsewhere = true;
    clock.advance(5_001);
    expect(await manager.connectionState('usr_a')).toBe('reauthorization_required');
    expect(reads).toBe(2);
    // ...and at once when the change feed says so (PostgreSQL).
    revokedElsewhere = false;
    expect(await manager.getAccessToken('usr_a')).toBe(ACCESS_TOKEN);
    revokedElsewhere = true;
    manager.forgetRemembered('usr_a');
    expect(await manager.connectionState('usr_a')).toBe('reauthorization_required');
  });
});
