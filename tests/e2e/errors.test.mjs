// Every error path of issue 3, each sent while a greedy stream runs beside it: the stream must
// finish with exactly the text it gives alone. Keys are configured here (401 paths).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { NodeServer, TINY, STORIES, STORIES_GREEDY, besideStream, bystanderStream, stopChecked } from './lib/harness.mjs';
import { onOneConnection, rawExchange } from './lib/raw_http.mjs';

const KEYS = ['k-first', 'k-second'];
const MAX_BODY = 2_000_000;
let server;
let client;
let anthropic;
let reference;

before(async () => {
  server = await NodeServer.start({
    args: ['--ctx', '512', '--preload', STORIES, '--api-key', KEYS[0], '--api-key', KEYS[1], '--max-body-bytes', String(MAX_BODY)],
  });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: KEYS[0], maxRetries: 0, timeout: 60_000 });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: KEYS[1], maxRetries: 0, timeout: 60_000 });
  reference = await bystanderStream(client, { paceMs: 0 });
  assert.ok(reference.text.startsWith(STORIES_GREEDY), JSON.stringify(reference.text));
});

after(() => stopChecked(server));

const chat = (extra) => ({ model: STORIES, messages: [{ role: 'user', content: 'x' }], max_tokens: 4, ...extra });

// Asserts a rejected OpenAI SDK call: status, error class, and `param` when given.
async function rejectsOpenAi(promise, { status, cls, param, code }) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, status, e.message);
    if (param !== undefined) assert.equal(e.param, param, e.message);
    if (code !== undefined) assert.equal(e.code, code, e.message);
    return true;
  });
}

test('401 for a bad or missing key, with both SDKs; both configured keys work', async () => {
  await besideStream(client, reference, async () => {
    const wrong = new OpenAI({ baseURL: server.baseURL, apiKey: 'wrong', maxRetries: 0 });
    // As OpenAI answers: 401, type invalid_request_error, code invalid_api_key.
    await rejectsOpenAi(wrong.chat.completions.create(chat({})), { status: 401, cls: OpenAI.AuthenticationError, code: 'invalid_api_key' });
    await rejectsOpenAi(wrong.models.list(), { status: 401, cls: OpenAI.AuthenticationError });
    const wrongA = new Anthropic({ baseURL: server.url, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(wrongA.messages.create({ model: STORIES, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }), (e) => {
      assert.ok(e instanceof Anthropic.AuthenticationError, `${e}`);
      assert.equal(e.status, 401);
      assert.equal(e.error?.type, 'error');
      assert.equal(e.error?.error?.type, 'authentication_error');
      return true;
    });
    const none = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat({})),
    });
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.type, 'invalid_request_error');
    // The second key, by Bearer (the SDK) and by x-api-key (raw).
    const second = new OpenAI({ baseURL: server.baseURL, apiKey: KEYS[1], maxRetries: 0 });
    assert.equal((await second.chat.completions.create(chat({}))).object, 'chat.completion');
    assert.equal((await anthropic.messages.create({ model: STORIES, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] })).type, 'message');
    const byHeader = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEYS[0], 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: STORIES, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(byHeader.status, 200);
    const badHeader = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'nope', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: STORIES, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(badHeader.status, 401);
    assert.equal((await badHeader.json()).error.type, 'authentication_error');
  });
});

test('400 invalid_request_error with param: wrong types, n=2, negative max_tokens, logit_bias outside the vocabulary', async () => {
  await besideStream(client, reference, async () => {
    const bad = OpenAI.BadRequestError;
    await rejectsOpenAi(client.chat.completions.create(chat({ temperature: 'hot' })), { status: 400, cls: bad, param: 'temperature' });
    await rejectsOpenAi(client.chat.completions.create({ model: STORIES, messages: 'hi' }), { status: 400, cls: bad, param: 'messages' });
    await rejectsOpenAi(client.chat.completions.create(chat({ stream: 'yes' })), { status: 400, cls: bad, param: 'stream' });
    await rejectsOpenAi(client.chat.completions.create(chat({ n: 2 })), { status: 400, cls: bad, param: 'n' });
    await rejectsOpenAi(client.chat.completions.create(chat({ n: 1e9 })), { status: 400, cls: bad, param: 'n' });
    await rejectsOpenAi(client.completions.create({ model: STORIES, prompt: ['a', 'b'] }), { status: 400, cls: bad, param: 'prompt' });
    await rejectsOpenAi(client.chat.completions.create(chat({ max_tokens: -1 })), { status: 400, cls: bad, param: 'max_tokens' });
    await rejectsOpenAi(client.completions.create({ model: STORIES, prompt: 'x', max_tokens: -5 }), { status: 400, cls: bad, param: 'max_tokens' });
    await rejectsOpenAi(client.completions.create({ model: STORIES, prompt: 7 }), { status: 400, cls: bad, param: 'prompt' });
    await rejectsOpenAi(client.embeddings.create({ model: STORIES, input: 7 }), { status: 400, cls: bad, param: 'input' });
    for (const [model, id] of [[STORIES, '512'], [STORIES, '1000000'], [TINY, '128256']]) {
      await assert.rejects(client.chat.completions.create({ ...chat({ logit_bias: { [id]: 5 } }), model }), (e) => {
        assert.ok(e instanceof bad, `${model} logit_bias ${id}: ${e}`);
        assert.equal(e.status, 400);
        assert.match(e.param ?? '', /^logit_bias/);
        return true;
      });
    }
    // A valid id inside the vocabulary is fine.
    const ok = await client.chat.completions.create(chat({ logit_bias: { 511: -100 } }));
    assert.equal(ok.object, 'chat.completion');
    // Anthropic: the same class of error in its own format.
    await assert.rejects(anthropic.messages.create({ model: STORIES, max_tokens: -1, messages: [{ role: 'user', content: 'x' }] }), (e) => {
      assert.ok(e instanceof Anthropic.BadRequestError, `${e}`);
      assert.equal(e.error?.error?.type, 'invalid_request_error');
      return true;
    });
  });
});

