import { describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../src/db/database.js';
import { createRepositories } from '../../src/db/repositories.js';

/**
 * The statements the hot paths and the sweeps run, as SQLite plans them: none may scan a whole transcript
 * table, however long the history grows. The SQL is captured from the repositories themselves, so a
 * changed query is checked too.
 */
function capturingDatabase() {
  const db = openDatabase(':memory:');
  migrateDatabase(db);
  const statements: string[] = [];
  const prepare = db.$client.prepare.bind(db.$client);
  db.$client.prepare = ((source: string) => {
    statements.push(source);
    return prepare(source);
  }) as typeof db.$client.prepare;
  const plan = (source: string) =>
    (
      db.$client.prepare(`explain query plan ${source}`).all(...parametersOf(source)) as Array<{
        detail: string;
      }>
    )
      .map((row) => row.detail)
      .join('; ');
  return { db, statements, plan };
}

/** Any values: the plan depends on the statement's shape (and literal statuses), not on the values. */
function parametersOf(source: string): unknown[] {
  return Array.from({ length: (source.match(/\?/g) ?? []).length }, () => 'x');
}

async function plansOf(
  run: (repositories: ReturnType<typeof createRepositories>) => Promise<unknown>,
  options: { preparedUpFront?: boolean } = {},
) {
  const { db, statements, plan } = capturingDatabase();
  // Statements the repositories prepare once, when built (a turn's), count with `preparedUpFront`.
  const built = statements.length;
  const repositories = createRepositories(
    { dialect: 'sqlite', db },
    { instance: { id: 'inst_me', expiryMs: 30_000 }, turnsInFlightPerUser: 3 },
  );
  const before = options.preparedUpFront ? built : statements.length;
  await run(repositories);
  return statements
    .slice(before)
    .filter((source) => /messages|tool_calls|approvals/.test(source))
    .map((source) => ({ source, plan: plan(source) }));
}

const fullScan =
  /SCAN (messages|tool_calls|approvals)(?! USING (COVERING )?INDEX (messages_streaming_idx|tool_calls_running_idx|approvals_pending_idx))/;

describe('query plans of the transcript tables', () => {
  it('a transcript loads its tool calls through the message index', async () => {
    const plans = await plansOf((repositories) => repositories.toolCalls.listForMessages(['msg_1', 'msg_2']));
    expect(plans).toHaveLength(1);
    expect(plans[0]!.plan).toMatch(/SEARCH tool_calls USING INDEX tool_calls_message_idx \(message_id=\?\)/);
  });

  it('the sweeps read only the running or streaming rows, through their partial indexes', async () => {
    const plans = await plansOf(async ({ toolCalls, conversations }) => {
      await toolCalls.abortRunningOfDeadInstances(1);
      await toolCalls.abortRunningStartedBefore(1);
      await toolCalls.abortRunningOfThisInstance();
      await conversations.abortStreamingOfDeadInstances(1);
      await conversations.abortStreamingStartedBefore(1);
      await conversations.abortStreamingOfThisInstance();
    });
    expect(plans).toHaveLength(6);
    for (const { source, plan } of plans) {
      expect(plan, source).toMatch(/USING (COVERING )?INDEX (tool_calls_running_idx|messages_streaming_idx)/);
      expect(plan, source).not.toMatch(fullScan);
    }
  });

  it("a new message reads its conversation's pending approvals through their partial index", async () => {
    const plans = await plansOf(
      async ({ approvals }) => {
        await approvals.listPendingForConversation('conv_1');
        await approvals.countPending(1);
      },
      { preparedUpFront: true },
    );
    const pending = plans.filter(({ source }) => source.includes("'pending'"));
    expect(pending).toHaveLength(2);
    for (const { source, plan } of pending) {
      expect(plan, source).toMatch(/approvals USING (COVERING )?INDEX approvals_pending_idx/);
      expect(plan, source).not.toMatch(fullScan);
    }
    // In the index's order: no sort of the conversation's approvals either.
    expect(pending[0]!.plan).not.toMatch(/TEMP B-TREE/);
  });

  it("a turn's start checks busy and in-flight turns without scanning the messages", async () => {
    const plans = await plansOf(
      async ({ users, conversations }) => {
        await users.insertUser({ id: 'usr_1', name: 'ann', createdAt: 1 });
        await conversations.beginTurn({
          newConversation: { id: 'conv_1', userId: 'usr_1', title: 't', createdAt: 1, updatedAt: 1 },
          conversationId: 'conv_1',
          messages: [],
          now: 1,
        });
      },
      { preparedUpFront: true },
    );
    const selects = plans.filter(({ source }) => source.startsWith('select'));
    expect(selects.length).toBeGreaterThan(0);
    for (const { source, plan } of selects) expect(plan, source).not.toMatch(fullScan);
    // The busy check and the in-flight count read only the streaming rows: not every message of the
    // conversation, nor of each of the user's conversations (both grow with the history).
    const inFlight = selects.filter(({ source }) => source.includes("'streaming'"));
    expect(inFlight).toHaveLength(2);
    for (const { source, plan } of inFlight) {
      expect(plan, source).toMatch(/messages USING (COVERING )?INDEX messages_streaming_idx/);
      expect(plan, source).not.toMatch(
        /SEARCH messages USING (COVERING )?INDEX messages_conversation_sequence_idx/,
      );
    }
  });

  it("a conversation's tool calls are listed through an index, and those no message holds deleted through theirs", async () => {
    const plans = await plansOf(async ({ toolCalls, conversations }) => {
      await toolCalls.list({ userId: 'usr_1', conversationId: 'conv_1', limit: 20 });
      await conversations.deleteConversation('usr_1', 'conv_1');
    });
    const listed = plans.find(({ source }) => source.startsWith('select'));
    const deleted = plans.find(({ source }) => source.startsWith('delete from "tool_calls"'));
    // Without statistics SQLite reads the user's calls newest first (no sort) and keeps the conversation's.
    expect(listed?.plan).toMatch(/SEARCH tool_calls USING INDEX/);
    expect(deleted?.plan).toMatch(/SEARCH tool_calls USING INDEX tool_calls_unattached_conversation_idx/);
    for (const { source, plan } of plans) expect(plan, source).not.toMatch(fullScan);
  });
});
