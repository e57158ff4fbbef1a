import { createPostgresApprovalsRepository } from '../approvals/approvals.postgres.js';
import { type ApprovalsRepository, createApprovalsRepository } from '../approvals/approvals.repository.js';
import type { InstanceIdentity } from '../instances/instance-liveness.js';
import { createPostgresInstancesRepository } from '../instances/instances.postgres.js';
import { createInstancesRepository, type InstancesRepository } from '../instances/instances.repository.js';
import { createPostgresRateLimitsRepository } from '../rate-limits/rate-limits.postgres.js';
import {
  createRateLimitsRepository,
  type RateLimitsRepository,
} from '../rate-limits/rate-limits.repository.js';
import { createPostgresConversationsRepository } from '../transcripts/conversations.postgres.js';
import {
  type ConversationsRepository,
  createConversationsRepository,
} from '../transcripts/conversations.repository.js';
import { createPostgresToolCallsRepository } from '../transcripts/tool-calls.postgres.js';
import { createToolCallsRepository, type ToolCallsRepository } from '../transcripts/tool-calls.repository.js';
import { createPostgresUsageRepository } from '../usage/usage.postgres.js';
import { createUsageRepository, type UsageRepository } from '../usage/usage.repository.js';
import { createPostgresUsersRepository } from '../users/users.postgres.js';
import { createUsersRepository, type UsersRepository } from '../users/users.repository.js';
import { createPostgresPendingAuthorizationsRepository } from '../wps-auth/pending-authorizations.postgres.js';
import {
  createPendingAuthorizationsRepository,
  type PendingAuthorizationsRepository,
} from '../wps-auth/pending-authorizations.repository.js';
import { createPostgresWpsConnectionsRepository } from '../wps-auth/wps-connections.postgres.js';
import {
  createWpsConnectionsRepository,
  type WpsConnectionsRepository,
} from '../wps-auth/wps-connections.repository.js';
import type { AppDatabase } from './database.js';
import { createGroupCommit } from './group-commit.js';
import type { PostgresDatabase } from './postgres-database.js';
import type { PostgresNotifications } from './postgres-notifications.js';
import type { WalCheckpoints } from './wal-checkpoints.js';

/** The database this process runs on: the embedded SQLite file, or a PostgreSQL shared by a fleet. */
export type AnyDatabase =
  | {
      dialect: 'sqlite';
      db: AppDatabase;
      /** When the serving connection checkpoints its log (db/wal-checkpoints.ts); without it, SQLite decides. */
      checkpoints?: WalCheckpoints;
    }
  | { dialect: 'postgres'; db: PostgresDatabase };

export interface RepositoryOptions {
  /** The process that owns the work rows it writes; omitted by code that only reads (the CLI). */
  instance?: InstanceIdentity;
  /** At most this many turns of one user in flight at once, across every instance. */
  turnsInFlightPerUser?: number;
  /**
   * PostgreSQL only: this process's LISTEN connection, which wakes waiters when another instance changes
   * a row (src/db/postgres-notifications.ts); its owner closes it on shutdown. Without it, a process
   * waiting on another's token refresh polls every 25 ms, as on SQLite.
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
  // One per connection: the turn's writes from every repository share its commits.
  const groupCommit = createGroupCommit(db.$client, { afterCommit: database.checkpoints?.afterCommit });
  return {
    users: createUsersRepository({ db }),
    wpsConnections: createWpsConnectionsRepository({ db, instance }),
    pendingAuthorizations: createPendingAuthorizationsRepository({ db }),
    conversations: createConversationsRepository({ db, instance, turnsInFlightPerUser, groupCommit }),
    toolCalls: createToolCallsRepository({ db, instance, groupCommit }),
    approvals: createApprovalsRepository({ db }),
    usage: createUsageRepository({ db }),
    instances: createInstancesRepository({ db }),
    rateLimits: createRateLimitsRepository({ db, groupCommit }),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

/** The PostgreSQL repositories, each checked against its SQLite twin's type. */
function createPostgresRepositories(
  db: PostgresDatabase,
  options: RepositoryOptions,
): {
  users: UsersRepository;
  wpsConnections: WpsConnectionsRepository;
  pendingAuthorizations: PendingAuthorizationsRepository;
  conversations: ConversationsRepository;
  toolCalls: ToolCallsRepository;
  approvals: ApprovalsRepository;
  usage: UsageRepository;
  instances: InstancesRepository;
  rateLimits: RateLimitsRepository;
} {
  const { instance, turnsInFlightPerUser, notifications } = options;
  return {
    users: createPostgresUsersRepository({ db }),
    wpsConnections: createPostgresWpsConnectionsRepository({ db, notifications, instance }),
    pendingAuthorizations: createPostgresPendingAuthorizationsRepository({ db }),
    conversations: createPostgresConversationsRepository({ db, instance, turnsInFlightPerUser }),
    toolCalls: createPostgresToolCallsRepository({ db, instance }),
    approvals: createPostgresApprovalsRepository({ db }),
    usage: createPostgresUsageRepository({ db }),
    instances: createPostgresInstancesRepository({ db }),
    rateLimits: createPostgresRateLimitsRepository({ db }),
  };
}
