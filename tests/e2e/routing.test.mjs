// Routing end to end (issue 5, "How it is checked"; issue 6's inference audit): a real
// `locai server` as the gateway, two real `locai node --join` processes (A and B) with the real
// stories260K deployed to both (one sequence at a time each) and tiny-llama3 (random weights,
// slow enough to be killed mid-stream) deployed to B only, and a stand-in cloud provider that is
// a plain `locai node` on another port (OpenAI-compatible, its own API key, --log-prompts so that
// its request log records every prompt it received). Clients: the official OpenAI and Anthropic
// SDKs against the server's /v1, and an application calling node A's own /v1.
//
// "Full" nodes are made deterministic with SIGSTOP: a job sent to a stopped node stays in flight
// (the gateway counts it against the node's one slot) until SIGCONT, and a stopped node killed
// with SIGKILL drops its fleet link before it produced a token.
//
// The tests of this file run in order and share the fleet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { modelDir, TINY, sleep } from './lib/harness.mjs';
import { ControlServer, FleetNode, conformanceModel, waitFor, runLocai } from './lib/fleet.mjs';
import {
  StandInProvider, openaiClient, anthropicClient, gatewayPost, nodePost, createKey, setPolicy,
  serverEgress, nodeEgress, hostPort, auditExport, inferenceRecords, waitAudit, drainChatStream,
} from './lib/gateway.mjs';

const STORIES = 'stories:260k';           // on A and B
const TINY_REF = 'tiny:q8';               // on B only
const CLOUD_ONLY = 'cloud-stories';       // on no node; hybrid maps it to the provider
const PROVIDER = 'stand-in';
const CLOUD_MAP = { [STORIES]: `${PROVIDER}/stories260K`, [CLOUD_ONLY]: `${PROVIDER}/stories260K` };
const QUEUE_WAIT_MS = 1000;
const NHS = '943 476 5919';               // a valid NHS number (mod-11 check digit 9)
const NOT_NHS = '943 476 5918';           // the same digits with a wrong check digit
const CANARY = `canary-${crypto.randomBytes(6).toString('hex')}`;  // sent in prompts of every route
const CAPTURED = `captured-${crypto.randomBytes(6).toString('hex')}`;

let server;
let provider;
let nodeA;
let nodeB;
let key;        // {id, key}: an inference key of the default organisation
let openai;
let anthropic;
const byId = {};   // node id -> FleetNode
const pins = {};   // node id -> {body, headers}: a session the gateway keeps on that node

const userMsg = (text) => [{ role: 'user', content: text }];
const hdr = (response, name) => response.headers.get(name);
const stop = (node) => process.kill(node.proc.proc.pid, 'SIGSTOP');
const cont = (node) => { if (node.alive()) process.kill(node.proc.proc.pid, 'SIGCONT'); };

// A raw chat request to the gateway (not awaited by the caller until later).
const chat = (body, headers = {}) => gatewayPost(server, '/v1/chat/completions', {
  model: STORIES, max_tokens: 4, messages: userMsg(`Tell me a story. ${CANARY}`), ...body,
}, { key: key.key, headers });

// The gateway lists `model` (the node's hello / model_status reached the server).
async function waitRoutable(model, nodeId) {
  await waitFor(async () => {
    if ((await server.node(nodeId))?.status !== 'online') return false;
    const r = await server.request('GET', '/v1/models', { key: key.key });
    return r.status === 200 && r.json.data.some((m) => m.id === model);
  }, { timeoutMs: 30_000, what: `${model} routable on ${nodeId}` });
}

// Starts a killed node again from its stored credential and waits until it serves `models`.
async function restart(node, models) {
  await node.launch({ server });
  await waitFor(async () => {
    const shown = await server.node(node.id);
    if (shown?.status !== 'online') return false;
    if ((shown.models ?? []).filter((m) => m.state === 'ready').length < models.length) return false;
    const ids = await node.modelIds();
    return models.every((m) => ids.includes(m));
  }, { timeoutMs: 30_000, what: `${node.name} online with ${models}` });
  if (models.includes(TINY_REF)) await waitRoutable(TINY_REF, node.id);  // only this node has it
  await sleep(300);  // its model_status ready reaches the gateway
}

