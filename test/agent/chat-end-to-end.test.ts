import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatHarness, postChatStream, startChatHarness } from '../support/chat-harness.js';
import { lastToolResults, type RecordedRequest, type ScriptedStep } from '../support/scripted-model/index.js';

let harness: ChatHarness;
afterEach(async () => {
  await harness?.close();
});

const RISKS =
  '## 风险 / Risks\n\n- Hiring for the data team may slip to Q4.\n- Vendor contract renewal is pending.';

/** The model a person would hope for: search, read, write back with a new section, then say what changed. */
function addRisksSectionScript(): ScriptedStep[] {
  return [
    { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
    (request: RecordedRequest) => {
      const found = JSON.parse(lastToolResults(request)[0]?.content ?? '{}');
      // Pick the smart document by name, as a model would, not whatever happens to come first.
      const file = found.items.find(
        (item: any) => item.file.type === 'otl' && item.file.name.includes('Q3'),
      ).file;
      return {
        toolCalls: [
          {
            name: 'kso_yundoc_extract_yundoc_content',
            arguments: { drive_id: file.drive_id, file_id: file.id },
          },
        ],
      };
    },
    (request: RecordedRequest) => {
      const content = JSON.parse(lastToolResults(request)[0]?.content ?? '{}');
      const searchCall = request.body.messages
        ?.flatMap((message: any) => message.tool_calls ?? [])
        .find((call: any) => call.function.name === 'kso_yundoc_extract_yundoc_content');
      const fileId = JSON.parse(searchCall.function.arguments).file_id;
      return {
        text: 'I will add the section now.',
        toolCalls: [
          {
            name: 'kso_airpage_import_markdown_data',
            arguments: { file_id: fileId, markdown_content: `${content.markdown.trimEnd()}\n\n${RISKS}\n` },
          },
        ],
      };
    },
    { text: 'Added a "风险 / Risks" section with two risks to the end of "Q3 计划 Q3 Plan".' },
  ];
}

/** Reads a UI message stream; `message` is the assistant message a continued turn streams into. */
async function readStream(response: Response, message?: UIMessage): Promise<UIMessage> {
  const chunks = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .pipeThrough(
      new TransformStream<{ data: string }, UIMessageChunk>({
        transform(event, controller) {
          if (event.data !== '[DONE]') controller.enqueue(JSON.parse(event.data));
        },
      }),
    );
  let last: UIMessage | undefined;
  for await (const update of readUIMessageStream({ stream: chunks, message })) last = update;
  if (!last) throw new Error('no message in the stream');
  return last;
}

describe('asking the agent to edit a document', () => {
  it('searches, reads and writes through WPS, answers in JSON, and records everything', async () => {
    harness = await startChatHarness();
    const { agent, model, user } = harness;
    model.script(...addRisksSectionScript());

    const paused = await agent.api(user.apiKey, 'POST', '/v1/chat', {
      message: 'Add a risks section to the Q3 plan',
    });
    // The write waits for the user (TOOL_APPROVAL=writes): nothing is written until they approve.
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('awaiting_approval');
    const planNow = () => agent.sandbox.documents('alice').find((document) => document.name.includes('Q3'));
    expect(planNow()?.markdown).not.toContain('## 风险 / Risks');
    const reply = await agent.api(user.apiKey, 'POST', '/v1/chat', {
      conversationId: paused.body.conversationId,
      approvals: [{ id: paused.body.approvals[0].id, approved: true }],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.messageId).toBe(paused.body.messageId);
    expect(reply.body.text).toContain('Added a "风险 / Risks" section');
    const turnCalls = [...paused.body.toolCalls, ...reply.body.toolCalls];
    expect(turnCalls.map((call: any) => call.name)).toEqual([
      'kso_yundoc_search_yundoc',
      'kso_yundoc_extract_yundoc_content',
      'kso_airpage_import_markdown_data',
    ]);
    expect(turnCalls.every((call: any) => call.isError === false && call.durationMs >= 0)).toBe(true);

    const plan = agent.sandbox.documents('alice').find((document) => document.name.includes('Q3'));
    expect(plan?.markdown).toContain('## 风险 / Risks');
    expect(plan?.markdown).toContain('Hiring for the data team may slip');

    // What the model was sent: the WPS tools as functions, the system prompt, the user's words.
    const first = model.requests.find((request) => request.path.endsWith('/chat/completions'))!;
    const functionNames = first.body.tools?.map((tool: any) => tool.function.name);
    expect(functionNames).toContain('kso_yundoc_search_yundoc');
    expect(first.body.messages?.[0]).toMatchObject({ role: 'system' });
    expect(JSON.stringify(first.body.messages)).toContain('Add a risks section to the Q3 plan');

    const transcript = await agent.api(user.apiKey, 'GET', `/v1/conversations/${reply.body.conversationId}`);
    expect(transcript.status).toBe(200);
    expect(transcript.body.title).toBe('Add a risks section to the Q3 plan');
    expect(transcript.body.messages.map((message: any) => message.role)).toEqual(['user', 'assistant']);
    const assistant = transcript.body.messages[1];
    expect(assistant.id).toBe(reply.body.messageId);
    expect(assistant.toolCalls).toHaveLength(3);
    expect(assistant.toolCalls[2]).toMatchObject({
      name: 'kso_airpage_import_markdown_data',
      safeName: 'kso_airpage_import_markdown_data',
      server: 'kso-airpage',
      status: 'ok',
      source: 'chat',
      step: 3,
    });
    expect(assistant.toolCalls[2].arguments.markdown_content).toContain('## 风险 / Risks');

    const review = await agent.api(
      user.apiKey,
      'GET',
      `/v1/tool-calls?conversationId=${reply.body.conversationId}&source=chat`,
    );
    expect(review.body.toolCalls).toHaveLength(3);
    expect(review.body.toolCalls[0].result.content[0].text).toBeTypeOf('string');

    // A follow-up turn sees the earlier turn's history, tool calls and results included.
    model.script({ text: 'It has two risks.' });
    const followUp = await agent.api(user.apiKey, 'POST', '/v1/chat', {
      message: 'How many risks are there?',
      conversationId: reply.body.conversationId,
    });
    expect(followUp.status).toBe(200);
    const sent = JSON.stringify(model.requests.at(-1)?.body.messages);
    expect(sent).toContain('Add a risks section to the Q3 plan');
    expect(sent).toContain('kso_airpage_import_markdown_data');
    expect(sent).toContain('Added a \\"风险 / Risks\\" section');
    expect(sent).toContain('How many risks are there?');
  });

  it('sends the earlier turns before the new message in every step of a follow-up turn, tool steps included', async () => {
    harness = await startChatHarness();
    const { agent, model, user } = harness;
    model.script({ text: 'Noted: the plan is called Q3.' });
    const first = await agent.api(user.apiKey, 'POST', '/v1/chat', { message: 'Remember the Q3 plan' });
    expect(first.status).toBe(200);

    model.script(
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
      { text: 'Found it again.' },
    );
    const followUp = await agent.api(user.apiKey, 'POST', '/v1/chat', {
      message: 'Find it for me',
      conversationId: first.body.conversationId,
    });
    expect(followUp.status).toBe(200);
    const [toolStep, answerStep] = model.requests
      .slice(-2)
      .map((request) =>
        (request.body.messages ?? [])
          .filter((message: any) => message.role !== 'system')
          .map((message: any) =>
            message.role === 'tool' ? 'tool' : `${message.role}:${message.content ?? 'tool-calls'}`,
          ),
      );
    expect(toolStep).toEqual([
      'user:Remember the Q3 plan',
      'assistant:Noted: the plan is called Q3.',
      'user:Find it for me',
    ]);
    expect(answerStep).toEqual([...(toolStep ?? []), 'assistant:tool-calls', 'tool']);
  });

  it('reads a conversation back whole only for what this instance did not store itself: its first turn, once', async () => {
    harness = await startChatHarness();
    const { agent, model, user } = harness;
    const repository = agent.services.chat.conversationsRepository;
    const listRecentMessages = repository.listRecentMessages.bind(repository);
    let readWhole = 0;
    repository.listRecentMessages = async (...parameters) => {
      const read = await listRecentMessages(...parameters);
      readWhole += read.length;
      return read;
    };
    const turn = async (message: string, conversationId?: string) => {
      model.script(
        { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3 计划 🚀' } }] },
        { text: `Answer to ${message} 🚀` },
      );
      readWhole = 0;
      const reply = await agent.api(user.apiKey, 'POST', '/v1/chat', { message, conversationId });
      expect(reply.body.status).toBe('complete');
      return { conversationId: reply.body.conversationId as string, readWhole };
    };
    const first = await turn('Find the Q3 plan 🚀');
    // A new conversation's first turn is not kept: its second reads it back (2 messages), once.
    expect((await turn('And the Q4 one?', first.conversationId)).readWhole).toBe(2);
    expect((await turn('Compare them', first.conversationId)).readWhole).toBe(0);
    expect((await turn('Thanks', first.conversationId)).readWhole).toBe(0);
    // Still every earlier turn replayed, the seeded ones included, in order.
    const lastRequest = model.requests.at(-1);
    const users = (lastRequest?.body.messages ?? [])
      .filter((message: any) => message.role === 'user')
      .map((message: any) => message.content);
    expect(users).toEqual(['Find the Q3 plan 🚀', 'And the Q4 one?', 'Compare them', 'Thanks']);
    const answers = (lastRequest?.body.messages ?? [])
      .filter((message: any) => message.role === 'assistant' && typeof message.content === 'string')
      .map((message: any) => message.content);
    expect(answers).toEqual([
      'Answer to Find the Q3 plan 🚀 🚀',
      'Answer to And the Q4 one? 🚀',
      'Answer to Compare them 🚀',
    ]);
  });

  it('a streamed follow-up turn replays the earlier turns in every step, as a JSON one does', async () => {
    harness = await startChatHarness();
    const { agent, model, user } = harness;
    model.script({ text: 'Noted: the plan is called Q3.' });
    const first = await agent.api(user.apiKey, 'POST', '/v1/chat', { message: 'Remember the Q3 plan' });
    model.script(
      { toolCalls: [{ name: 'kso_yundoc_search_yundoc', arguments: { keyword: 'Q3' } }] },
      { text: 'Found it again.' },
    );
    const streamed = await postChatStream(harness, {
      message: 'Find it for me',
      conversationId: first.body.conversationId,
    });
    expect(await readStream(streamed)).toMatchObject({ role: 'assistant' });
    const steps = model.requests
      .slice(-2)
      .map((request) =>
        (request.body.messages ?? [])
          .filter((message: any) => message.role === 'user' || typeof message.content === 'string')
          .map((message: any) => `${message.role}:${message.content}`),
      );
    for (const step of steps)
      expect(step.slice(1, 4)).toEqual([
        'user:Remember the Q3 plan',
        'assistant:Noted: the plan is called Q3.',
        'user:Find it for me',
      ]);
    expect(model.requests.slice(-2).every((request) => request.body.stream === true)).toBe(true);
  });

  it('streams the same turn as an AI SDK UI message stream that readUIMessageStream reads', async () => {
    harness = await startChatHarness();
    const { agent, model, user } = harness;
    model.script(...addRisksSectionScript());
    const response = await postChatStream(harness, { message: 'Add a risks section to the Q3 plan' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    const conversationId = response.headers.get('x-conversation-id');
    expect(conversationId).toMatch(/^conv_/);
    const paused = await readStream(response);
    // The write waits for approval, as useChat shows it; approving continues the same message.
    const waiting = paused.parts.find(
      (part) => part.type === 'dynamic-tool' && part.state === 'approval-requested',
    ) as { approval: { id: string } } | undefined;
    expect(waiting).toBeDefined();
    const continued = await postChatStream(harness, {
      conversationId: conversationId ?? '',
      approvals: [{ id: waiting?.approval.id ?? '', approved: true }],
    });
    const message = await readStream(continued, paused);
    const text = message.parts
      .filter((part) => part.type === 'text')
      .map((part) => (part as { text: string }).text)
      .join('');
    expect(text).toContain('Added a "风险 / Risks" section');
    const tools = message.parts.filter((part) => part.type === 'dynamic-tool') as Array<{
      toolName: string;
      state: string;
      output: any;
    }>;
    expect(tools.map((part) => part.toolName)).toEqual([
      'kso_yundoc_search_yundoc',
      'kso_yundoc_extract_yundoc_content',
      'kso_airpage_import_markdown_data',
    ]);
    expect(tools.every((part) => part.state === 'output-available')).toBe(true);
    expect(tools[2]?.output.result.isError).toBeFalsy();
    expect(
      agent.sandbox.documents('alice').find((document) => document.name.includes('Q3'))?.markdown,
    ).toContain('## 风险 / Risks');
    const list = await agent.api(user.apiKey, 'GET', '/v1/conversations');
    expect(list.body.conversations[0].id).toBe(conversationId);
  });
});
