import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import * as schema from './postgres-schema.js';

/*
 * Named prepared statements on PostgreSQL. node-postgres parses a named statement once per connection
 * and then only binds it; drizzle builds its SQL once, at `.prepare(name)`. Building and parsing per
 * call cost about as much CPU as running the statement (issue 12's profile).
 */

/**
 * The text each name stands for in this process. node-postgres refuses a second text under a name it
 * has parsed on a connection ("Prepared statements must be unique"), and only on a connection that ran
 * both: a name two repositories share would fail at random, under load. Claiming it here fails at once.
 */
const statementTexts = new Map<string, string>();

interface NamedPreparable {
  toSQL(): { sql: string };
  prepare(name: string): unknown;
}

/**
 * `query.prepare(name)`, once it is sure no other statement of this process holds `name`. The same
 * text may claim it again: repositories are created more than once per process (and per connection,
 * see `preparedTransactions`).
 */
export function prepareNamed<Query extends NamedPreparable>(
  name: string,
  query: Query,
): ReturnType<Query['prepare']> {
  const text = query.toSQL().sql;
  const claimed = statementTexts.get(name);
  if (claimed !== undefined && claimed !== text)
    throw new Error(`Prepared statement name "${name}" already stands for another statement: ${claimed}`);
  statementTexts.set(name, text);
  return query.prepare(name) as ReturnType<Query['prepare']>;
}

/** A drizzle database on one pooled connection: what a transaction's prepared statements run on. */
export type PostgresConnection = NodePgDatabase<typeof schema>;

/**
 * Transactions whose statements are prepared once per pooled connection. drizzle binds a prepared
 * statement to the client it was prepared on: one prepared on the pool runs on whichever connection is
 * free, outside any `db.transaction` (drizzle-orm#2826), and one prepared on the transaction is built
 * anew on every call. So each connection gets a drizzle instance of its own and `prepare`'s statements
 * on it, kept as long as the connection lives; a transaction holds the connection and runs them there.
 *
 * BEGIN is not awaited before `work` starts: on the pool's pipelined connections it goes out with the
 * statements `work` issues before its first await, and the server runs them in order after it. A work
 * that issues two at once (`Promise.all`) pays one round trip for the three. COMMIT, or ROLLBACK when
 * anything failed, waits for everything.
 */
export function preparedTransactions<Statements>(
  pool: pg.Pool,
  prepare: (connection: PostgresConnection) => Statements,
) {
  const byConnection = new WeakMap<
    pg.PoolClient,
    { connection: PostgresConnection; statements: Statements }
  >();
  return async <Result>(work: (statements: Statements) => Promise<Result>): Promise<Result> => {
    const client = await pool.connect();
    // A connection whose ROLLBACK failed may still be inside the transaction: it goes, not back.
    let unusable: Error | undefined;
    try {
      let prepared = byConnection.get(client);
      if (!prepared) {
        const connection = drizzle({ client, schema });
        prepared = { connection, statements: prepare(connection) };
        byConnection.set(client, prepared);
      }
      const { statements } = prepared;
      const begun = client.query('begin');
      // Called at once (its first statements follow the BEGIN), but a throw becomes a rejection handled
      // below: the connection must not go back to the pool inside the transaction.
      const outcome = (async () => work(statements))();
      // Each is awaited below, but the other may fail first (a throw before any statement, a broken
      // connection failing BEGIN): its failure is then this one's consequence, not an unhandled one.
      begun.catch(() => undefined);
      outcome.catch(() => undefined);
      try {
        await begun;
        const result = await outcome;
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: Error) => {
          unusable = rollbackError;
        });
        throw error;
      }
    } finally {
      // A connection that broke is not queryable any more, and pg-pool drops it on release.
      client.release(unusable);
    }
  };
}
