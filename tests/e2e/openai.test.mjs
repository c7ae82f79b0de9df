// The OpenAI surface through the official `openai` SDK: models, chat (plain and streaming),
// completions, embeddings, usage accounting, stop strings, seeds, JSON mode, logprobs, clamping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { NodeServer, TINY, STORIES, STORIES_GREEDY, scrapeMetrics, tokenize, stopChecked } from './lib/harness.mjs';

const CTX = 512;
let server;
let client;

before(async () => {
  server = await NodeServer.start({ args: ['--ctx', String(CTX), '--parallel', '4', '--preload', STORIES] });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
});

after(() => stopChecked(server));

const nowSeconds = () => Math.floor(Date.now() / 1000);
const llama3Prompt = (user) =>
  `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${user}<|eot_id|>` +
  '<|start_header_id|>assistant<|end_header_id|>\n\n';

test('GET /health and /metrics (families of issue 3; token counters follow usage)', async () => {
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  const h = await health.json();
  assert.equal(h.status, 'ready');
  const before = await scrapeMetrics(server);
  const r = await client.completions.create({ model: STORIES, prompt: 'Once upon a time there', max_tokens: 7, temperature: 0 });
  const metrics = await fetch(`${server.url}/metrics`);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const after = await scrapeMetrics(server);
  for (const [name, type] of [
    ['locai_requests_total', 'counter'], ['locai_prompt_tokens_total', 'counter'],
    ['locai_completion_tokens_total', 'counter'], ['locai_time_to_first_token_seconds', 'histogram'],
    ['locai_inter_token_latency_seconds', 'histogram'], ['locai_queue_depth', 'gauge'],
    ['locai_loaded_models', 'gauge'],
  ]) assert.equal(after.types.get(name), type, name);
  assert.ok([...after.types.keys()].some((n) => /memory_bytes$/.test(n)), 'a memory gauge');
  assert.ok(after.samples.get('locai_requests_total{endpoint="/v1/completions",status="200"}') >= 1);
  const delta = (name) => (after.samples.get(name) ?? 0) - (before.samples.get(name) ?? 0);
  assert.equal(delta('locai_completion_tokens_total'), r.usage.completion_tokens);
  assert.ok(delta('locai_prompt_tokens_total') <= r.usage.prompt_tokens);
  assert.equal(delta('locai_time_to_first_token_seconds_count'), 1);
  assert.ok(after.samples.get('locai_loaded_models') >= 1);
});

test('models: list and retrieve', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, 'model');
    assert.equal(typeof m.created, 'number');
    assert.equal(typeof m.owned_by, 'string');
    ids.push(m.id);
  }
  assert.ok(ids.includes(TINY), `list: ${ids}`);
  assert.ok(ids.includes(STORIES), `list: ${ids}`);
  const one = await client.models.retrieve(STORIES);
  assert.equal(one.id, STORIES);
  assert.equal(one.object, 'model');
  await assert.rejects(client.models.retrieve('no-such-model'), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError, `${e}`);
    assert.equal(e.status, 404);
    assert.equal(e.code, 'model_not_found');
    return true;
  });
});

