import { eq, lt } from 'drizzle-orm';
import type { AppDatabase } from '../db/database.js';
import { withDatabaseErrors } from '../db/database-errors.js';
import { instancesTable } from './instances.table.js';

export type InstanceRow = typeof instancesTable.$inferSelect;

/** The heartbeat rows of the server processes sharing this database. */
export function createInstancesRepository({ db }: { db: AppDatabase }) {
  return withDatabaseErrors({
    async register(row: InstanceRow): Promise<void> {
      db.insert(instancesTable).values(row).run();
    },

    /** Refreshes this instance's heartbeat; re-creates the row if a peer swept it during a long pause. */
    async heartbeat(row: InstanceRow): Promise<void> {
      db.insert(instancesTable)
        .values(row)
        .onConflictDoUpdate({
          target: instancesTable.id,
          set: { heartbeatAt: row.heartbeatAt, expiresAt: row.expiresAt },
        })
        .run();
    },

    async deregister(id: string): Promise<void> {
      db.delete(instancesTable).where(eq(instancesTable.id, id)).run();
    },

    /** Forgets instances past their expiry; their work rows are closed separately. */
    async deleteExpired(now: number): Promise<number> {
      return db.delete(instancesTable).where(lt(instancesTable.expiresAt, now)).run().changes;
    },

    async list(): Promise<InstanceRow[]> {
      return db.select().from(instancesTable).all();
    },
  });
}

export type InstancesRepository = ReturnType<typeof createInstancesRepository>;
