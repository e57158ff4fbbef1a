import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { AgentHarness } from './agent-harness.js';

/**
 * Asserts that no token the sandbox ever issued (access, refresh, code) appears in the agent's logs, in the
 * given response bodies, or anywhere in the database files on disk.
 */
export function expectNoWpsSecretsLeaked(harness: AgentHarness, responses: unknown[] = []): void {
  const secrets = harness.sandbox.issuedTokens().filter((secret) => secret.length >= 16);
  expect(secrets.length).toBeGreaterThan(0);
  const logs = harness.logs.join('\n');
  const bodies = responses.map((response) => JSON.stringify(response)).join('\n');
  const databaseFiles = readdirSync(harness.dataDir)
    .filter((file) => file.startsWith('agent.db'))
    .map((file) => readFileSync(path.join(harness.dataDir, file)).toString('latin1'))
    .join('\n');
  for (const secret of secrets) {
    expect(logs.includes(secret), 'a WPS secret appeared in the logs').toBe(false);
    expect(bodies.includes(secret), 'a WPS secret appeared in a response').toBe(false);
    expect(databaseFiles.includes(secret), 'a WPS secret is stored in plain text').toBe(false);
  }
}
