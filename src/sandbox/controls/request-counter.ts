export interface RequestCounts {
  authorize: number;
  token: { authorization_code: number; refresh_token: number; other: number };
  /** Per server, per JSON-RPC method (or `GET` / `DELETE`); rejected requests count as `http_401` / `http_403`. */
  mcp: Record<string, Record<string, number>>;
}

export interface RequestCounter {
  countAuthorize(): void;
  countToken(grantType: string | undefined): void;
  countMcp(server: string, key: string): void;
  snapshot(): RequestCounts;
  reset(): void;
}

function emptyCounts(): RequestCounts {
  return { authorize: 0, token: { authorization_code: 0, refresh_token: 0, other: 0 }, mcp: {} };
}

export function createRequestCounter(): RequestCounter {
  let counts = emptyCounts();
  return {
    countAuthorize: () => {
      counts.authorize += 1;
    },
    countToken: (grantType) => {
      const key = grantType === 'authorization_code' || grantType === 'refresh_token' ? grantType : 'other';
      counts.token[key] += 1;
    },
    countMcp: (server, key) => {
      const perServer = counts.mcp[server] ?? {};
      perServer[key] = (perServer[key] ?? 0) + 1;
      counts.mcp[server] = perServer;
    },
    snapshot: () => structuredClone(counts),
    reset: () => {
      counts = emptyCounts();
    },
  };
}
