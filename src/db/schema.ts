/** The drizzle schema: every table, gathered from the feature folders that own them. */

export * from '../approvals/approvals.table.js';
export * from '../instances/instances.table.js';
export * from '../rate-limits/rate-limits.table.js';
export * from '../transcripts/transcripts.tables.js';
export * from '../users/users.table.js';
export * from '../wps-auth/wps-auth.tables.js';