test('chat: non-streaming, fields and usage', async () => {
  const before = nowSeconds();
  const r = await client.chat.completions.create({
    model: TINY, messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 8, temperature: 0,
  });
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, TINY);
  assert.ok(r.created >= before - 1 && r.created <= nowSeconds() + 1, `created ${r.created}`);
  assert.equal(typeof r.system_fingerprint, 'string');
  assert.equal(r.choices.length, 1);
  const [choice] = r.choices;
  assert.equal(choice.index, 0);
  assert.equal(choice.message.role, 'assistant');
  assert.equal(typeof choice.message.content, 'string');
  assert.ok(['length', 'stop'].includes(choice.finish_reason));
  // Prompt tokens: the Llama 3 template's rendering, tokenized by the same vocabulary.
  const promptIds = tokenize(TINY, llama3Prompt('Hello there'));
  assert.equal(r.usage.prompt_tokens, promptIds.length);
  if (choice.finish_reason === 'length') assert.equal(r.usage.completion_tokens, 8);
  else assert.ok(r.usage.completion_tokens <= 8);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('chat: ChatML prompt for a model without a template; content parts; max_completion_tokens', async () => {
  const r = await client.chat.completions.create({
    model: STORIES,
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    max_completion_tokens: 5, temperature: 0,
  });
  const chatml = '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n';
  assert.equal(r.usage.prompt_tokens, tokenize(STORIES, chatml, { bos: true }).length);
  assert.ok(r.usage.completion_tokens <= 5 && r.usage.completion_tokens >= 1);
  if (r.choices[0].finish_reason === 'length') assert.equal(r.usage.completion_tokens, 5);
});

test('chat: streaming with include_usage matches the non-streaming answer', async () => {
  const params = { model: TINY, messages: [{ role: 'user', content: 'Stream this' }], max_tokens: 12, temperature: 0 };
  const whole = await client.chat.completions.create(params);
  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let id = null;
  let sawRole = false;
  let finish = null;
  let usage = null;
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    assert.equal(chunk.object, 'chat.completion.chunk');
    id ??= chunk.id;
    assert.equal(chunk.id, id, 'one id for all chunks');
    assert.match(chunk.id, /^chatcmpl-/);
    assert.equal(chunk.model, TINY);
    if (chunk.usage) {
      assert.deepEqual(chunk.choices, [], 'the usage chunk has empty choices');
      usage = chunk.usage;
      continue;
    }
    assert.equal(usage, null, 'the usage chunk comes last');
    const [c] = chunk.choices;
    if (c.delta.role) { assert.equal(c.delta.role, 'assistant'); sawRole = true; }
    if (c.delta.content) text += c.delta.content;
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.ok(sawRole, 'a delta carries role assistant');
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.ok(usage, 'include_usage gives a usage chunk');
  assert.deepEqual(usage, whole.usage);
  // Without include_usage no chunk carries usage.
  const plain = await client.chat.completions.create({ ...params, stream: true });
  for await (const chunk of plain) assert.ok(!chunk.usage, 'usage only when asked for');
});

test('chat: the SDK .stream() helper assembles the same message', async () => {
  const params = { model: STORIES, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 20, temperature: 0 };
  const whole = await client.chat.completions.create(params);
  const stream = client.chat.completions.stream(params);
  let deltas = '';
  stream.on('content', (delta) => { deltas += delta; });
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices[0].message.content, whole.choices[0].message.content);
  assert.equal(deltas, whole.choices[0].message.content);
  assert.equal(final.choices[0].finish_reason, whole.choices[0].finish_reason);
});

test('completions: greedy stories text, usage, list prompt, streaming', async () => {
  const r = await client.completions.create({ model: STORIES, prompt: 'Once upon a time', max_tokens: 24, temperature: 0 });
  assert.match(r.id, /^cmpl-/);
  assert.equal(r.object, 'text_completion');
  assert.equal(r.model, STORIES);
  const text = r.choices[0].text;
  assert.ok(text.startsWith(', there was a little girl named Lily.'), JSON.stringify(text));
  assert.ok(STORIES_GREEDY.startsWith(text) || text.startsWith(STORIES_GREEDY), JSON.stringify(text));
  assert.equal(r.usage.prompt_tokens, tokenize(STORIES, 'Once upon a time', { bos: true }).length);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 24);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 24);

  const listed = await client.completions.create({ model: STORIES, prompt: ['Once upon a time'], max_tokens: 24, temperature: 0 });
  assert.equal(listed.choices[0].text, text);

  const stream = await client.completions.create({
    model: STORIES, prompt: 'Once upon a time', max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let streamed = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'text_completion');
    if (chunk.usage) { usage = chunk.usage; continue; }
    streamed += chunk.choices[0].text;
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  assert.equal(streamed, text);
  assert.equal(finish, 'length');
  assert.deepEqual(usage, r.usage);
});

