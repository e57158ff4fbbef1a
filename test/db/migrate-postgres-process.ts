/** One "instance" starting up: migrates the database named by argv[2], then exits 0 (or 1 with the error). */
import { migratePostgres } from '../../src/db/postgres-migrations.js';

try {
  await migratePostgres(process.argv[2]!);
} catch (error) {
  console.error(error);
  process.exit(1);
}
