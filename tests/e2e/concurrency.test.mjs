// Concurrent streams share the model through continuous batching: 16 streaming clients each get
// exactly the text their seed gives alone, and a client that hangs up does not disturb another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { NodeServer, STORIES, TINY, bystanderStream, sleep, stopChecked } from './lib/harness.mjs';

let server;
let client;
let anthropic;

before(async () => {
  server = await NodeServer.start({ args: ['--parallel', '8', '--ctx', '512', '--queue', '64', '--preload', STORIES] });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 120_000 });
  anthropic = new Anthropic({
    baseURL: server.url, apiKey: 'unused', maxRetries: 0, timeout: 120_000, defaultHeaders: { 'anthropic-version': '2023-06-01' },
  });
});

after(() => stopChecked(server));

const PROMPTS = ['Once upon a time', 'The little dog', 'Tom and his mom', 'One day, a bird'];

// Client `i` of 16: its own prompt, seed and API style, streaming. Resolves with {text, finish, tokens}.
async function runClient(i) {
  const prompt = PROMPTS[i % PROMPTS.length];
  const sampling = { temperature: 0.9, seed: 1000 + i, max_tokens: 48 };
  switch (i % 3) {
    case 0: {  // completions, streaming
      const stream = await client.completions.create({ model: STORIES, prompt, ...sampling, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let finish = null;
      let tokens = null;
      for await (const c of stream) {
        if (c.usage) { tokens = c.usage.completion_tokens; continue; }
        text += c.choices[0]?.text ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      return { text, finish, tokens };
    }
    case 1: {  // chat, the SDK's stream helper
      const stream = client.chat.completions.stream({
        model: STORIES, messages: [{ role: 'user', content: prompt }], ...sampling, stream_options: { include_usage: true },
      });
      const final = await stream.finalChatCompletion();
      return { text: final.choices[0].message.content, finish: final.choices[0].finish_reason, tokens: final.usage?.completion_tokens };
    }
    default: {  // Anthropic messages, streaming (2023-06-01 takes temperature; the seed is the server default)
      const stream = anthropic.messages.stream({
        model: STORIES, max_tokens: 48, temperature: 0, messages: [{ role: 'user', content: `${prompt} ${i}` }],
      });
      const final = await stream.finalMessage();
      return { text: final.content[0]?.text ?? '', finish: final.stop_reason, tokens: final.usage.output_tokens };
    }
  }
}

test('16 concurrent streaming clients each finish with their own text (same as alone)', async () => {
  const alone = [];
  for (let i = 0; i < 16; i++) alone.push(await runClient(i));
  const distinct = new Set(alone.map((r) => r.text));
  assert.ok(distinct.size >= 12, `only ${distinct.size} distinct texts among 16 clients`);
  for (const r of alone) assert.ok(r.tokens > 0 && r.text.length > 0, JSON.stringify(r));

  const started = Date.now();
  const together = await Promise.all(Array.from({ length: 16 }, (_, i) => runClient(i)));
  const elapsed = Date.now() - started;
  for (let i = 0; i < 16; i++) {
    assert.deepEqual(together[i], alone[i], `client ${i} under load differs from alone`);
  }
  // Twice more, staggered, so requests join a running batch at different steps.
  const staggered = await Promise.all(Array.from({ length: 16 }, async (_, i) => {
    await sleep((i % 8) * 7);
    return runClient(i);
  }));
  for (let i = 0; i < 16; i++) assert.deepEqual(staggered[i], alone[i], `client ${i} (staggered) differs from alone`);
  console.log(`16 clients together: ${elapsed} ms`);
});

test('a client hanging up mid-stream does not disturb a stream beside it', async () => {
  const reference = await bystanderStream(client, { paceMs: 0 });
  const beside = bystanderStream(client, { paceMs: 5 });
  const controller = new AbortController();
  const doomed = await client.chat.completions.create({
    model: TINY, messages: [{ role: 'user', content: 'A long answer' }], max_tokens: 400, temperature: 0, stream: true,
  }, { signal: controller.signal });
  let chunks = 0;
  for await (const _ of doomed) if (++chunks === 4) controller.abort();  // ends quietly on abort
  assert.ok(chunks >= 4, `${chunks} chunks`);  // chunks already received may still come out
  assert.deepEqual(await beside, reference);
  // The node is fine afterwards and the cancelled sequence's slot is reusable.
  const again = await Promise.all(Array.from({ length: 8 }, () => bystanderStream(client, { paceMs: 0 })));
  for (const r of again) assert.deepEqual(r, reference);
});
