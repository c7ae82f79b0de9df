// Back-pressure and timeouts: a full queue answers 429/503 with Retry-After, a client that hangs
// up mid-stream frees its sequence at once, and slow or silent connections are closed by the
// header, body and idle timeouts, each while a stream beside them runs undisturbed.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { NodeServer, TINY, STORIES, besideStream, bystanderStream, scrapeMetrics, sleep, stopChecked } from './lib/harness.mjs';
import { rawExchange, trickle } from './lib/raw_http.mjs';

describe('one sequence, a queue of one', () => {
  let server;
  let client;
  // A long generation that keeps the only slot busy for a while (about 2 s at 500 tokens/s).
  const long = { model: TINY, messages: [{ role: 'user', content: 'Go on' }], max_tokens: 1000, temperature: 0, seed: 1 };

  before(async () => {
    server = await NodeServer.start({ args: ['--parallel', '1', '--queue', '1', '--ctx', '1024', '--preload', TINY] });
    client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  });
  after(() => stopChecked(server));

  test('a full queue answers 429 or 503 with Retry-After; the running stream is undisturbed', async () => {
    const alone = await client.chat.completions.create(long);
    const stream = await client.chat.completions.create({ ...long, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    let text = '';
    const first = await iterator.next();  // the slot is taken now
    text += first.value.choices[0]?.delta?.content ?? '';
    // Queues are per model: the flood goes to the model the stream holds, all at once: at most
    // one request waits in the queue, every other one is refused at once.
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
    const kinds = [];
    const requests = [];
    for (let i = 0; i < 6; i++) {
      kinds.push('openai');
      requests.push(client.completions.create({ model: TINY, prompt: 'Once upon a time', max_tokens: 4, temperature: 0 }));
    }
    for (let i = 0; i < 3; i++) {
      kinds.push('anthropic');
      requests.push(anthropic.messages.create({ model: TINY, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }));
    }
    kinds.push('fetch');
    requests.push(fetch(`${server.baseURL}/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY, prompt: 'x', max_tokens: 2 }),
    }).then(async (r) => {
      if (r.status === 200) return r.json();
      const e = new Error(`HTTP ${r.status}`);
      Object.assign(e, { status: r.status, headers: r.headers, body: await r.json() });
      throw e;
    }));
    const refusedAt = [];
    requests.forEach((p, i) => p.catch(() => { refusedAt[i] = Date.now(); }));
    const settled = Promise.allSettled(requests);
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) text += r.value.choices[0]?.delta?.content ?? '';
    const streamEnd = Date.now();
    assert.equal(text, alone.choices[0].message.content, 'the running stream finished with its own text');

    const results = await settled;
    const accepted = results.filter((r) => r.status === 'fulfilled');
    assert.ok(accepted.length <= 1, `${accepted.length} requests got past a queue of one`);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const e = r.reason;
      assert.ok(refusedAt[i] <= streamEnd, `request ${i} (${kinds[i]}) was refused only after the stream ended`);
      assert.ok([429, 503].includes(e.status) || (kinds[i] === 'anthropic' && e.status === 529), `${kinds[i]}: ${e}`);
      assert.match(e.headers?.get('retry-after') ?? '', /^\d+$/, `${kinds[i]}: Retry-After in seconds`);
      if (kinds[i] === 'openai') assert.ok(e instanceof OpenAI.APIError, `${e}`);
      if (kinds[i] === 'anthropic') {
        assert.ok(e instanceof Anthropic.APIError, `${e}`);
        assert.ok(['rate_limit_error', 'overloaded_error'].includes(e.error?.error?.type), JSON.stringify(e.error));
      }
      if (kinds[i] === 'fetch') assert.equal(typeof e.body.error.message, 'string');
    });
    const health = await fetch(`${server.url}/health`);
    assert.ok([200, 503].includes(health.status));
    // Once the stream is done the node serves again.
    const after = await client.completions.create({ model: TINY, prompt: 'Once upon a time', max_tokens: 4, temperature: 0 });
    assert.equal(after.usage.completion_tokens, 4);
  });

  test('a client that hangs up mid-stream frees its sequence at once', async () => {
    const before = await scrapeMetrics(server);
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ ...long, stream: true }, { signal: controller.signal });
    let chunks = 0;
    // The SDK ends the iteration quietly once its signal is aborted.
    for await (const _ of stream) {
      if (++chunks === 3) controller.abort();
    }
    assert.ok(chunks >= 3, `${chunks} chunks`);  // chunks already received may still come out
    assert.ok(controller.signal.aborted);
    // If the aborted generation still held the only slot, one of these two would be queued behind
    // it and the other refused (queue of one). Both must be served.
    await sleep(300);
    const after = await scrapeMetrics(server);
    assert.equal(after.samples.get('locai_running_sequences'), 0, 'the aborted sequence still runs');
    const generated = after.samples.get('locai_completion_tokens_total') - before.samples.get('locai_completion_tokens_total');
    assert.ok(generated < long.max_tokens / 2, `${generated} tokens generated for a stream cut after ${chunks} chunks`);
    await sleep(200);
    const later = await scrapeMetrics(server);
    assert.equal(later.samples.get('locai_completion_tokens_total'), after.samples.get('locai_completion_tokens_total'),
                 'tokens are still being generated for the aborted stream');
    const two = await Promise.allSettled([0, 1].map(() =>
      client.completions.create({ model: TINY, prompt: 'Once upon a time', max_tokens: 8, temperature: 0 })));
    for (const r of two) assert.equal(r.status, 'fulfilled', `${r.reason}`);
    assert.equal(two[0].value.choices[0].text, two[1].value.choices[0].text);
  });

  test('a body of many megabytes against the default limit is a 413 (SDK and fetch)', async () => {
    const size = 64 << 20;
    await assert.rejects(client.completions.create({ model: TINY, prompt: 'a'.repeat(size), max_tokens: 1 }), (e) => {
      assert.ok(e instanceof OpenAI.APIError, `${e} ${e.cause}`);
      assert.equal(e.status, 413, `${e} ${e.cause} ${e.cause?.cause?.code} ${e.cause?.cause?.message}`);
      return true;
    });
    const r = await fetch(`${server.baseURL}/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(size, ' '),
    });
    assert.equal(r.status, 413);
    assert.equal(typeof (await r.json()).error.message, 'string');
  });
});

describe('short header, body and idle timeouts', () => {
  let server;
  let client;
  let reference;
  const TIMEOUT_MS = 800;
  const SLACK_MS = 4000;  // a loaded CI machine

  before(async () => {
    server = await NodeServer.start({
      args: ['--ctx', '512', '--preload', STORIES, '--header-timeout-ms', String(TIMEOUT_MS),
             '--body-timeout-ms', String(TIMEOUT_MS), '--idle-timeout-ms', String(TIMEOUT_MS)],
    });
    // Retries cover only a pooled connection the idle timeout closed just as it was reused.
    client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 2, timeout: 60_000 });
    reference = await bystanderStream(client, { paceMs: 0 });
  });
  after(() => stopChecked(server));

  test('headers sent one byte per 100 ms are cut off by the header timeout', async () => {
    // The bystander takes longer than the timeout itself: a stream in progress is not "idle".
    const r = await besideStream(client, reference, () => trickle(server,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'s'.repeat(400)}\r\n\r\n`,
      { byteDelayMs: 100, timeoutMs: 30_000 }), { paceMs: 15 });
    assert.ok(r.closed, 'the server closed the connection');
    assert.ok(r.elapsedMs < TIMEOUT_MS + SLACK_MS, `closed after ${r.elapsedMs} ms`);
    assert.ok(r.bytesSent < 400, `${r.bytesSent} bytes were accepted`);
    if (r.response) assert.ok([408, 400].includes(r.response.status), `status ${r.response.status}`);
  });

  test('a body that stalls is cut off by the body timeout', async () => {
    const r = await besideStream(client, reference, async () => {
      const head = 'POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{"model":';
      return rawExchange(server, head, Buffer.alloc(0), { timeoutMs: 30_000 });
    }, { paceMs: 15 });
    assert.ok(r.closed || r.response, 'the server answered or closed');
    assert.ok(r.elapsedMs < TIMEOUT_MS + SLACK_MS, `closed after ${r.elapsedMs} ms`);
    if (r.response) assert.ok([408, 400].includes(r.response.status), `status ${r.response.status}`);
  });

  test('a silent connection is closed by the idle timeout', async () => {
    const r = await besideStream(client, reference, () => rawExchange(server, '', Buffer.alloc(0), { timeoutMs: 30_000 }), { paceMs: 15 });
    assert.ok(r.closed, 'closed');
    assert.ok(r.elapsedMs < TIMEOUT_MS + SLACK_MS, `closed after ${r.elapsedMs} ms`);
    // A kept-alive connection that goes quiet after a response is closed too.
    const kept = await rawExchange(server, 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n', Buffer.alloc(0),
                                   { timeoutMs: 30_000, untilClose: true });
    assert.equal(kept.response?.status, 200);
    assert.ok(kept.closed, 'the kept-alive connection was closed');
    assert.ok(kept.elapsedMs < TIMEOUT_MS + SLACK_MS, `closed after ${kept.elapsedMs} ms`);
  });
});
