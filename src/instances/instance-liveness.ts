import { and, isNotNull, ne, or, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { instancesTable } from './instances.table.js';

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

/** `now` may be a placeholder, for statements prepared once (see turn-statements.sqlite.ts). */
type Now = number | Placeholder;

const liveInstanceIds = (now: Now) =>
  sql`(select ${instancesTable.id} from ${instancesTable} where ${instancesTable.expiresAt} >= ${now})`;

/** The row belongs to a live instance: this one (alive by definition) or one not yet past its expiry. */
export function ownedByLiveInstance(column: SQLiteColumn, instance: InstanceIdentity, now: Now): SQL {
  return or(sql`${column} = ${instance.id}`, sql`${column} in ${liveInstanceIds(now)}`) as SQL;
}

/** The row has an owner, and that owner is neither this instance nor any instance still alive. */
export function ownedByDeadInstance(column: SQLiteColumn, instance: InstanceIdentity, now: number): SQL {
  return and(
    isNotNull(column),
    ne(column, instance.id),
    sql`${column} not in ${liveInstanceIds(now)}`,
  ) as SQL;
}
