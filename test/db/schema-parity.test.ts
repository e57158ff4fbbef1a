import { getTableName, is, Table } from 'drizzle-orm';
import {
  getTableConfig as getPostgresTableConfig,
  type PgTable,
  integer as pgInteger,
  pgTable,
} from 'drizzle-orm/pg-core';
import {
  getTableConfig as getSqliteTableConfig,
  integer,
  type SQLiteTable,
  sqliteTable,
} from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { isExactJsonColumn } from '../../src/db/postgres-json.js';
import * as postgresSchema from '../../src/db/postgres-schema.js';
import * as sqliteSchema from '../../src/db/schema.js';

type TableConfig = ReturnType<typeof getSqliteTableConfig> | ReturnType<typeof getPostgresTableConfig>;

/**
 * What must be the same on both databases, in dialect-neutral terms: drizzle's `dataType` is `number`
 * for SQLite integers and PostgreSQL bigint/integer alike, `json` for SQLite JSON text and jsonb,
 * `boolean` for SQLite's 0/1 integers and PostgreSQL booleans. PostgreSQL's `exactJson` columns (a custom
 * type) count as `json`.
 */
function describeTable(config: TableConfig) {
  return {
    name: config.name,
    columns: Object.fromEntries(
      config.columns.map((c) => [
        c.name,
        {
          dataType: isExactJsonColumn(c) ? 'json' : c.dataType,
          notNull: c.notNull,
          primary: c.primary,
          unique: c.isUnique,
          default: c.default,
          enumValues: c.enumValues ?? null,
        },
      ]),
    ),
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    indexes: config.indexes
      .map((index) => ({
        name: index.config.name,
        unique: index.config.unique,
        columns: index.config.columns.map((c) => (c as { name: string }).name),
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const reference = fk.reference();
        return {
          columns: reference.columns.map((c) => c.name),
          table: getTableName(reference.foreignTable),
          foreignColumns: reference.foreignColumns.map((c) => c.name),
          onDelete: fk.onDelete ?? 'no action',
          onUpdate: fk.onUpdate ?? 'no action',
        };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
  };
}

function tablesOf(schema: Record<string, unknown>) {
  return Object.entries(schema).filter(([, value]) => is(value, Table));
}

describe('the SQLite and PostgreSQL schemas', () => {
  it('export the same tables under the same names', () => {
    const sqliteTables = tablesOf(sqliteSchema).map(([key, table]) => [key, getTableName(table as Table)]);
    const postgresTables = tablesOf(postgresSchema).map(([key, table]) => [
      key,
      getTableName(table as Table),
    ]);
    expect(sqliteTables.length).toBe(10);
    expect(postgresTables.sort()).toEqual(sqliteTables.sort());
  });

  for (const [key, table] of tablesOf(sqliteSchema)) {
    it(`define ${getTableName(table as Table)} alike: columns, constraints, indexes, foreign keys`, () => {
      const twin = (postgresSchema as Record<string, unknown>)[key] as PgTable;
      expect(describeTable(getPostgresTableConfig(twin))).toEqual(
        describeTable(getSqliteTableConfig(table as SQLiteTable)),
      );
    });
  }

  it('are told apart when one dialect gains a column (the comparison is not vacuous)', () => {
    const sqlite = sqliteTable('t', { a: integer('a').notNull() });
    const postgres = pgTable('t', { a: pgInteger('a').notNull(), b: pgInteger('b') });
    expect(describeTable(getPostgresTableConfig(postgres))).not.toEqual(
      describeTable(getSqliteTableConfig(sqlite)),
    );
  });
});
