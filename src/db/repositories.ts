import { createApprovalsRepository } from '../approvals/approvals.repository.js';
import type { InstanceIdentity } from '../instances/instance-liveness.js';
import { createInstancesRepository } from '../instances/instances.repository.js';
import { createConversationsRepository } from '../transcripts/conversations.repository.js';
import { createToolCallsRepository } from '../transcripts/tool-calls.repository.js';
import { createUsageRepository } from '../usage/usage.repository.js';
import { createUsersRepository } from '../users/users.repository.js';
import { createPendingAuthorizationsRepository } from '../wps-auth/pending-authorizations.repository.js';
import { createWpsConnectionsRepository } from '../wps-auth/wps-connections.repository.js';
import type { AppDatabase } from './database.js';
import type { PostgresDatabase } from './postgres-database.js';

/** The database this process runs on: the embedded SQLite file, or a PostgreSQL shared by a fleet. */
export type AnyDatabase = { dialect: 'sqlite'; db: AppDatabase } | { dialect: 'postgres'; db: PostgresDatabase };

export interface RepositoryOptions {
  /** The process that owns the work rows it writes; omitted by code that only reads (the CLI). */
  instance?: InstanceIdentity;
  /** At most this many turns of one user in flight at once, across every instance. */
  turnsInFlightPerUser?: number;
}

/**
 * Every repository, on one database. Each feature's repository has one implementation per dialect with
 * the same async, intent-level methods; the types are the SQLite ones', which the PostgreSQL
 * implementations are checked against.
 */
export function createRepositories(database: AnyDatabase, options: RepositoryOptions = {}) {
  if (database.dialect === 'postgres') return createPostgresRepositories(database.db, options);
  const { db } = database;
  const { instance, turnsInFlightPerUser } = options;
  return {
    users: createUsersRepository({ db }),
    wpsConnections: createWpsConnectionsRepository({ db, instance }),
    pendingAuthorizations: createPendingAuthorizationsRepository({ db }),
    conversations: createConversationsRepository({ db, instance, turnsInFlightPerUser }),
    toolCalls: createToolCallsRepository({ db, instance }),
    approvals: createApprovalsRepository({ db }),
    usage: createUsageRepository({ db }),
    instances: createInstancesRepository({ db }),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

function createPostgresRepositories(_db: PostgresDatabase, _options: RepositoryOptions): never {
  // Filled in feature by feature (issue 11); the SQLite implementations define the interface.
  throw new Error('PostgreSQL repositories are not wired yet');
}
