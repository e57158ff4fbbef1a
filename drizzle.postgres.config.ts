import { defineConfig } from 'drizzle-kit';

/** PostgreSQL twin of drizzle.config.ts: `npm run db:generate` runs both. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/postgres-schema.ts',
  out: './migrations-postgres',
});
