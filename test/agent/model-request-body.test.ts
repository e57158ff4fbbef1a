import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyAsBytes } from '../../src/agent/language-model.js';

/** A server that answers with what it received: the raw body bytes (hex) and the headers. */
let url = '';
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        method: request.method,
        headers: request.headers,
        hex: Buffer.concat(chunks).toString('hex'),
      }),
    );
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const received = async (response: Response) =>
  (await response.json()) as { method: string; headers: IncomingHttpHeaders; hex: string };

describe('model requests sent as bytes', () => {
  it('carry exactly the bytes fetch sends for the same text, unpaired surrogates included', async () => {
    const text = JSON.stringify({
      messages: [{ role: 'user', content: 'Q3 计划 🚀 "x" \ud800 end \udc00' }],
    });
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    };
    const asText = await received(await fetch(url, { ...init, body: text }));
    const asBytes = await received(await bodyAsBytes(fetch)(url, { ...init, body: text }));
    expect(asBytes.hex).toBe(asText.hex);
    expect(Buffer.from(asBytes.hex, 'hex').toString('utf8')).toContain('Q3 计划 🚀');
    expect(asBytes.headers['content-type']).toBe('application/json');
    expect(asBytes.headers.authorization).toBe('Bearer k');
    expect(asBytes.headers['content-length']).toBe(asText.headers['content-length']);
  });

  it('leave a request without a text body as it is', async () => {
    const plain = await received(await bodyAsBytes(fetch)(url));
    expect(plain).toMatchObject({ method: 'GET', hex: '' });
    const bytes = new Uint8Array([1, 2, 3]);
    expect((await received(await bodyAsBytes(fetch)(url, { method: 'POST', body: bytes }))).hex).toBe(
      '010203',
    );
  });
});