test('stop strings end the text before them (string and list, plain and streaming)', async () => {
  const base = { model: STORIES, prompt: 'Once upon a time', max_tokens: 40, temperature: 0 };
  const one = await client.completions.create({ ...base, stop: 'Lily' });
  assert.equal(one.choices[0].text, ', there was a little girl named ');
  assert.equal(one.choices[0].finish_reason, 'stop');
  const list = await client.completions.create({ ...base, stop: ['zzz', 'Lily'] });
  assert.equal(list.choices[0].text, ', there was a little girl named ');
  const stream = await client.completions.create({ ...base, stop: ['Lily'], stream: true });
  let streamed = '';
  let finish = null;
  for await (const chunk of stream) {
    streamed += chunk.choices[0]?.text ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(streamed, ', there was a little girl named ');
  assert.equal(finish, 'stop');
  const chat = await client.chat.completions.create({
    model: STORIES, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 40, temperature: 0, stop: ['.'],
  });
  assert.ok(!chat.choices[0].message.content.includes('.'), chat.choices[0].message.content);
});

test('seeds repeat: same seed same text, different seeds differ', async () => {
  const run = async (seed) => (await client.completions.create({
    model: STORIES, prompt: 'Once upon a time', max_tokens: 40, temperature: 1.0, seed,
  })).choices[0].text;
  const a = await run(7);
  const b = await run(7);
  assert.equal(a, b);
  const others = new Set([a, await run(8), await run(9), await run(10)]);
  assert.ok(others.size >= 3, `4 seeds gave only ${others.size} distinct texts`);
  const chatRun = async (seed) => (await client.chat.completions.create({
    model: TINY, messages: [{ role: 'user', content: 'x' }], max_tokens: 16, temperature: 1.0, seed,
  })).choices[0].message.content;
  assert.equal(await chatRun(3), await chatRun(3));
});

test('JSON mode: the output parses', async () => {
  // Greedy and two seeded samples of the Llama-3-vocabulary model close their object.
  for (const [temperature, seed] of [[0, 1], [0.5, 3], [1.0, 3]]) {
    const r = await client.chat.completions.create({
      model: TINY, messages: [{ role: 'user', content: 'Give me a JSON object.' }],
      response_format: { type: 'json_object' }, max_tokens: 200, temperature, seed,
    });
    const content = r.choices[0].message.content;
    assert.equal(r.choices[0].finish_reason, 'stop', `T=${temperature}: JSON not finished: ${JSON.stringify(content)}`);
    const value = JSON.parse(content);
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), content);
  }
  // stories260K rarely closes its object within the budget; what it writes is still JSON so far.
  const r = await client.chat.completions.create({
    model: STORIES, messages: [{ role: 'user', content: 'Give me a JSON object.' }],
    response_format: { type: 'json_object' }, max_tokens: 100, temperature: 0,
  });
  const trimmed = r.choices[0].message.content.trim();
  assert.ok(trimmed === '' || trimmed.startsWith('{'), JSON.stringify(trimmed));
});

test('logprobs and top_logprobs', async () => {
  const r = await client.chat.completions.create({
    model: STORIES, messages: [{ role: 'user', content: 'Once' }], max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 3,
  });
  const items = r.choices[0].logprobs.content;
  assert.equal(items.length, r.usage.completion_tokens);
  assert.equal(items.map((t) => t.token).join(''), r.choices[0].message.content);
  for (const t of items) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    // Greedy: the chosen token is the most likely one.
    assert.ok(Math.abs(t.top_logprobs[0].logprob - t.logprob) < 1e-4, JSON.stringify(t));
  }
});