before(async () => {
  server = await ControlServer.start();
  provider = await StandInProvider.start();
  const pushedStories = server.cliJson(['models', 'push', conformanceModel('stories260K'), '--name', STORIES]);
  const pushedTiny = server.cliJson(['models', 'push', path.join(modelDir(), `${TINY}.gguf`), '--name', TINY_REF]);
  await Promise.all([pushedStories, pushedTiny]);
  const token = await server.joinToken({ uses: 2 });
  [nodeA, nodeB] = await Promise.all(['node-a', 'node-b'].map((name) =>
    FleetNode.start({ server, token, name, reportMemory: 8_000_000_000 })));
  byId[nodeA.id] = nodeA;
  byId[nodeB.id] = nodeB;
  await server.cliJson(['deploy', STORIES, '--to', 'group=default', '--name', 'stories',
                        '--ctx', '256', '--parallel', '1']);
  await server.cliJson(['deploy', TINY_REF, '--to', `nodes=${nodeB.id}`, '--name', 'tiny',
                        '--ctx', '512', '--parallel', '1']);
  await server.waitDeploymentStates('stories', { [nodeA.id]: 'ready', [nodeB.id]: 'ready' }, { timeoutMs: 60_000 });
  await server.waitDeploymentStates('tiny', { [nodeB.id]: 'ready' }, { timeoutMs: 60_000 });
  key = await createKey(server, 'routing-e2e');
  openai = openaiClient(server, key.key);
  anthropic = anthropicClient(server, key.key);

  const keyFile = path.join(provider.dataDir, 'provider.key');
  fs.writeFileSync(keyFile, `${provider.apiKey}\n`, { mode: 0o600 });
  const added = await server.cli(['providers', 'add', PROVIDER, '--kind', 'openai',
                                  '--base-url', `${provider.url}/v1`, '--api-key-file', keyFile]);
  assert.equal(added.code, 0, added.stderr + added.stdout);
  await setPolicy(server, { policy: 'onprem', maxQueueWaitMs: QUEUE_WAIT_MS, cloudModels: CLOUD_MAP });
  await waitRoutable(STORIES, nodeA.id);
  await waitRoutable(TINY_REF, nodeB.id);
});

after(async () => {
  for (const node of [nodeA, nodeB]) if (node) { cont(node); await node.stop(); }
  if (provider) await provider.stop();
  if (server) {
    const { code, signal } = await server.stop();
    assert.equal(signal, null, server.proc.tail());
    assert.equal(code, 0, server.proc.tail());
  }
});

