import { customType } from 'drizzle-orm/pg-core';

/**
 * A JSON column that gives back exactly what was stored, as SQLite's JSON text columns do. Not `jsonb`:
 * it reorders object keys, rejects strings holding `\u0000` (a WPS document may) and, through drizzle's
 * own jsonb mapping, turns a stored string that looks like JSON (`"123"`) into the value it spells. The
 * `json` type keeps the text as written (and checks it is JSON); node-postgres already parses it on the
 * way out, so reading passes the value through untouched.
 */
export const exactJson = <Data>(name: string) =>
  customType<{ data: Data; driverData: unknown }>({
    dataType: () => 'json',
    // drizzle skips the encoder for a null it is given directly, but not for a prepared statement's null
    // placeholder: both store SQL NULL (a JSON `null` would read back alike but fail `is null`).
    toDriver: (value) => (value === null ? null : JSON.stringify(value)),
    fromDriver: (value) => value as Data,
  })(name);

/** For the schema parity test: an `exactJson` column is the twin of SQLite's `text({ mode: 'json' })`. */
export function isExactJsonColumn(column: { columnType: string; getSQLType(): string }): boolean {
  return column.columnType === 'PgCustomColumn' && column.getSQLType() === 'json';
}