test('404 model_not_found on every endpoint', async () => {
  await besideStream(client, reference, async () => {
    const nf = { status: 404, cls: OpenAI.NotFoundError, code: 'model_not_found' };
    await rejectsOpenAi(client.chat.completions.create(chat({ model: 'gpt-4o' })), { ...nf, param: 'model' });
    await rejectsOpenAi(client.completions.create({ model: 'nope', prompt: 'x' }), nf);
    await rejectsOpenAi(client.embeddings.create({ model: 'nope', input: 'x' }), nf);
    await rejectsOpenAi(client.models.retrieve('nope'), nf);
  });
});

test('413 for a body of many megabytes (Content-Length and chunked)', async () => {
  await besideStream(client, reference, async () => {
    const size = 8 << 20;
    const body = Buffer.alloc(size, 'a');
    body.write('{"model":"stories260K","messages":[{"role":"user","content":"');
    body.write('"}]}', size - 4);
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${KEYS[0]}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`;
    const r = await rawExchange(server, head, body);
    assert.ok(r.response, `no response (closed ${r.closed}, sent ${r.sent} bytes)`);
    assert.equal(r.response.status, 413);
    // Refused before routing, so one body both SDKs read: {type: "error", error: {type, message, ...}}.
    const err = JSON.parse(r.response.body);
    assert.equal(typeof err.error.message, 'string');
    assert.equal(err.error.type, 'request_too_large');
    // Chunked bodies are counted too.
    const chunkedHead = `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${KEYS[0]}\r\n` +
      'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    const piece = Buffer.concat([Buffer.from('100000\r\n'), Buffer.alloc(0x100000, 'a'), Buffer.from('\r\n')]);
    const chunked = await rawExchange(server, chunkedHead, Buffer.concat(Array(8).fill(piece)));
    assert.ok(chunked.response, `no response to the chunked body (closed ${chunked.closed})`);
    assert.equal(chunked.response.status, 413);
    // Anthropic's own format for the same.
    const aHead = `POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nx-api-key: ${KEYS[0]}\r\nanthropic-version: 2023-06-01\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`;
    const a = await rawExchange(server, aHead, body);
    assert.equal(a.response?.status, 413);
    assert.equal(JSON.parse(a.response.body).error.type, 'request_too_large');
    // On a kept-alive connection (as the SDKs' connection pools send it) the answer is the same.
    const [first, second] = await onOneConnection(server, [
      `GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n`,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${KEYS[0]}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
    ]);
    assert.equal(first?.status, 200);
    assert.equal(second?.status, 413, 'no 413 for an oversized body on a reused connection');
  });
});

test('431 for huge headers', async () => {
  await besideStream(client, reference, async () => {
    const head = `GET /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${KEYS[0]}\r\n` +
      `X-Padding: ${'a'.repeat(200_000)}\r\nConnection: close\r\n\r\n`;
    const r = await rawExchange(server, head);
    assert.ok(r.response, `no response (closed ${r.closed})`);
    assert.equal(r.response.status, 431);
    // Many small headers add up too.
    const many = Array.from({ length: 5000 }, (_, i) => `X-H${i}: ${'b'.repeat(40)}\r\n`).join('');
    const r2 = await rawExchange(server, `GET /v1/models HTTP/1.1\r\nHost: localhost\r\n${many}Connection: close\r\n\r\n`);
    assert.equal(r2.response?.status, 431);
    const [first, second] = await onOneConnection(server, [
      'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n',
      `GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(200_000)}\r\n\r\n`,
    ]);
    assert.equal(first?.status, 200);
    assert.equal(second?.status, 431, 'no 431 for huge headers on a reused connection');
  });
});

test('JSON nested 100,000 deep is a clean 400', async () => {
  await besideStream(client, reference, async () => {
    const depth = 100_000;
    const body = `{"model":"${STORIES}","messages":[{"role":"user","content":"x"}],"metadata":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    for (const path of ['/v1/chat/completions', '/v1/completions', '/v1/embeddings']) {
      const r = await fetch(`${server.url}${path}`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS[0]}` }, body,
      });
      assert.equal(r.status, 400, path);
      assert.equal((await r.json()).error.type, 'invalid_request_error', path);
    }
    const objects = `{"model":"${STORIES}","max_tokens":4,"messages":[{"role":"user","content":"x"}],"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    const a = await fetch(`${server.url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEYS[0], 'anthropic-version': '2023-06-01' }, body: objects,
    });
    assert.equal(a.status, 400);
    const j = await a.json();
    assert.equal(j.type, 'error');
    assert.equal(j.error.type, 'invalid_request_error');
  });
});

test('the server is still healthy after all of it', async () => {
  assert.ok(server.alive());
  const h = await fetch(`${server.url}/health`);
  assert.equal(h.status, 200);
  const again = await bystanderStream(client, { paceMs: 0 });
  assert.deepEqual(again, reference);
});