test('the gateway lists the models ready on the nodes; the provider key is never shown', async () => {
  const models = await openai.models.list();
  const ids = models.data.map((m) => m.id);
  assert.ok(ids.includes(STORIES) && ids.includes(TINY_REF), JSON.stringify(ids));
  assert.ok(!ids.includes(CLOUD_ONLY), 'onprem lists no cloud-mapped model');
  const listed = await server.cli(['providers', 'ls', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.includes(PROVIDER));
  assert.ok(!listed.stdout.includes(provider.apiKey), 'the provider key is not returned');
  const shown = await server.api('GET', '/v1/admin/providers');
  assert.ok(!JSON.stringify(shown).includes(provider.apiKey));
  // A bad request is refused by the gateway itself (400 in the OpenAI shape).
  const bad = await gatewayPost(server, '/v1/chat/completions', { model: STORIES, messages: 'nope' }, { key: key.key });
  assert.equal(bad.status, 400, bad.text);
  assert.ok(bad.json?.error?.message, bad.text);
  const unauth = await gatewayPost(server, '/v1/messages', { model: STORIES, max_tokens: 4, messages: userMsg('x') },
                                   { key: 'locai_nope_nope', headers: { 'anthropic-version': '2023-06-01' } });
  assert.equal(unauth.status, 401, unauth.text);
  assert.equal(unauth.json?.type, 'error', `Anthropic error shape: ${unauth.text}`);
});

test('load spreads across the two nodes and a session stays on its node (header and user field)', async () => {
  // Both nodes stopped: the first request's job holds one node's only slot, so the second must
  // go to the other node.
  stop(nodeA);
  stop(nodeB);
  let first;
  let second;
  try {
    first = chat({ user: 'alice' });
    await sleep(500);
    second = chat({}, { 'x-locai-session': 'conv-b' });
    await sleep(500);
  } finally {
    cont(nodeA);
    cont(nodeB);
  }
  const [r1, r2] = await Promise.all([first, second]);
  for (const r of [r1, r2]) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-locai-route'], 'node');
    assert.ok(byId[r.headers['x-locai-route-target']], `a node id: ${r.headers['x-locai-route-target']}`);
    assert.ok(r.headers['x-request-id'], 'x-request-id');
    assert.equal(r.json.object, 'chat.completion');
  }
  const aliceNode = r1.headers['x-locai-route-target'];
  const convNode = r2.headers['x-locai-route-target'];
  assert.notEqual(aliceNode, convNode, 'the second request went to the idle node');
  pins[aliceNode] = { body: { user: 'alice' }, headers: {} };
  pins[convNode] = { body: {}, headers: { 'x-locai-session': 'conv-b' } };

  // Each conversation sticks to its node, through the SDK, whatever the other does.
  for (let i = 0; i < 3; ++i) {
    const a = await openai.chat.completions.create({
      model: STORIES, max_tokens: 4, messages: userMsg(`Again ${i}. ${CANARY}`), user: 'alice',
    }).withResponse();
    assert.equal(hdr(a.response, 'x-locai-route-target'), aliceNode, `alice round ${i}`);
    const b = await openai.chat.completions.create({
      model: STORIES, max_tokens: 4, messages: userMsg(`Again ${i}. ${CANARY}`),
    }, { headers: { 'x-locai-session': 'conv-b' } }).withResponse();
    assert.equal(hdr(b.response, 'x-locai-route-target'), convNode, `conv-b round ${i}`);
    assert.equal(hdr(b.response, 'x-locai-route'), 'node');
  }

  // Eight concurrent clients (streamed and not) all get answers from the nodes.
  const results = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
    if (i % 2) {
      const { data, response } = await openai.chat.completions.create({
        model: STORIES, max_tokens: 8, messages: userMsg(`Story ${i}`), stream: true,
      }).withResponse();
      const out = await drainChatStream(data);
      assert.equal(out.error, null, `stream ${i}: ${out.error}`);
      assert.ok(['length', 'stop'].includes(out.finish), `stream ${i} finish ${out.finish}`);
      return hdr(response, 'x-locai-route-target');
    }
    const { data, response } = await openai.chat.completions.create({
      model: STORIES, max_tokens: 8, messages: userMsg(`Story ${i}`),
    }).withResponse();
    assert.ok(data.usage.completion_tokens > 0);
    return hdr(response, 'x-locai-route-target');
  }));
  for (const target of results) assert.ok(byId[target], `served by a node: ${target}`);
  assert.equal(provider.requests().length, 0, 'nothing reached the provider');
});

