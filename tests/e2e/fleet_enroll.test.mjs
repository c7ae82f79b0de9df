// Enrolment through a real `locai server` (issue 4, "How it is checked"): a one-use join token
// used twice at the same moment lets exactly one node in (two `locai node --join` processes, and
// a burst of raw enrolments); a node given the wrong CA fingerprint refuses to enrol (and the token
// stays unused); expired, revoked, malformed and forged tokens are refused with a clear 4xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ControlServer, FleetNode, newNodeKey, tempDir, sleep } from './lib/fleet.mjs';

let server;
const started = [];

before(async () => { server = await ControlServer.start(); });

after(async () => {
  const failures = [];
  for (const node of started) {
    if (!node.alive()) continue;
    const { code, signal } = await node.stop();
    if (signal !== null || code !== 0) failures.push(`node ${node.name}: code ${code} signal ${signal}`);
  }
  if (server) {
    const { code, signal } = await server.stop();
    if (signal !== null || code !== 0) failures.push(`server: code ${code} signal ${signal}\n${server.proc.tail()}`);
  }
  assert.deepEqual(failures, []);
});

async function nodeNames() {
  return (await server.api('GET', '/v1/admin/nodes')).data.map((n) => n.name).sort();
}

function enroll(token, name, key = newNodeKey()) {
  return server.request('POST', '/v1/fleet/enroll', { key: null, body: { token, public_key: key.public_key, name } });
}

function assertRefused(r, status, pattern) {
  assert.equal(r.status, status, r.text);
  assert.ok(typeof r.json?.error?.message === 'string', r.text);
  if (pattern) assert.match(r.json.error.message, pattern);
}

// Starts `locai node --join` expecting it to fail: resolves with its output once it exited.
async function failedJoin({ token, name, url = server.url }) {
  const dataDir = tempDir('node');
  const node = new FleetNode(dataDir, name, 4_000_000_000, []);
  let error = null;
  try {
    await node.launch({ server: { url }, token, startTimeoutMs: 30_000 });
  } catch (e) {
    error = e;
  }
  if (!error) started.push(node);
  assert.ok(error, `locai node --join with ${name} should have failed`);
  const { code } = await node.proc.exited;
  assert.notEqual(code, 0, 'a refused enrolment exits with an error status');
  assert.ok(!fs.existsSync(path.join(dataDir, 'node', 'credential.json')), 'no credential is written');
  return node.proc.output;
}

test('a one-use token given to two nodes at the same moment lets exactly one in', async () => {
  const token = await server.joinToken({ group: 'race', uses: 1 });
  const results = await Promise.allSettled(['racer-a', 'racer-b'].map((name) =>
    FleetNode.start({ server, token, name, reportMemory: 4_000_000_000, startTimeoutMs: 30_000 })));
  const joined = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  started.push(...joined);
  assert.equal(joined.length, 1, `exactly one node enrolled: ${results.map((r) => r.status)}`);
  const loser = results.find((r) => r.status === 'rejected');
  assert.match(loser.reason.message, /token|401|unauth|used/i);
  const names = await nodeNames();
  assert.deepEqual(names, [joined[0].name]);

  // The same with twelve raw enrolments racing for one use.
  const token2 = await server.joinToken({ group: 'race', uses: 1 });
  const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => enroll(token2, `burst-${i}`)));
  const ok = burst.filter((r) => r.status === 200);
  assert.equal(ok.length, 1, burst.map((r) => r.status).join(','));
  assert.match(ok[0].json.node_id, /^n_/);
  assert.equal(ok[0].json.group, 'race');
  for (const r of burst.filter((x) => x.status !== 200)) assertRefused(r, 401);
  assert.equal((await nodeNames()).filter((n) => n.startsWith('burst-')).length, 1);

  // A token with three uses lets three of a burst in.
  const token3 = await server.joinToken({ group: 'race', uses: 3 });
  const burst3 = await Promise.all(Array.from({ length: 8 }, (_, i) => enroll(token3, `three-${i}`)));
  assert.equal(burst3.filter((r) => r.status === 200).length, 3, burst3.map((r) => r.status).join(','));
});

