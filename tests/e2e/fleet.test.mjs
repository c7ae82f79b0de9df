// The fleet end to end (issue 4, "How it is checked"): a real `locai server` and three real
// `locai node --join` processes reporting different memory. A conformance model is pushed and
// deployed to their group; placement skips the node that is too small with its reason, the others
// pull it, report `ready` and serve it on their own /v1 API (official OpenAI SDK). The server
// restarts and loses nothing; a node killed -9 in the middle of a pull resumes it; removing the
// deployment unloads and deletes the model on the nodes; a revoked node is cut off within 5 s.
//
// The tests of this file run in order and share the fleet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { STORIES_GREEDY, TINY, modelDir } from './lib/harness.mjs';
import {
  ControlServer, FleetNode, conformanceModel, digestOfFile, waitFor, sleep,
} from './lib/fleet.mjs';

const STORIES_FILE = conformanceModel('stories260K');
const F16_FILE = conformanceModel('small-f16');  // 7.2 MB
const MODEL = 'stories:260k';
const CTX = 256;
const PARALLEL = 2;

let server;
let storiesDigest;
let need;             // bytes the deployment needs on a node (docs: Placement)
const nodes = {};     // name -> FleetNode

// "needs 5.1 GB, has 3.2 GB": whole MB below 100 MB, else GB rounded down to one decimal.
function formatBytes(bytes) {
  if (bytes < 100_000_000) return `${Math.floor(Math.max(bytes, 0) / 1_000_000)} MB`;
  const tenths = Math.floor(bytes / 100_000_000);
  return `${Math.floor(tenths / 10)}.${tenths % 10} GB`;
}

const client = (node) => new OpenAI({ baseURL: node.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });

async function nodeStatus(node) { return (await server.node(node.id))?.status; }

before(async () => {
  server = await ControlServer.start();
  const pushed = await server.cliJson(['models', 'push', STORIES_FILE, '--name', MODEL]);
  storiesDigest = digestOfFile(STORIES_FILE);
  assert.equal(pushed.digest, storiesDigest);
  const m = pushed.memory;
  need = m.weights + m.kv_per_token * CTX * PARALLEL + m.compute;
  assert.ok(need > 0, JSON.stringify(pushed));
});

after(async () => {
  const failures = [];
  for (const node of Object.values(nodes)) {
    if (!node.alive()) continue;
    const { code, signal } = await node.stop();
    if (signal !== null || code !== 0) failures.push(`node ${node.name}: code ${code} signal ${signal}\n${node.proc.tail()}`);
  }
  if (server) {
    const { code, signal } = await server.stop();
    if (signal !== null || code !== 0) failures.push(`server: code ${code} signal ${signal}\n${server.proc.tail()}`);
  }
  assert.deepEqual(failures, [], 'every process ends cleanly on SIGTERM');
});

test('three nodes enrol with one join token and show up online with their reported memory', async () => {
  const token = await server.joinToken({ group: 'clinical', uses: 3 });
  assert.match(token, new RegExp(`^locaijoin\\.[^.]+\\.[^.]+\\.${server.caSha256}$`), 'the token embeds the CA fingerprint');
  const memory = { 'big-1': 8_000_000_000, 'big-2': 4_000_000_000, 'small-1': Math.floor(need / 3) };
  const started = await Promise.all(Object.entries(memory).map(([name, reportMemory]) =>
    FleetNode.start({ server, token, name, reportMemory })));
  for (const node of started) nodes[node.name] = node;
  for (const node of started) {
    assert.match(node.id, /^n_/);
    assert.equal(node.credential.ca_sha256, server.caSha256);
    assert.equal(fs.statSync(`${node.dataDir}/node/credential.json`).mode & 0o777, 0o600);
  }
  // A fourth enrolment with the used-up token is refused.
  const fourth = await server.request('POST', '/v1/fleet/enroll', {
    key: null, body: { token, public_key: Buffer.alloc(32, 1).toString('base64'), name: 'fourth' },
  });
  assert.equal(fourth.status, 401, fourth.text);

  await waitFor(async () => {
    for (const node of started) if (await nodeStatus(node) !== 'online') return false;
    return true;
  }, { what: 'three nodes online' });
  const list = await server.cliJson(['nodes', 'ls']);
  assert.equal(list.data.length, 3);
  for (const entry of list.data) {
    const node = nodes[entry.name];
    assert.ok(node, `unexpected node ${entry.name}`);
    assert.equal(entry.id, node.id);
    assert.equal(entry.group, 'clinical');
    assert.equal(entry.status, 'online');
    assert.equal(entry.capabilities.ram_free, memory[entry.name], JSON.stringify(entry.capabilities));
    for (const field of ['hostname', 'os', 'cores', 'ram_total', 'disk_free']) {
      assert.ok(entry.capabilities[field] !== undefined, `capabilities.${field}`);
    }
  }
  // Labels and groups through the CLI.
  const labelled = await server.cli(['nodes', 'label', nodes['big-1'].id, 'site=ward-3']);
  assert.equal(labelled.code, 0, labelled.stderr);
  assert.deepEqual((await server.node(nodes['big-1'].id)).labels, { site: 'ward-3' });
});