test('local-first: an application calling node A for a model only node B holds gets it with x-locai-route: node', async () => {
  const local = await nodePost(nodeA, '/v1/chat/completions', {
    model: STORIES, max_tokens: 4, messages: userMsg(`Local please. ${CANARY}`),
  });
  assert.equal(local.status, 200, local.text);
  assert.equal(local.headers['x-locai-route'], 'local');

  const forwarded = await nodePost(nodeA, '/v1/chat/completions', {
    model: TINY_REF, max_tokens: 4, messages: userMsg(`Forward me. ${CANARY}`),
  });
  assert.equal(forwarded.status, 200, forwarded.text);
  assert.equal(forwarded.headers['x-locai-route'], 'node');
  assert.equal(forwarded.headers['x-locai-route-target'], nodeB.id);
  assert.equal(forwarded.json.object, 'chat.completion');
  assert.equal(forwarded.json.usage.completion_tokens, 4);

  // Streamed, through the SDK pointed at node A, and in Anthropic's format.
  const nodeClient = new OpenAI({ baseURL: nodeA.baseURL, apiKey: 'unused', maxRetries: 0 });
  const { data, response } = await nodeClient.chat.completions.create({
    model: TINY_REF, max_tokens: 6, messages: userMsg(`Stream it. ${CANARY}`), stream: true,
  }).withResponse();
  assert.equal(hdr(response, 'x-locai-route'), 'node');
  const out = await drainChatStream(data);
  assert.equal(out.error, null, String(out.error));
  assert.equal(out.finish, 'length');
  const nodeAnthropic = new Anthropic({ baseURL: nodeA.url, apiKey: 'unused', maxRetries: 0 });
  const msg = await nodeAnthropic.messages.create({
    model: TINY_REF, max_tokens: 5, messages: userMsg(`Anthropic. ${CANARY}`),
  }).withResponse();
  assert.equal(hdr(msg.response, 'x-locai-route'), 'node');
  assert.equal(msg.data.type, 'message');
  assert.equal(msg.data.stop_reason, 'max_tokens');

  // A model nobody has: the control plane's 404, passed back in the API's format.
  const missing = await nodePost(nodeA, '/v1/chat/completions', { model: 'nobody:1', max_tokens: 4, messages: userMsg('x') });
  assert.equal(missing.status, 404, missing.text);
  assert.ok(missing.json?.error, missing.text);
});

test('both nodes full: onprem queues, then 429/529 with Retry-After and the provider sees nothing; hybrid falls back after the wait', async () => {
  const before = provider.requests().length;
  stop(nodeA);
  stop(nodeB);
  let blockers;
  try {
    blockers = [chat({}), chat({})];
    await sleep(600);
    // onprem: waits max_queue_wait, then 429 (OpenAI) with Retry-After.
    let t0 = Date.now();
    const refused = await chat({});
    const waited = Date.now() - t0;
    assert.equal(refused.status, 429, refused.text);
    assert.ok(Number(refused.headers['retry-after']) >= 1, `Retry-After: ${refused.headers['retry-after']}`);
    assert.equal(refused.json?.error?.type, 'rate_limit_error', refused.text);
    assert.ok(waited >= QUEUE_WAIT_MS - 100, `queued ${waited} ms before the refusal`);
    // The same in Anthropic's format: 429 rate_limit_error or 529 overloaded_error.
    t0 = Date.now();
    const refusedA = await gatewayPost(server, '/v1/messages', {
      model: STORIES, max_tokens: 4, messages: userMsg('queued'),
    }, { key: key.key, headers: { 'anthropic-version': '2023-06-01' } });
    assert.ok([429, 529].includes(refusedA.status), refusedA.text);
    assert.equal(refusedA.json?.type, 'error', refusedA.text);
    assert.ok(['rate_limit_error', 'overloaded_error'].includes(refusedA.json?.error?.type), refusedA.text);
    assert.ok(refusedA.headers['retry-after'], 'Retry-After');
    assert.ok(Date.now() - t0 >= QUEUE_WAIT_MS - 100);
    // The SDK raises it as a RateLimitError.
    await assert.rejects(openai.chat.completions.create({ model: STORIES, max_tokens: 4, messages: userMsg('x') }),
                         (e) => e instanceof OpenAI.RateLimitError);
    assert.equal(provider.requests().length, before, 'onprem never reached the provider');

    // hybrid: the same wait, then the provider, with x-locai-route: cloud.
    await setPolicy(server, { policy: 'hybrid', maxQueueWaitMs: QUEUE_WAIT_MS, cloudModels: CLOUD_MAP });
    t0 = Date.now();
    const { data, response } = await openai.chat.completions.create({
      model: STORIES, max_tokens: 5, messages: userMsg(`Fall back. ${CANARY}`),
    }).withResponse();
    assert.ok(Date.now() - t0 >= QUEUE_WAIT_MS - 100, 'fell back only after the queue wait');
    assert.equal(hdr(response, 'x-locai-route'), 'cloud');
    assert.equal(hdr(response, 'x-locai-route-target'), PROVIDER);
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.model, STORIES, 'the client sees the model it asked for');
    assert.ok(data.choices[0].message.content.length > 0);
    const got = await waitFor(() => provider.requests().length > before && provider.requests().slice(before),
                              { what: 'the provider logged the fallback' });
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0].model, 'stories260K');
    assert.equal(got[0].status, 200);
  } finally {
    cont(nodeA);
    cont(nodeB);
  }
  for (const r of await Promise.all(blockers)) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-locai-route'], 'node');
  }
});

