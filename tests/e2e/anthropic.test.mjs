// The Anthropic Messages API through the official `@anthropic-ai/sdk`: both anthropic-version
// values, system prompts, stop sequences, the full streaming event sequence, errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { NodeServer, TINY, STORIES, readSse, tokenize, stopChecked } from './lib/harness.mjs';

let server;
let client;   // the SDK's default anthropic-version (2026-10-21)
let legacy;   // anthropic-version 2023-06-01: sampling fields allowed

before(async () => {
  server = await NodeServer.start({ args: ['--ctx', '512', '--preload', STORIES] });
  client = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  legacy = new Anthropic({
    baseURL: server.url, apiKey: 'unused', maxRetries: 0, timeout: 60_000,
    defaultHeaders: { 'anthropic-version': '2023-06-01' },
  });
});

after(() => stopChecked(server));

const errorType = (e) => e?.error?.error?.type;

test('messages.create: fields, usage, max_tokens stop reason (default version)', async () => {
  const m = await client.messages.create({
    model: STORIES, max_tokens: 10, messages: [{ role: 'user', content: 'Once upon a time' }],
  });
  assert.match(m.id, /^msg_/);
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.equal(m.model, STORIES);
  assert.equal(m.content.length, 1);
  assert.equal(m.content[0].type, 'text');
  assert.equal(typeof m.content[0].text, 'string');
  assert.ok(['max_tokens', 'end_turn'].includes(m.stop_reason), m.stop_reason);
  if (m.stop_reason === 'max_tokens') assert.equal(m.usage.output_tokens, 10);
  assert.equal(m.stop_sequence, null);
  const chatml = '<|im_start|>user\nOnce upon a time<|im_end|>\n<|im_start|>assistant\n';
  assert.equal(m.usage.input_tokens, tokenize(STORIES, chatml, { bos: true }).length);
});

test('system as a string and as blocks; text blocks in messages; multi-turn', async () => {
  const a = await client.messages.create({
    model: TINY, max_tokens: 6, system: 'You are terse.',
    messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: [{ type: 'text', text: 'More' }] }],
  });
  const b = await client.messages.create({
    model: TINY, max_tokens: 6, system: [{ type: 'text', text: 'You are terse.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }, { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] }, { role: 'user', content: 'More' }],
  });
  assert.equal(a.usage.input_tokens, b.usage.input_tokens);
  const rendered = '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nMore<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n';
  assert.equal(a.usage.input_tokens, tokenize(TINY, rendered).length);
});

test('2026-10-21 rejects sampling fields; 2023-06-01 accepts them', async () => {
  for (const extra of [{ temperature: 0 }, { top_p: 0.9 }, { top_k: 1 }]) {
    await assert.rejects(
      client.messages.create({ model: STORIES, max_tokens: 4, messages: [{ role: 'user', content: 'x' }], ...extra }),
      (e) => {
        assert.ok(e instanceof Anthropic.BadRequestError, `${JSON.stringify(extra)}: ${e}`);
        assert.equal(errorType(e), 'invalid_request_error');
        return true;
      });
  }
  const m = await legacy.messages.create({
    model: STORIES, max_tokens: 30, temperature: 0, top_k: 1, top_p: 1,
    messages: [{ role: 'user', content: 'Once upon a time' }],
  });
  assert.equal(m.content[0].type, 'text');
});

test('stop_sequences end the text with stop_reason stop_sequence', async () => {
  const base = { model: STORIES, max_tokens: 60, temperature: 0, messages: [{ role: 'user', content: 'Once upon a time' }] };
  const free = await legacy.messages.create(base);
  const text = free.content[0].text;
  // Pick a word of the free text and stop on it.
  const word = text.split(/\s+/).filter((w) => /^[A-Za-z]{3,}$/.test(w))[1];
  assert.ok(word, `no word to stop on in ${JSON.stringify(text)}`);
  const stopped = await legacy.messages.create({ ...base, stop_sequences: [word] });
  assert.equal(stopped.stop_reason, 'stop_sequence');
  assert.equal(stopped.stop_sequence, word);
  assert.equal(stopped.content[0].text, text.slice(0, text.indexOf(word)));
});

test('streaming: messages.stream() assembles the same message, events in order', async () => {
  const params = { model: STORIES, max_tokens: 16, temperature: 0, messages: [{ role: 'user', content: 'Once upon a time' }] };
  const whole = await legacy.messages.create(params);
  const stream = legacy.messages.stream(params);
  const types = [];
  let text = '';
  stream.on('streamEvent', (event) => types.push(event.type));
  stream.on('text', (delta) => { text += delta; });
  const final = await stream.finalMessage();
  assert.equal(final.content[0].text, whole.content[0].text);
  assert.equal(text, whole.content[0].text);
  assert.equal(final.stop_reason, whole.stop_reason);
  assert.deepEqual(final.usage.output_tokens, whole.usage.output_tokens);
  assert.equal(final.usage.input_tokens, whole.usage.input_tokens);
  // The SDK drops pings; the rest must be exactly this shape.
  const compact = types.filter((t, i) => !(t === 'content_block_delta' && types[i - 1] === 'content_block_delta'));
  assert.deepEqual(compact, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
});

test('streaming on the wire: event names, ping, message_delta usage (default version)', async () => {
  const response = await fetch(`${server.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2026-10-21', 'x-api-key': 'unused' },
    body: JSON.stringify({ model: STORIES, max_tokens: 12, stream: true, messages: [{ role: 'user', content: 'Once upon a time' }] }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = await readSse(response);
  for (const e of events) assert.equal(e.data.type, e.event, 'event: names the data type');
  const names = events.map((e) => e.event);
  assert.deepEqual(names.slice(0, 3), ['message_start', 'content_block_start', 'ping']);
  assert.deepEqual(names.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  const middle = names.slice(3, -3).filter((n) => n !== 'ping');
  assert.ok(middle.length >= 1 && middle.every((n) => n === 'content_block_delta'), names.join(','));
  const start = events[0].data.message;
  assert.match(start.id, /^msg_/);
  assert.equal(start.role, 'assistant');
  assert.deepEqual(start.content, []);
  assert.ok(start.usage.input_tokens > 0);
  const delta = events.at(-2).data;
  assert.ok(['max_tokens', 'end_turn'].includes(delta.delta.stop_reason));
  const deltas = events.filter((e) => e.event === 'content_block_delta');
  if (delta.delta.stop_reason === 'max_tokens') assert.equal(delta.usage.output_tokens, 12);
  for (const d of deltas) assert.equal(d.data.delta.type, 'text_delta');
});

test('errors in the Anthropic format: unknown model, missing max_tokens, bad version', async () => {
  await assert.rejects(client.messages.create({ model: 'nope', max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }), (e) => {
    assert.ok(e instanceof Anthropic.NotFoundError, `${e}`);
    assert.equal(errorType(e), 'not_found_error');
    assert.equal(e.error.type, 'error');
    return true;
  });
  await assert.rejects(client.messages.create({ model: STORIES, messages: [{ role: 'user', content: 'x' }] }), (e) => {
    assert.ok(e instanceof Anthropic.BadRequestError, `${e}`);
    assert.equal(errorType(e), 'invalid_request_error');
    return true;
  });
  const bad = await fetch(`${server.url}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '1999-01-01' },
    body: JSON.stringify({ model: STORIES, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(bad.status, 400);
  const body = await bad.json();
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'invalid_request_error');
});