test('deploy to the group: the small node does not fit (with the reason), the others pull, load and serve it', async () => {
  const deployed = await server.cliJson(['deploy', MODEL, '--to', 'group=clinical', '--name', 'stories',
                                         '--ctx', String(CTX), '--parallel', String(PARALLEL)]);
  assert.equal(deployed.name, 'stories');
  assert.equal(deployed.digest, storiesDigest);
  const big1 = nodes['big-1'];
  const big2 = nodes['big-2'];
  const small = nodes['small-1'];
  const d = await server.waitDeploymentStates('stories', {
    [big1.id]: 'ready', [big2.id]: 'ready', [small.id]: 'does_not_fit',
  });
  const smallState = d.nodes.find((n) => n.node_id === small.id);
  assert.equal(smallState.reason, `needs ${formatBytes(need)}, has ${formatBytes(small.reportMemory)}`);

  for (const node of [big1, big2]) {
    assert.equal(digestOfFile(node.blobPath(storiesDigest)), storiesDigest, 'the pulled blob is verified');
    const ids = await node.modelIds();
    assert.ok(ids.includes(MODEL), `${node.name} lists ${JSON.stringify(ids)}`);
    const chat = await client(node).chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 8,
    });
    assert.equal(chat.object, 'chat.completion');
    assert.ok(chat.usage.completion_tokens > 0 && chat.usage.completion_tokens <= 8);
    const completion = await client(node).completions.create({
      model: MODEL, prompt: 'Once upon a time', max_tokens: 12, temperature: 0,
    });
    const text = completion.choices[0].text;
    assert.ok(text.length > 10 && STORIES_GREEDY.startsWith(text), `the real stories260K answers: ${JSON.stringify(text)}`);
  }
  // Nothing was sent to the node that does not fit.
  assert.deepEqual(small.blobFiles(), []);
  assert.ok(!(await small.modelIds()).includes(MODEL));

  const shown = await server.node(big1.id);
  const model = shown.models.find((m) => m.digest === storiesDigest);
  assert.equal(model?.state, 'ready', JSON.stringify(shown.models));
  const listed = await server.cliJson(['deployments', 'ls']);
  assert.deepEqual(listed.data.map((x) => x.name), ['stories']);
  // A model the registry does not hold cannot be deployed.
  const missing = await server.cli(['deploy', 'nope:1', '--to', 'group=clinical']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /not found|no model/i);
});

test('a 25 MB model deployed by label reaches only the labelled node, which serves it', async () => {
  const file = path.join(modelDir(), `${TINY}.gguf`);
  const pushed = await server.cliJson(['models', 'push', file, '--name', 'tiny/llama3:q8']);
  const big1 = nodes['big-1'];
  await server.cliJson(['deploy', 'tiny/llama3:q8', '--to', 'site=ward-3', '--name', 'tiny', '--ctx', '256']);
  const d = await server.waitDeploymentStates('tiny', { [big1.id]: 'ready' });
  for (const other of [nodes['big-2'], nodes['small-1']]) {
    const entry = d.nodes.find((n) => n.node_id === other.id);
    assert.ok(!entry || !['ready', 'downloading', 'loading', 'verifying', 'pending'].includes(entry.state),
              `${other.name} is not targeted: ${JSON.stringify(entry)}`);
    assert.ok(!fs.existsSync(other.blobPath(pushed.digest)));
  }
  assert.equal(digestOfFile(big1.blobPath(pushed.digest)), pushed.digest);
  const chat = await client(big1).chat.completions.create({
    model: 'tiny/llama3:q8', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
    max_tokens: 3, temperature: 0,
  });
  assert.ok(chat.usage.prompt_tokens > 5, JSON.stringify(chat.usage));
  assert.ok(chat.usage.completion_tokens >= 1 && chat.usage.completion_tokens <= 3);

  assert.equal((await server.cli(['deployments', 'rm', 'tiny'])).code, 0);
  await waitFor(async () => !fs.existsSync(big1.blobPath(pushed.digest)) && !(await big1.modelIds()).includes('tiny/llama3:q8'),
                { what: 'the tiny model deleted on big-1' });
});