test('hybrid: an Anthropic-format request falls back to the OpenAI-format provider and back (streamed too)', async () => {
  const before = provider.requests().length;
  const models = await openai.models.list();
  assert.ok(models.data.some((m) => m.id === CLOUD_ONLY), 'hybrid lists the cloud-mapped model');

  const { data, response } = await anthropic.messages.create({
    model: CLOUD_ONLY, max_tokens: 6, messages: userMsg(`Hello cloud. ${CANARY}`),
  }).withResponse();
  assert.equal(hdr(response, 'x-locai-route'), 'cloud');
  assert.equal(hdr(response, 'x-locai-route-target'), PROVIDER);
  assert.equal(data.type, 'message');
  assert.equal(data.role, 'assistant');
  assert.equal(data.content[0].type, 'text');
  assert.ok(data.content[0].text.length > 0);
  assert.ok(['max_tokens', 'end_turn'].includes(data.stop_reason), data.stop_reason);
  assert.ok(data.usage.output_tokens > 0);

  const events = [];
  const stream = anthropic.messages.stream({ model: CLOUD_ONLY, max_tokens: 6, messages: userMsg(`Stream. ${CANARY}`) });
  stream.on('streamEvent', (e) => events.push(e.type));
  const final = await stream.finalMessage();
  assert.ok(final.content[0].text.length > 0);
  assert.equal(events[0], 'message_start');
  assert.ok(events.includes('content_block_delta'));
  assert.equal(events.at(-1), 'message_stop');

  // OpenAI streamed to the same provider.
  const { data: s, response: sr } = await openai.chat.completions.create({
    model: CLOUD_ONLY, max_tokens: 6, messages: userMsg(`OpenAI stream. ${CANARY}`), stream: true,
  }).withResponse();
  assert.equal(hdr(sr, 'x-locai-route'), 'cloud');
  const out = await drainChatStream(s);
  assert.equal(out.error, null, String(out.error));
  assert.ok(['length', 'stop'].includes(out.finish), out.finish);

  const got = await waitFor(() => provider.requests().length >= before + 3 && provider.requests().slice(before),
                            { what: 'the provider logged the three requests' });
  assert.equal(got.length, 3);
  for (const entry of got) assert.equal(entry.endpoint, '/v1/chat/completions', 'the provider got OpenAI format');
});

