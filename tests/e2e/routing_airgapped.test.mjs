// Air-gapped mode end to end (issue 5): `locai server --airgapped` with one real node. Configuring
// a cloud provider is refused (CLI and API) and so is a hybrid policy; requests still run on the
// node through the gateway; over the whole run the server's egress journal holds no connection at
// all and the node's only allowed ones to its control plane (`locai egress report` agrees).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ControlServer, FleetNode, conformanceModel, runLocai, tempDir } from './lib/fleet.mjs';
import {
  openaiClient, gatewayPost, createKey, serverEgress, nodeEgress, hostPort,
} from './lib/gateway.mjs';

const STORIES = 'stories:260k';

let server;
let node;
let key;

before(async () => {
  server = await ControlServer.start({ args: ['--airgapped'] });
  await server.cliJson(['models', 'push', conformanceModel('stories260K'), '--name', STORIES]);
  const token = await server.joinToken();
  node = await FleetNode.start({ server, token, name: 'gapped-1', reportMemory: 8_000_000_000 });
  await server.cliJson(['deploy', STORIES, '--to', 'group=default', '--name', 'stories', '--ctx', '256']);
  await server.waitDeploymentStates('stories', { [node.id]: 'ready' }, { timeoutMs: 60_000 });
  key = await createKey(server, 'gapped');
});

after(async () => {
  if (node) await node.stop();
  if (server) {
    const { code, signal } = await server.stop();
    assert.equal(signal, null, server.proc.tail());
    assert.equal(code, 0, server.proc.tail());
  }
});

test('an air-gapped server refuses a cloud provider and a hybrid policy, by CLI and API', async () => {
  const keyFile = path.join(tempDir('gapped-key'), 'openai.key');
  fs.writeFileSync(keyFile, 'sk-test\n', { mode: 0o600 });
  const cli = await server.cli(['providers', 'add', 'openai', '--kind', 'openai',
                                '--base-url', 'https://api.openai.com/v1', '--api-key-file', keyFile]);
  assert.notEqual(cli.code, 0, cli.stdout);
  assert.match(cli.stderr + cli.stdout, /air-?gapped/i);
  const api = await server.request('POST', '/v1/admin/providers', {
    body: { name: 'openai', kind: 'openai', base_url: 'https://api.openai.com/v1', api_key: 'sk-test' },
  });
  assert.ok([403, 409].includes(api.status), `${api.status} ${api.text}`);
  assert.match(api.json?.error?.message ?? '', /air-?gapped/i);
  assert.ok(!api.text.includes('sk-test'), 'the key is not echoed');
  const listed = await server.api('GET', '/v1/admin/providers');
  assert.deepEqual(listed.data ?? listed, []);

  const hybrid = await server.request('PUT', '/v1/admin/policy', {
    body: { policy: 'hybrid', max_queue_wait_ms: 1000, cloud_models: { [STORIES]: 'openai/gpt-4o-mini' }, pii_action: 'block' },
  });
  assert.ok([400, 403, 409].includes(hybrid.status), `${hybrid.status} ${hybrid.text}`);
  assert.match(hybrid.json?.error?.message ?? '', /air-?gapped/i);
  const policy = await server.api('GET', '/v1/admin/policy');
  assert.equal(policy.airgapped, true, JSON.stringify(policy));
  assert.notEqual(policy.policy, 'hybrid');
  const shown = await server.cli(['policy', 'show']);
  assert.equal(shown.code, 0, shown.stderr);
});

test('requests run on the node through the gateway; /v1/models lists no cloud model', async () => {
  const openai = openaiClient(server, key.key);
  const ids = (await openai.models.list()).data.map((m) => m.id);
  assert.deepEqual(ids, [STORIES]);
  const { data, response } = await openai.chat.completions.create({
    model: STORIES, max_tokens: 4, messages: [{ role: 'user', content: 'Hello' }],
  }).withResponse();
  assert.equal(response.headers.get('x-locai-route'), 'node');
  assert.equal(response.headers.get('x-locai-route-target'), node.id);
  assert.equal(data.usage.completion_tokens, 4);
  const unknown = await gatewayPost(server, '/v1/chat/completions', {
    model: 'gpt-4o-mini', max_tokens: 4, messages: [{ role: 'user', content: 'x' }],
  }, { key: key.key });
  assert.equal(unknown.status, 404, unknown.text);
});

test('egress of the whole run: nothing from the server, the node only to its control plane', async () => {
  assert.deepEqual(serverEgress(server), [], 'the air-gapped server opened no outbound connection');
  const journal = nodeEgress(node);
  assert.ok(journal.length > 0, 'the node journalled its connections');
  for (const e of journal) {
    assert.equal(`${e.host}:${e.port}`, hostPort(server.url), JSON.stringify(e));
    assert.equal(e.allowed, true, JSON.stringify(e));
  }
  const fromServer = await runLocai(['egress', 'report', '--data', server.dataDir]);
  assert.equal(fromServer.code, 0, fromServer.stderr);
  assert.match(fromServer.stdout, /no outbound connection was attempted/, fromServer.stdout);
  const fromNode = await runLocai(['egress', 'report', '--data', node.dataDir]);
  assert.equal(fromNode.code, 0, fromNode.stderr);
  assert.match(fromNode.stdout, /total: allowed [1-9]\d*, denied 0, failed 0/, fromNode.stdout);
  const json = await runLocai(['egress', 'report', '--data', node.dataDir, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.ok(json.stdout.includes(hostPort(server.url).split(':')[1]), json.stdout);
  assert.ok(!json.stdout.includes('api.openai.com'));
});