test('restart the server: nodes reconnect, deployments, registry and nodes intact', async () => {
  const beforeNodes = (await server.api('GET', '/v1/admin/nodes')).data;
  const beforeModels = (await server.api('GET', '/v1/registry/models')).data;
  const fingerprint = server.caSha256;
  const { code } = await server.stop();
  assert.equal(code, 0, server.proc.tail());
  await sleep(500);
  const restartedAt = Date.now();
  await server.restart();
  assert.equal(server.caSha256, fingerprint, 'the CA is kept');
  assert.equal(server.printedAdminKey, null, 'the admin key is printed on the first start only');

  assert.deepEqual((await server.api('GET', '/v1/registry/models')).data.map((m) => [m.ref, m.digest]),
                   beforeModels.map((m) => [m.ref, m.digest]));
  const afterNodes = (await server.api('GET', '/v1/admin/nodes')).data;
  assert.deepEqual(afterNodes.map((n) => [n.id, n.name, n.group, JSON.stringify(n.labels)]).sort(),
                   beforeNodes.map((n) => [n.id, n.name, n.group, JSON.stringify(n.labels)]).sort());
  await waitFor(async () => {
    for (const node of Object.values(nodes)) {
      const n = await server.node(node.id);
      if (n.status !== 'online' || n.last_seen_at < restartedAt) return false;
    }
    return true;
  }, { timeoutMs: 20_000, what: 'the nodes to reconnect' });
  const d = await server.waitDeploymentStates('stories', {
    [nodes['big-1'].id]: 'ready', [nodes['big-2'].id]: 'ready', [nodes['small-1'].id]: 'does_not_fit',
  });
  assert.equal(d.digest, storiesDigest);
  for (const node of [nodes['big-1'], nodes['big-2']]) {
    assert.ok(node.alive(), `${node.name} kept running`);
    const r = await client(node).completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 4, temperature: 0 });
    assert.ok(STORIES_GREEDY.startsWith(r.choices[0].text));
  }
});

test('a node killed -9 in the middle of a pull resumes from its partial file after the restart', async (t) => {
  // big-2 is throttled (SIGSTOP, then SIGCONT for a few ms, over and over) while it pulls a 7 MB
  // model, and killed -9 as soon as its <blob>.partial holds some bytes. The registry's copy of
  // those bytes is then damaged: a node that resumes (Range from the partial size) ends with a
  // verified blob, one that started over would fail the digest check.
  const node = nodes['big-2'];
  const bytes = fs.readFileSync(F16_FILE);
  const pushed = await server.cliJson(['models', 'push', F16_FILE, '--name', 'small/f16:v1']);
  const digest = pushed.digest;
  const final = node.blobPath(digest);
  const partial = `${final}.partial`;
  const hex = digest.slice(7);
  const serverBlob = `${server.dataDir}/server/blobs/sha256/${hex.slice(0, 2)}/${hex}`;
  const mode = fs.statSync(serverBlob).mode;

  const pid = node.proc.proc.pid;
  let held = 0;
  let state = null;
  try {
    process.kill(pid, 'SIGSTOP');
    try {
      await server.cliJson(['deploy', 'small/f16:v1', '--to', `nodes=${node.id}`, '--name', 'f16',
                            '--ctx', '128', '--parallel', '1']);
      const deadline = Date.now() + 20_000;
      for (let round = 1; Date.now() < deadline; round++) {
        process.kill(pid, 'SIGCONT');
        await sleep(2);
        process.kill(pid, 'SIGSTOP');
        await sleep(15);  // stopped: its files are still
        assert.ok(!fs.existsSync(final), 'the throttled pull finished before it could be cut');
        held = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
        if (held > 0) break;
        if (round % 20 === 0) {
          state = (await server.deployment('f16')).nodes.find((n) => n.node_id === node.id);
          if (state?.state === 'failed') break;
        }
      }
    } finally {
      await node.kill9();
    }
    assert.ok(held > 0 && held < bytes.length,
              `partial bytes at the kill: ${held} of ${bytes.length}; node state ${JSON.stringify(state)}`);
    assert.ok(fs.readFileSync(partial).equals(bytes.subarray(0, held)), 'the partial file holds the first bytes');
    t.diagnostic(`killed with ${held} of ${bytes.length} bytes in the partial file`);

    const damaged = Buffer.from(bytes);
    damaged[Math.floor(held / 2)] ^= 0xff;
    fs.chmodSync(serverBlob, 0o600);
    fs.writeFileSync(serverBlob, damaged);
    await node.launch();  // from its stored credential
    await server.waitDeploymentStates('f16', { [node.id]: 'ready' }, { timeoutMs: 30_000 });
    assert.ok(!fs.existsSync(partial), 'the partial file became the blob');
    assert.ok(fs.readFileSync(final).equals(bytes), 'the resumed blob is the pushed file');
    assert.ok((await node.modelIds()).includes('small/f16:v1'));
  } finally {
    fs.writeFileSync(serverBlob, bytes);
    fs.chmodSync(serverBlob, mode);
    if (!node.alive()) await node.launch();  // the later tests need big-2
    // Undeployed, the model goes from the node, partial file included.
    const removed = await server.cli(['deployments', 'rm', 'f16']);
    assert.equal(removed.code, 0, removed.stderr);
  }
  await waitFor(() => !fs.existsSync(final) && !fs.existsSync(partial),
                { what: 'the f16 model (and any partial file) deleted on big-2' });
  // The stories deployment is back on the restarted node too.
  await server.waitDeploymentStates('stories', { [node.id]: 'ready' });
});