test('PII guard: an NHS number is blocked (403, nothing sent) or redacted (the provider never sees it)', async () => {
  await setPolicy(server, { policy: 'hybrid', maxQueueWaitMs: QUEUE_WAIT_MS, cloudModels: CLOUD_MAP, pii: 'block' });
  const before = provider.requests().length;
  const blocked = await gatewayPost(server, '/v1/chat/completions', {
    model: CLOUD_ONLY, max_tokens: 4, messages: userMsg(`My NHS number is ${NHS}, what next?`),
  }, { key: key.key });
  assert.equal(blocked.status, 403, blocked.text);
  assert.ok(blocked.json?.error?.message, blocked.text);
  assert.ok(!blocked.text.includes(NHS), 'the error does not echo the value');
  const blockedA = await anthropic.messages.create({
    model: CLOUD_ONLY, max_tokens: 4, messages: userMsg(`NHS ${NHS}`),
  }).then(() => null, (e) => e);
  assert.ok(blockedA instanceof Anthropic.PermissionDeniedError, String(blockedA));
  assert.equal(provider.requests().length, before, 'a blocked prompt is never sent');

  // The same digits with a wrong check digit are not an NHS number: sent as they are.
  const plain = await gatewayPost(server, '/v1/chat/completions', {
    model: CLOUD_ONLY, max_tokens: 4, messages: userMsg(`Ticket ${NOT_NHS} please`),
  }, { key: key.key });
  assert.equal(plain.status, 200, plain.text);
  await waitFor(() => provider.requests().slice(before).some((e) => (e.prompt ?? '').includes(NOT_NHS)),
                { what: 'the provider log records prompts (the recording works)' });

  await setPolicy(server, { policy: 'hybrid', maxQueueWaitMs: QUEUE_WAIT_MS, cloudModels: CLOUD_MAP, pii: 'redact' });
  const mark = provider.requests().length;
  const logMark = provider.log().length;
  const redacted = await openai.chat.completions.create({
    model: CLOUD_ONLY, max_tokens: 4, messages: userMsg(`My NHS number is ${NHS}, what next?`),
  }).withResponse();
  assert.equal(hdr(redacted.response, 'x-locai-route'), 'cloud');
  const streamed = await openai.chat.completions.create({
    model: CLOUD_ONLY, max_tokens: 4, messages: userMsg(`Number: ${NHS.replace(/ /g, '')}`), stream: true,
  });
  const out = await drainChatStream(streamed);
  assert.equal(out.error, null, String(out.error));
  const got = await waitFor(() => provider.requests().length >= mark + 2 && provider.requests().slice(mark),
                            { what: 'the provider logged the two redacted requests' });
  assert.equal(got.length, 2, 'the redacted prompts were sent');
  const recording = provider.log().slice(logMark);
  for (const value of [NHS, NHS.replace(/ /g, ''), '4765919']) {
    assert.ok(!recording.includes(value), `the provider received ${value}:\n${recording.slice(0, 2000)}`);
  }
  assert.ok(got.every((e) => (e.prompt ?? '').includes('My NHS number is') || (e.prompt ?? '').includes('Number:')),
            'the rest of the prompt went through');
  await setPolicy(server, { policy: 'onprem', maxQueueWaitMs: QUEUE_WAIT_MS, cloudModels: CLOUD_MAP });
});

test('a node killed (SIGKILL) before its first token: the request is retried on the other node, no client error', async () => {
  // Node A holds a session (from the spreading test): stop A, send that session's next requests
  // (streamed and not) to it, then kill it: the gateway must answer from B.
  const victim = nodeA;
  const other = nodeB;
  const pin = pins[victim.id];
  assert.ok(pin, 'a session is pinned to node A');
  stop(victim);
  const pending = openai.chat.completions.create({
    model: STORIES, max_tokens: 8, messages: userMsg(`Retry me. ${CANARY}`), stream: true, ...pin.body,
  }, { headers: pin.headers }).withResponse();
  const nonStream = chat({ max_tokens: 6, ...pin.body }, pin.headers);
  await sleep(600);
  await victim.kill9();
  const { data, response } = await pending;
  assert.equal(response.status, 200);
  assert.equal(hdr(response, 'x-locai-route'), 'node');
  assert.equal(hdr(response, 'x-locai-route-target'), other.id);
  const out = await drainChatStream(data);
  assert.equal(out.error, null, `no error for the client: ${out.error}`);
  assert.equal(out.finish, 'length');
  assert.ok(out.text.length > 0);
  const r = await nonStream;
  assert.ok([200].includes(r.status), r.text);
  assert.equal(r.headers['x-locai-route-target'], other.id);
  await restart(victim, [STORIES]);
});

