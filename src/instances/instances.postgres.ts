import { eq, lt } from 'drizzle-orm';
import { withDatabaseErrors } from '../db/database-errors.js';
import type { PostgresDatabase } from '../db/postgres-database.js';
import { instancesTable } from './instances.pg-table.js';
import type { InstanceRow, InstancesRepository } from './instances.repository.js';

/** The PostgreSQL twin of instances.repository.ts: every method is one statement, so no locks are needed. */
export function createPostgresInstancesRepository({ db }: { db: PostgresDatabase }): InstancesRepository {
  return withDatabaseErrors({
    async register(row: InstanceRow): Promise<void> {
      await db.insert(instancesTable).values(row);
    },

    /** An upsert: a peer's concurrent `deleteExpired` either runs first (the row comes back) or after. */
    async heartbeat(row: InstanceRow): Promise<void> {
      await db
        .insert(instancesTable)
        .values(row)
        .onConflictDoUpdate({
          target: instancesTable.id,
          set: { heartbeatAt: row.heartbeatAt, expiresAt: row.expiresAt },
        });
    },

    async deregister(id: string): Promise<void> {
      await db.delete(instancesTable).where(eq(instancesTable.id, id));
    },

    async deleteExpired(now: number): Promise<number> {
      const result = await db.delete(instancesTable).where(lt(instancesTable.expiresAt, now));
      return result.rowCount ?? 0;
    },

    async list(): Promise<InstanceRow[]> {
      return db.select().from(instancesTable);
    },
  });
}
