import { type AnyColumn, and, isNotNull, ne, or, type SQL, sql } from 'drizzle-orm';
import { instancesTable as postgresInstancesTable } from './instances.pg-table.js';
import { instancesTable as sqliteInstancesTable } from './instances.table.js';

/**
 * Who this process is, as repositories record it on the work rows they write (turns in flight, running
 * tool calls, the token refresh lease), and how long a silent heartbeat means "dead".
 */
export interface InstanceIdentity {
  id: string;
  /** Past this long after its last heartbeat, this instance counts as dead to its peers. */
  expiryMs: number;
}

/** For code that only reads (the CLI): it never owns work, so nothing it writes needs an owner. */
export const READ_ONLY_INSTANCE: InstanceIdentity = { id: 'read-only', expiryMs: 30_000 };

/** The instances table of either dialect: the SQL below is the same on both, only the table differs. */
export type AnyInstancesTable = typeof sqliteInstancesTable | typeof postgresInstancesTable;

/**
 * "Owned by a live / dead instance" conditions over one dialect's instances table, for any column that
 * holds an instance id (a message's turn owner, a tool call's runner, the refresh lease holder). `now` is
 * the caller's clock, the one the heartbeat rows were written with.
 */
export function instanceLiveness(instances: AnyInstancesTable) {
  const liveInstanceIds = (now: number) =>
    sql`(select ${instances.id} from ${instances} where ${instances.expiresAt} >= ${now})`;
  return {
    /** The row belongs to a live instance: this one (alive by definition) or one not yet past its expiry. */
    ownedByLiveInstance(column: AnyColumn, instance: InstanceIdentity, now: number): SQL {
      return or(sql`${column} = ${instance.id}`, sql`${column} in ${liveInstanceIds(now)}`) as SQL;
    },
    /** The row has an owner, and that owner is neither this instance nor any instance still alive. */
    ownedByDeadInstance(column: AnyColumn, instance: InstanceIdentity, now: number): SQL {
      return and(
        isNotNull(column),
        ne(column, instance.id),
        sql`${column} not in ${liveInstanceIds(now)}`,
      ) as SQL;
    },
  };
}

/** The SQLite conditions, under the names the SQLite repositories import. */
export const { ownedByLiveInstance, ownedByDeadInstance } = instanceLiveness(sqliteInstancesTable);
/** The PostgreSQL conditions, for the `*.postgres.ts` repositories. */
export const postgresInstanceLiveness = instanceLiveness(postgresInstancesTable);