test('max_tokens of 10^9 is accepted and clamped to the context', async () => {
  const r = await client.completions.create({ model: STORIES, prompt: 'Once upon a time', max_tokens: 1e9, temperature: 0 });
  assert.ok(['length', 'stop'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens + r.usage.completion_tokens <= CTX, JSON.stringify(r.usage));
  const c = await client.chat.completions.create({ model: STORIES, messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 1e9, temperature: 0 });
  assert.ok(c.usage.total_tokens <= CTX, JSON.stringify(c.usage));
});

test('embeddings: base64 (the SDK default) and float give the same vectors', async () => {
  const input = ['Once upon a time', 'the park'];
  const viaBase64 = await client.embeddings.create({ model: STORIES, input });
  const viaFloat = await client.embeddings.create({ model: STORIES, input, encoding_format: 'float' });
  const raw = await client.embeddings.create({ model: STORIES, input, encoding_format: 'base64' });
  assert.equal(viaFloat.object, 'list');
  assert.equal(viaFloat.model, STORIES);
  assert.equal(viaFloat.data.length, 2);
  for (const [i, item] of viaFloat.data.entries()) {
    assert.equal(item.object, 'embedding');
    assert.equal(item.index, i);
    assert.ok(item.embedding.length > 0);
    assert.ok(item.embedding.every(Number.isFinite));
    const decoded = viaBase64.data[i].embedding;
    assert.equal(decoded.length, item.embedding.length);
    const bytes = Buffer.from(raw.data[i].embedding, 'base64');
    const f32 = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    assert.equal(f32.length, item.embedding.length);
    for (let k = 0; k < f32.length; k++) {
      assert.equal(Math.fround(item.embedding[k]), f32[k], `dim ${k}`);
      assert.equal(Math.fround(decoded[k]), f32[k], `dim ${k}`);
    }
  }
  assert.notDeepEqual(viaFloat.data[0].embedding, viaFloat.data[1].embedding);
  const ids = tokenize(STORIES, 'Once upon a time', { bos: true }).length + tokenize(STORIES, 'the park', { bos: true }).length;
  assert.ok(viaFloat.usage.prompt_tokens > 0);
  assert.ok(Math.abs(viaFloat.usage.prompt_tokens - ids) <= 2, `usage ${viaFloat.usage.prompt_tokens} vs ${ids} tokens`);
  assert.equal(viaFloat.usage.total_tokens, viaFloat.usage.prompt_tokens);
  const single = await client.embeddings.create({ model: STORIES, input: 'Once upon a time', encoding_format: 'float' });
  assert.deepEqual(single.data[0].embedding, viaFloat.data[0].embedding);
});

test('unknown fields are ignored; every documented sampling field is accepted', async () => {
  const r = await client.chat.completions.create({
    model: STORIES, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, n: 1, temperature: 0.7, top_p: 0.9,
    presence_penalty: 0.5, frequency_penalty: 0.5, user: 'someone', seed: 5, stop: 'zzz',
    // Not part of the API: ignored as OpenAI ignores them.
    some_future_field: { nested: [1, 2] }, another: 'x',
  });
  assert.equal(r.object, 'chat.completion');
  const raw = await client.chat.completions.create({ model: STORIES, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 }).withResponse();
  assert.match(raw.response.headers.get('x-request-id') ?? '', /\S/, 'x-request-id header');
});

test('binds the loopback address unless told otherwise', () => {
  assert.equal(server.host, '127.0.0.1');
});

test('structured logs: one JSON object per line with request id, model, tokens, timings; no prompt text', async () => {
  const secret = 'zebra-secret-4711';
  const r = await client.chat.completions.create({ model: STORIES, messages: [{ role: 'user', content: secret }], max_tokens: 3 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const lines = server.stderr().split('\n').filter((l) => l.trim());
  assert.ok(lines.length > 0, 'nothing logged');
  const records = lines.map((l) => {
    try { return JSON.parse(l); } catch { assert.fail(`not a JSON line: ${l}`); }
    return null;
  });
  const mine = records.filter((x) => x.endpoint === '/v1/chat/completions' && x.completion_tokens === r.usage.completion_tokens &&
                                     x.prompt_tokens === r.usage.prompt_tokens);
  assert.ok(mine.length >= 1, 'no log record for the request');
  const rec = mine.at(-1);
  assert.match(rec.request_id, /\S/);
  assert.equal(rec.model, STORIES);
  assert.equal(typeof rec.total_ms, 'number');
  assert.ok(!server.stderr().includes(secret), 'prompt text in the logs without --log-prompts');
});
