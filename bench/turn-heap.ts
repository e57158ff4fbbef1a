/**
 * Heap retained per chat turn: N JSON turns against the scripted model, heap measured after a full GC
 * before and after. Run: node --expose-gc --import tsx bench/turn-heap.ts [turns] [json|stream]
 * (issue 9 item 16: a per-turn AbortSignal.timeout kept every turn alive for AGENT_TURN_TIMEOUT_MS).
 */
import { postChatStream, startChatHarness } from '../test/support/chat-harness.js';
import { inBatches } from './agent-load.js';

const turns = Number(process.argv[2] ?? 2000);
const stream = process.argv[3] === 'stream';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const heapAfterGc = () => {
  for (let round = 0; round < 3; round++) gc();
  return process.memoryUsage().heapUsed;
};

const harness = await startChatHarness({ env: { LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0' } });
harness.model.setFallback({ text: 'ok' });
const turn = async () => {
  if (stream) {
    const response = await postChatStream(harness, { message: 'hello' });
    if (!(await response.text()).includes('"type":"finish"')) throw new Error('stream did not finish');
    return;
  }
  const answer = await harness.agent.api(harness.user.apiKey, 'POST', '/v1/chat', { message: 'hello' });
  if (answer.status !== 200) throw new Error(`turn answered ${answer.status}`);
};
await inBatches(Array.from({ length: 200 }), 8, turn);
// The scripted model records every request; those are the fixture's memory, not the agent's.
harness.model.requests.length = 0;
const before = heapAfterGc();
await inBatches(Array.from({ length: turns }), 8, turn);
harness.model.requests.length = 0;
const after = heapAfterGc();
console.log(
  JSON.stringify({
    turns,
    mode: stream ? 'stream' : 'json',
    heapBeforeMB: +(before / 2 ** 20).toFixed(1),
    heapAfterMB: +(after / 2 ** 20).toFixed(1),
    bytesPerTurn: Math.round((after - before) / turns),
  }),
);
await harness.close();
