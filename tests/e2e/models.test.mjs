// Model lifecycle: load on first use, --preload, unload after the keep-alive, refusal of a model
// that does not fit the memory limit (with what it needs and what is available), `locai node models`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { NodeServer, TINY, STORIES, locai, modelDir, sleep, stopChecked } from './lib/harness.mjs';

const servers = [];
after(async () => { for (const s of servers) await stopChecked(s); });

const health = async (server) => (await fetch(`${server.url}/health`)).json();
const loaded = (h) => h.models.filter((m) => m.state === 'loaded').map((m) => m.id);

test('`locai node models` lists the directory', () => {
  const out = locai(['node', 'models', '--models', modelDir()]);
  assert.match(out, new RegExp(`^${STORIES}\\b`, 'm'));
  assert.match(out, new RegExp(`^${TINY}\\b`, 'm'));
});

test('--preload loads at start; --log-prompts logs the prompt text', async () => {
  const server = await NodeServer.start({ args: ['--ctx', '256', '--preload', STORIES, '--log-prompts'] });
  servers.push(server);
  const h = await health(server);
  assert.equal(h.status, 'ready');
  assert.deepEqual(loaded(h), [STORIES]);
  const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });
  await client.chat.completions.create({ model: STORIES, messages: [{ role: 'user', content: 'giraffe-4712' }], max_tokens: 2 });
  await sleep(200);
  assert.ok(server.stderr().includes('giraffe-4712'), 'the prompt is not in the logs with --log-prompts');
});

test('load on first use, unload after the keep-alive, refuse what does not fit', async () => {
  // 8 MB: stories260K (about 4 MB with its KV cache) fits, tiny-llama3 (about 20 MB) does not.
  const server = await NodeServer.start({ args: ['--ctx', '512', '--keep-alive', '1', '--memory-limit', '8000000'] });
  servers.push(server);
  const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });
  assert.deepEqual(loaded(await health(server)), []);

  const r = await client.completions.create({ model: STORIES, prompt: 'Once upon a time', max_tokens: 4, temperature: 0 });
  assert.equal(r.usage.completion_tokens, 4);
  const usedAt = Date.now();
  assert.deepEqual(loaded(await health(server)), [STORIES]);

  await assert.rejects(client.completions.create({ model: TINY, prompt: 'x', max_tokens: 2 }), (e) => {
    assert.ok(e instanceof OpenAI.APIError, `${e}`);
    assert.equal(e.status, 503, e.message);
    assert.equal(e.code, 'insufficient_memory');
    assert.match(e.message, /needs [\d.]+ [KMG]iB/, 'says how much it needs');
    assert.match(e.message, /[\d.]+ [KMG]?i?B is available/, 'says how much there is');
    return true;
  });
  const anthropic = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  await assert.rejects(anthropic.messages.create({ model: TINY, max_tokens: 2, messages: [{ role: 'user', content: 'x' }] }), (e) => {
    assert.ok(e instanceof Anthropic.APIError, `${e}`);
    assert.ok(e.status >= 500, `${e.status}`);
    assert.match(e.error?.error?.message ?? '', /does not fit/);
    return true;
  });

  // Keep-alive 1 s: unloaded within a few seconds of the last use, not at once.
  let unloadedAt = null;
  while (Date.now() - usedAt < 8000) {
    if (loaded(await health(server)).length === 0) { unloadedAt = Date.now(); break; }
    await sleep(200);
  }
  assert.ok(unloadedAt, 'still loaded 8 s after its last use with --keep-alive 1');
  assert.ok(unloadedAt - usedAt >= 900, `unloaded after ${unloadedAt - usedAt} ms`);
  // And loads again on the next use.
  const again = await client.completions.create({ model: STORIES, prompt: 'Once upon a time', max_tokens: 4, temperature: 0 });
  assert.equal(again.choices[0].text, r.choices[0].text);
});