// Streams tiny-llama3 (on B only) through the gateway with `open`, kills B at the first token,
// and returns what the client saw; then starts B again.
async function killMidStream(open, drain) {
  const { data, response } = await open();
  assert.equal(hdr(response, 'x-locai-route'), 'node');
  assert.equal(hdr(response, 'x-locai-route-target'), nodeB.id);
  const out = await drain(data, () => nodeB.kill9());
  await restart(nodeB, [STORIES, TINY_REF]);
  return out;
}

test('a node killed mid-stream: the client gets a clean error event, never a normal finish (both APIs)', async () => {
  const o = await killMidStream(
    () => openai.chat.completions.create({
      model: TINY_REF, max_tokens: 400, messages: userMsg(`Long story. ${CANARY}`), stream: true,
    }).withResponse(),
    (stream, kill) => drainChatStream(stream, { onFirst: kill }));
  assert.ok(o.text.length > 0, 'tokens arrived before the kill');
  assert.equal(o.finish, null, `no finish_reason after the node died (got ${o.finish})`);
  assert.ok(o.error instanceof OpenAI.APIError, `an error event in OpenAI's format, not a cut connection: ${o.error}`);
  assert.match(String(o.error.message), /node|unavailable|lost|error/i);

  const a = await killMidStream(
    () => anthropic.messages.create({
      model: TINY_REF, max_tokens: 400, messages: userMsg(`Long story. ${CANARY}`), stream: true,
    }).withResponse(),
    async (stream, kill) => {
      const seen = [];
      let error = null;
      let killed = false;
      try {
        for await (const event of stream) {
          seen.push(event.type === 'message_delta' ? `message_delta:${event.delta.stop_reason}` : event.type);
          if (event.type === 'content_block_delta' && !killed) { killed = true; await kill(); }
        }
      } catch (e) {
        error = e;
      }
      return { seen, error };
    });
  assert.ok(a.seen.includes('content_block_delta'), a.seen.join(','));
  assert.ok(!a.seen.includes('message_stop'), `no message_stop: ${a.seen.join(',')}`);
  assert.ok(!a.seen.some((s) => s.startsWith('message_delta')), `no stop_reason: ${a.seen.join(',')}`);
  assert.ok(a.error instanceof Anthropic.APIError, `an Anthropic error event: ${a.error}`);
});