test('remove the deployment: the nodes unload the model and delete its file', async () => {
  const removed = await server.cli(['deployments', 'rm', 'stories']);
  assert.equal(removed.code, 0, removed.stderr);
  for (const node of [nodes['big-1'], nodes['big-2']]) {
    await waitFor(async () => !(await node.modelIds()).includes(MODEL) && !fs.existsSync(node.blobPath(storiesDigest)),
                  { timeoutMs: 15_000, what: `${node.name} to unload and delete ${MODEL}` });
    assert.deepEqual(node.blobFiles().filter((f) => f.includes(storiesDigest.slice(7))), []);
    const r = await fetch(`${node.baseURL}/chat/completions`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    assert.equal(r.status, 404, 'the model is gone from the node');
  }
  await waitFor(async () => {
    const n = await server.node(nodes['big-1'].id);
    return !n.models.some((m) => m.digest === storiesDigest);
  }, { what: 'the node report without the model' });
  assert.equal((await server.request('GET', '/v1/admin/deployments/stories')).status, 404);
  // The nodes wrote nothing outside DIR/node.
  for (const node of Object.values(nodes)) assert.deepEqual(fs.readdirSync(node.dataDir), ['node']);
  // The registry keeps the model: only the deployment went.
  assert.equal((await server.request('GET', `/v1/registry/models/${MODEL}`)).status, 200);
});

test('revoke a connected node: cut off within 5 s, listed as revoked, its signed requests refused', async () => {
  const node = nodes['big-1'];
  const target = `/v1/registry/blobs/${storiesDigest}`;
  const ok = await server.nodeRequest(node.credential, 'GET', target, { headers: { Range: 'bytes=0-9' } });
  assert.equal(ok.status, 206, `a signed request works before: ${ok.text}`);
  // Signatures are checked: a stale timestamp, another method, or another node's key fail.
  const stale = await server.nodeRequest(node.credential, 'GET', target, { nowS: Math.floor(Date.now() / 1000) - 600 });
  assert.equal(stale.status, 401);
  const forged = await server.nodeRequest({ ...node.credential, private_key: nodes['big-2'].credential.private_key }, 'GET', target);
  assert.equal(forged.status, 401);

  const t0 = Date.now();
  const revoked = await server.cli(['nodes', 'revoke', node.id]);
  assert.equal(revoked.code, 0, revoked.stderr);
  await waitFor(async () => (await nodeStatus(node)) === 'revoked', { timeoutMs: 5000, intervalMs: 50, what: 'status revoked' });
  await node.proc.waitLine(/revoked/i, { timeoutMs: Math.max(1, 5000 - (Date.now() - t0)) });
  assert.ok(Date.now() - t0 <= 5000, `cut off after ${Date.now() - t0} ms`);
  // The node stops (it does not reconnect) and says why in its exit status.
  await waitFor(() => !node.alive(), { timeoutMs: 5000, what: 'the revoked node to stop' });
  assert.notEqual((await node.proc.exited).code, 0);

  const list = await server.cliJson(['nodes', 'ls']);
  assert.equal(list.data.find((n) => n.id === node.id).status, 'revoked');
  const refused = await server.nodeRequest(node.credential, 'GET', target);
  assert.equal(refused.status, 401, refused.text);
  const connect = await server.nodeRequest(node.credential, 'GET', '/v1/fleet/connect', {
    headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
               'Sec-WebSocket-Key': Buffer.alloc(16, 3).toString('base64') },
  });
  assert.equal(connect.status, 401, 'the fleet link is refused');
  // The other nodes are untouched.
  await sleep(1500);
  assert.equal(await nodeStatus(nodes['big-2']), 'online');
  assert.equal((await server.nodeRequest(nodes['big-2'].credential, 'GET', target, { headers: { Range: 'bytes=0-9' } })).status, 206);
});
