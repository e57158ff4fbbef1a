import { and, isNotNull, ne, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { InstanceIdentity } from '../instances/instance-liveness.js';
import { instancesTable } from '../instances/instances.pg-table.js';

/*
 * The PostgreSQL twins of instance-liveness.ts's `ownedByLiveInstance` / `ownedByDeadInstance`, kept to
 * the transcripts' work rows until the liveness SQL is shared by both dialects (same meaning, see there).
 */

const liveInstanceIds = (now: number) =>
  sql`(select ${instancesTable.id} from ${instancesTable} where ${instancesTable.expiresAt} >= ${now})`;

/** The row belongs to a live instance: this one (alive by definition) or one not yet past its expiry. */
export function ownedByLiveInstance(column: PgColumn, instance: InstanceIdentity, now: number): SQL {
  return or(sql`${column} = ${instance.id}`, sql`${column} in ${liveInstanceIds(now)}`) as SQL;
}

/** The row has an owner, and that owner is neither this instance nor any instance still alive. */
export function ownedByDeadInstance(column: PgColumn, instance: InstanceIdentity, now: number): SQL {
  return and(
    isNotNull(column),
    ne(column, instance.id),
    sql`${column} not in ${liveInstanceIds(now)}`,
  ) as SQL;
}