test('a node given the wrong CA fingerprint refuses to enrol, and the token stays unused', async () => {
  const token = await server.joinToken({ group: 'pinned', uses: 1 });
  const parts = token.split('.');
  const wrongFp = parts[3].replace(/^./, (c) => (c === '0' ? '1' : '0'));
  const wrong = [...parts.slice(0, 3), wrongFp].join('.');
  const output = await failedJoin({ token: wrong, name: 'wrong-ca' });
  assert.match(output, /fingerprint|certificate|CA|verify/i);

  // A fingerprint that is not 64 hex characters is refused before any connection.
  await failedJoin({ token: [...parts.slice(0, 3), 'abc'].join('.'), name: 'short-ca' });

  assert.ok(!(await nodeNames()).includes('wrong-ca'));
  const tokens = await server.cliJson(['nodes', 'token', 'ls']);
  const id = parts[1];
  const entry = tokens.data.find((t) => t.id === id || id.endsWith(t.id) || t.id.endsWith(id));
  assert.ok(entry, `token ${id} listed: ${JSON.stringify(tokens.data)}`);
  assert.equal(entry.uses_left, 1, 'the refused enrolment did not use the token');

  // The right fingerprint enrols with the same token.
  const node = await FleetNode.start({ server, token, name: 'right-ca', reportMemory: 4_000_000_000 });
  started.push(node);
  assert.equal(node.credential.ca_sha256, server.caSha256);
  assert.ok((await nodeNames()).includes('right-ca'));
});

test('expired, revoked, malformed and forged join tokens are refused with a clear 4xx', async () => {
  // Expired.
  const shortLived = await server.joinToken({ group: 'x', uses: 5, ttl: '1s' });
  await sleep(2100);
  assertRefused(await enroll(shortLived, 'late'), 401, /expired/i);
  const output = await failedJoin({ token: shortLived, name: 'late-node' });
  assert.match(output, /expired|401|unauth/i);

  // Revoked.
  const revokedToken = await server.joinToken({ group: 'x', uses: 5 });
  const revoke = await server.cli(['nodes', 'token', 'revoke', revokedToken.split('.')[1]]);
  assert.equal(revoke.code, 0, revoke.stderr);
  assertRefused(await enroll(revokedToken, 'after-revoke'), 401);

  // Right id, wrong secret; unknown id; malformed.
  const good = await server.joinToken({ group: 'x', uses: 5 });
  const p = good.split('.');
  const forgedSecret = [p[0], p[1], p[2].replace(/^./, (c) => (c === 'a' ? 'b' : 'a')), p[3]].join('.');
  assertRefused(await enroll(forgedSecret, 'forged'), 401);
  const unknownId = [p[0], `${p[1]}zz`, p[2], p[3]].join('.');
  assert.equal((await enroll(unknownId, 'unknown')).status, 401);
  for (const bad of ['', 'garbage', 'locaijoin.', 'locaijoin.a.b', `locaijoin..${p[2]}.${p[3]}`, `${good}.extra`]) {
    const r = await enroll(bad, 'malformed');
    assert.ok(r.status === 400 || r.status === 401, `token ${JSON.stringify(bad)}: ${r.status} ${r.text}`);
  }
  // Bad bodies.
  const raw = (body) => server.request('POST', '/v1/fleet/enroll', {
    key: null, body, headers: { 'Content-Type': 'application/json' } });
  assertRefused(await raw('{"token":'), 400);
  assertRefused(await raw(JSON.stringify({ token: good })), 400);
  assertRefused(await raw(JSON.stringify({ token: good, public_key: 'not base64!' })), 400);
  assertRefused(await raw(JSON.stringify({ token: good, public_key: Buffer.alloc(31).toString('base64') })), 400);
  assertRefused(await raw(JSON.stringify({ token: good, public_key: Buffer.alloc(32, 2).toString('base64'), name: 'a\nb' })), 400);

  const names = await nodeNames();
  for (const n of ['late', 'late-node', 'after-revoke', 'forged', 'unknown', 'malformed']) {
    assert.ok(!names.includes(n), `${n} must not be enrolled`);
  }
  // The good token still has all its uses.
  const entry = (await server.cliJson(['nodes', 'token', 'ls'])).data.find((t) => t.id === p[1]);
  assert.equal(entry?.uses_left, 5, JSON.stringify(entry));
});
