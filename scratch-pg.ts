import pg from 'pg';
import { startTestDatabase } from './test/support/postgres.js';
import { migratePostgres } from './src/db/postgres-migrations.js';
const server = await startTestDatabase();
try {
  await (migratePostgres as any)(server.url);
  const c = new pg.Client({ connectionString: server.url }); await c.connect();
  await c.query("insert into users (id, name, created_at) values ('usr_a','a',1), ('usr_b','b',1)");
  await c.query("insert into conversations (id, user_id, title, created_at, updated_at) select 'conv_'||i, case when i % 2 = 0 then 'usr_a' else 'usr_b' end, 't', 1, 1 from generate_series(1, 2000) i");
  await c.query("insert into messages (id, conversation_id, role, text, status, created_at, sequence) select 'msg_'||i||'_'||j, 'conv_'||i, case when j % 2 = 0 then 'user' else 'assistant' end, 'x', 'complete', 1, j from generate_series(1, 2000) i, generate_series(1, 20) j");
  await c.query("analyze");
  const live = `("messages"."instance_id" = 'inst_a' or "messages"."instance_id" in (select "instances"."id" from "instances" where "instances"."expires_at" >= 1))`;
  for (const q of [
    `select exists (select "id" from "messages" where "messages"."conversation_id" = 'conv_5' and "messages"."role" = 'assistant' and "messages"."status" = 'streaming' and ${live} limit 1)`,
    `select count(*) from "messages" inner join "conversations" on "messages"."conversation_id" = "conversations"."id" where "conversations"."user_id" = 'usr_a' and "messages"."role" = 'assistant' and "messages"."status" = 'streaming' and ${live}`,
  ]) { const r = await c.query('explain analyze ' + q); console.log(r.rows.map((x: any) => x['QUERY PLAN']).join('\n')); console.log('---'); }
  await c.end();
} finally { await server.stop(); }