test('audit: local, node and cloud requests are recorded with their route and no prompt text; the canary is nowhere', async () => {
  const records = await waitAudit(server, (rs) => ['local', 'node', 'cloud'].every((route) => rs.some((r) => r.route === route)),
                                  'inference records of the three routes');
  const local = records.filter((r) => r.route === 'local');
  assert.ok(local.some((r) => String(r.actor ?? '').includes(nodeA.id)), JSON.stringify(local[0]));
  const viaNode = records.filter((r) => r.route === 'node');
  const targetOf = (r) => r.node ?? r.provider ?? r.node_id ?? r.route_target;
  assert.ok(viaNode.every((r) => byId[targetOf(r)]), `node records name the node: ${JSON.stringify(viaNode[0])}`);
  assert.ok(viaNode.some((r) => String(r.actor ?? r.key_id ?? '').includes(key.id)), 'the key id is the actor');
  const cloud = records.filter((r) => r.route === 'cloud');
  assert.ok(cloud.every((r) => targetOf(r) === PROVIDER), JSON.stringify(cloud[0]));
  assert.ok(records.some((r) => r.route === 'cloud' && JSON.stringify(r.pii ?? r.pii_detections ?? {}).match(/nhs/i)),
            'the redacted request records its detection (type and count)');
  assert.ok(records.some((r) => r.route === 'node' && r.model === TINY_REF && targetOf(r) === nodeB.id),
            'the forwarded request is recorded as route node on B');
  // The request id the client saw is the record's.
  const r = await chat({ max_tokens: 3 });
  assert.equal(r.status, 200, r.text);
  const rid = r.headers['x-request-id'];
  const mine = (await waitAudit(server, (rs) => rs.some((x) => x.request_id === rid), `record ${rid}`))
    .find((x) => x.request_id === rid);
  assert.equal(mine.route, 'node');
  assert.equal(mine.model, STORIES);
  assert.equal(Number(mine.status), 200);

  // The canary was in every prompt: it is in no audit record, no server log line, not in the
  // server's database, and not in the nodes' logs (their requests and jobs alike).
  const { text } = await auditExport(server);
  assert.ok(!text.includes(CANARY), 'audit export holds no prompt text');
  assert.ok(!text.includes(NHS) && !text.includes('9434765919'), 'nor the PII value');
  assert.ok(!server.proc.output.includes(CANARY), 'server logs hold no prompt text');
  for (const node of [nodeA, nodeB]) assert.ok(!node.proc.output.includes(CANARY), `${node.name} logs`);
  const dbFiles = fs.readdirSync(path.join(server.dataDir, 'server')).filter((f) => f.startsWith('locai.db'));
  assert.ok(dbFiles.includes('locai.db'));
  for (const f of fs.readdirSync(path.join(server.dataDir, 'server'))) {
    const p = path.join(server.dataDir, 'server', f);
    if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p).includes(CANARY), `server/${f} holds the canary`);
  }

  // With prompt capture on, the text is kept apart (in the database), still not in the audit.
  const on = await server.cli(['audit', 'prompts', 'on']);
  assert.equal(on.code, 0, on.stderr + on.stdout);
  const captured = await chat({ messages: userMsg(`Keep this: ${CAPTURED}`) });
  assert.equal(captured.status, 200, captured.text);
  await waitFor(() => dbFiles.concat(['locai.db-wal']).some((f) => {
    const p = path.join(server.dataDir, 'server', f);
    return fs.existsSync(p) && fs.readFileSync(p).includes(CAPTURED);
  }), { what: 'the captured prompt in the database' });
  assert.ok(!(await auditExport(server)).text.includes(CAPTURED), 'captured text is not in the audit records');
  const off = await server.cli(['audit', 'prompts', 'off']);
  assert.equal(off.code, 0, off.stderr + off.stdout);
});

test('egress over the whole run: the server reached only the provider, the nodes only their control plane', async () => {
  const providerHost = `${provider.host}:${provider.port}`;
  const serverHost = hostPort(server.url);
  const fromServer = serverEgress(server);
  assert.ok(fromServer.length > 0, 'the cloud calls were journalled');
  for (const e of fromServer) {
    assert.equal(`${e.host}:${e.port}`, providerHost, JSON.stringify(e));
    assert.equal(e.allowed, true, JSON.stringify(e));
    assert.match(String(e.purpose), /stand-in|cloud/, JSON.stringify(e));
  }
  for (const node of [nodeA, nodeB]) {
    const journal = nodeEgress(node);
    assert.ok(journal.length > 0, `${node.name} journalled its connections`);
    for (const e of journal) {
      assert.equal(`${e.host}:${e.port}`, serverHost, `${node.name}: ${JSON.stringify(e)}`);
      assert.equal(e.allowed, true, JSON.stringify(e));
    }
  }
  assert.deepEqual(nodeEgress({ dataDir: provider.dataDir }), [], 'the stand-in provider connected nowhere');
  for (const dir of [server.dataDir, nodeA.dataDir]) {
    const report = await runLocai(['egress', 'report', '--data', dir]);
    assert.equal(report.code, 0, report.stderr);
    assert.ok(report.stdout.includes(dir === server.dataDir ? providerHost : serverHost), report.stdout);
    assert.match(report.stdout, /total: allowed [1-9]\d*, denied 0, failed 0/, report.stdout);
  }
});
