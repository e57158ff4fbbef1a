import { createApprovalsRepository } from '../approvals/approvals.repository.js';
import type { InstanceIdentity } from '../instances/instance-liveness.js';
import { createPostgresInstancesRepository } from '../instances/instances.postgres.js';
import { createInstancesRepository } from '../instances/instances.repository.js';
import { createConversationsRepository } from '../transcripts/conversations.repository.js';
import { createToolCallsRepository } from '../transcripts/tool-calls.repository.js';
import { createUsageRepository } from '../usage/usage.repository.js';
import { createPostgresUsersRepository } from '../users/users.postgres.js';
import { createUsersRepository } from '../users/users.repository.js';
import { createPostgresPendingAuthorizationsRepository } from '../wps-auth/pending-authorizations.postgres.js';
import { createPendingAuthorizationsRepository } from '../wps-auth/pending-authorizations.repository.js';
import { createPostgresWpsConnectionsRepository } from '../wps-auth/wps-connections.postgres.js';
import { createWpsConnectionsRepository } from '../wps-auth/wps-connections.repository.js';
import type { AppDatabase } from './database.js';
import type { PostgresDatabase } from './postgres-database.js';
import type { PostgresNotifications } from './postgres-notifications.js';

/** The database this process runs on: the embedded SQLite file, or a PostgreSQL shared by a fleet. */
export type AnyDatabase =
  | { dialect: 'sqlite'; db: AppDatabase }
  | { dialect: 'postgres'; db: PostgresDatabase };

export interface RepositoryOptions {
  /** The process that owns the work rows it writes; omitted by code that only reads (the CLI). */
  instance?: InstanceIdentity;
  /** At most this many turns of one user in flight at once, across every instance. */
  turnsInFlightPerUser?: number;
  /**
   * PostgreSQL only, and required there: this process's LISTEN connection, which wakes waiters when
   * another instance changes a row (src/db/postgres-notifications.ts). Its owner closes it on shutdown.
   */
  notifications?: PostgresNotifications;
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

function createPostgresRepositories(db: PostgresDatabase, options: RepositoryOptions) {
  const { instance, notifications } = options;
  if (!notifications)
    throw new Error('PostgreSQL repositories need the notifications listener (options.notifications)');
  const notYet = (name: string): never => {
    throw new Error(`the PostgreSQL ${name} repository is not wired yet`);
  };
  return {
    users: createPostgresUsersRepository({ db }),
    wpsConnections: createPostgresWpsConnectionsRepository({ db, notifications, instance }),
    pendingAuthorizations: createPostgresPendingAuthorizationsRepository({ db }),
    // Helper A's half (issue 11): until it lands, touching these throws instead of misbehaving.
    get conversations(): ReturnType<typeof createConversationsRepository> {
      return notYet('conversations');
    },
    get toolCalls(): ReturnType<typeof createToolCallsRepository> {
      return notYet('tool calls');
    },
    get approvals(): ReturnType<typeof createApprovalsRepository> {
      return notYet('approvals');
    },
    get usage(): ReturnType<typeof createUsageRepository> {
      return notYet('usage');
    },
    instances: createPostgresInstancesRepository({ db }),
  };
}
