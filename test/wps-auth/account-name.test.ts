import { describe, expect, it } from 'vitest';
import { accountNameFromAccessToken } from '../../src/wps-auth/account-name.js';

const jwt = (claims: Record<string, unknown>) =>
  `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.signature`;

describe('the WPS account name shown in the console header', () => {
  it("is the token's name claim where there is one", () => {
    expect(accountNameFromAccessToken(jwt({ sub: 'alice', name: 'alice' }))).toBe('alice');
  });

  it('is unknown (null) for tokens that do not say it, rather than a guess from other claims', () => {
    expect(accountNameFromAccessToken(jwt({ sub: '1234567890' }))).toBeNull();
    expect(accountNameFromAccessToken('opaque-access-token')).toBeNull();
    expect(accountNameFromAccessToken('a.not-base64-json.c')).toBeNull();
  });
});
