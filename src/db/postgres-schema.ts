/**
 * The PostgreSQL drizzle schema: the twin of schema.ts, table for table (test/db/schema-parity.test.ts
 * fails when the two differ). Timestamps stay epoch milliseconds (`bigint` in number mode), so repository
 * code sees the same values on both databases.
 */

export * from '../approvals/approvals.pg-table.js';
export * from '../instances/instances.pg-table.js';
export * from '../rate-limits/rate-limits.pg-table.js';
export * from '../transcripts/transcripts.pg-tables.js';
export * from '../users/users.pg-table.js';
export * from '../wps-auth/wps-auth.pg-tables.js';
