// Plans, usage and the audit log through a real `locai server` and the CLI (issue 6): the default
// organisation put on the Developer plan enrols its 2 nodes and the 3rd is refused with 402
// plan_limit_exceeded; `locai usage` and `locai plan show` report the plan; the admin actions are
// in the audit log, `locai audit verify` passes and `locai audit export` gives the records; a
// record edited in server/locai.db with the sqlite3 CLI (server stopped) makes verify exit 1
// naming that record's seq. Then, with the Developer plan's egress quota cut to 1 MB in the data
// directory's plans.json, a real `locai node` cannot download a 1.2 MB model: the registry refuses
// with 402 plan_limit_exceeded and the node gets nothing; prompt capture and audit retention are
// switched through the CLI and audited.
//
// The tests of this file run in order and share the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ControlServer, FleetNode, conformanceModel, digestOfFile, newNodeKey, sleep, tempDir,
} from './lib/fleet.mjs';
import { REPO_ROOT } from './lib/harness.mjs';

const STORIES_FILE = conformanceModel('stories260K');  // 1.2 MB
const EGRESS_LIMIT = 1_000_000;                        // the Developer plan's, overridden below

let server;
let node;

before(async () => {
  // The built-in catalog with a 1 MB egress quota on Developer (server/plans.json replaces it).
  const dataDir = path.join(tempDir('server'), 'data');
  const plans = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'src/control/metering/plans.json'), 'utf8'));
  plans.plans.find((p) => p.name === 'developer').max_egress_gb = EGRESS_LIMIT / 1e9;
  fs.mkdirSync(path.join(dataDir, 'server'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'server', 'plans.json'), JSON.stringify(plans, null, 2));
  server = await ControlServer.start({ dataDir });
});

after(async () => {
  const failures = [];
  if (node?.alive()) {
    const { code, signal } = await node.stop();
    if (signal !== null || code !== 0) failures.push(`node: code ${code} signal ${signal}\n${node.proc.tail()}`);
  }
  if (server) {
    const { code, signal } = await server.stop();
    if (signal !== null || code !== 0) failures.push(`server: code ${code} signal ${signal}\n${server.proc.tail()}`);
  }
  assert.deepEqual(failures, []);
});

function enroll(token, name) {
  return server.request('POST', '/v1/fleet/enroll', {
    key: null, body: { token, public_key: newNodeKey().public_key, name },
  });
}

async function auditRecords() {
  const r = await server.cli(['audit', 'export', '--since', '2020-01-01', '--format', 'jsonl']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

test('the Developer plan enrols 2 nodes and refuses the 3rd with 402 plan_limit_exceeded', async () => {
  const shown = await server.cliJson(['plan', 'show']);
  assert.equal(shown.plan, 'unlimited');
  const set = await server.cliJson(['plan', 'set', '--org', 'default', 'developer']);
  assert.equal(set.plan, 'developer');
  assert.equal(set.limits.nodes, 2);
  const bad = await server.cli(['plan', 'set', '--org', 'default', 'platinum']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no plan 'platinum'/);

  const token = await server.joinToken({ uses: 3 });
  assert.equal((await enroll(token, 'one')).status, 200);
  assert.equal((await enroll(token, 'two')).status, 200);
  const third = await enroll(token, 'three');
  assert.equal(third.status, 402, third.text);
  assert.equal(third.json.error.type, 'plan_limit_exceeded');
  assert.equal(third.json.error.code, 'plan_limit_exceeded');
  assert.match(third.json.error.message, /node limit/);
  const nodes = await server.api('GET', '/v1/admin/nodes');
  assert.deepEqual(nodes.data.map((n) => n.name).sort(), ['one', 'two']);

  const usage = await server.cliJson(['usage']);
  assert.equal(usage.plan.name, 'developer');
  assert.equal(usage.plan.limits.nodes, 2);
  assert.equal(usage.bill.currency, 'GBP');
  const text = await server.cli(['usage']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Developer/);
  const month = await server.cliJson(['usage', '--month', '2026-01']);
  assert.equal(month.month, '2026-01');
});

test('admin actions are audited; verify passes, then names a record edited in the database', async () => {
  const records = await auditRecords();
  const actions = records.map((r) => r.action);
  assert.ok(actions.includes('plan.update'), actions.join(','));
  assert.ok(actions.includes('join_token.create'), actions.join(','));
  assert.equal(actions.filter((a) => a === 'node.enroll').length, 2, actions.join(','));
  for (let i = 1; i < records.length; ++i) assert.equal(records[i].prev_hash, records[i - 1].hash);

  const ok = await server.cli(['audit', 'verify']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /audit log OK/);

  // Someone with the file edits the plan change (dropping the trigger that refuses it).
  const seq = records.find((r) => r.action === 'plan.update').seq;
  await server.stop();
  const db = path.join(server.dataDir, 'server', 'locai.db');
  execFileSync('sqlite3', [db,
    'DROP TRIGGER audit_records_no_update;' +
    `UPDATE audit_records SET content = replace(content, '"developer"', '"enterprise"') WHERE seq = ${seq};`]);
  await server.restart();
  const broken = await server.cli(['audit', 'verify']);
  assert.equal(broken.code, 1, broken.stdout + broken.stderr);
  assert.match(broken.stdout, new RegExp(`BROKEN: changed at seq ${seq}\\b`));
  const report = await server.cli(['audit', 'verify', '--json']);
  assert.equal(report.code, 1);
  assert.equal(JSON.parse(report.stdout).first_bad_seq, seq);
});

test('a model download past the Developer egress quota is refused with 402 and the node gets nothing', async () => {
  // Make room for a real node: revoke one of the two enrolled above.
  const listed = await server.api('GET', '/v1/admin/nodes');
  const two = listed.data.find((n) => n.name === 'two');
  assert.equal((await server.cli(['nodes', 'revoke', two.id])).code, 0);
  node = await FleetNode.start({ server, token: await server.joinToken({ uses: 1 }), name: 'ward' });

  const pushed = await server.cliJson(['models', 'push', STORIES_FILE, '--name', 'stories:260k']);
  assert.equal(pushed.digest, digestOfFile(STORIES_FILE));
  assert.ok(fs.statSync(STORIES_FILE).size > EGRESS_LIMIT);

  // The registry refuses the blob before sending a byte, naming the limit.
  const refused = await server.nodeRequest(node.credential, 'GET', `/v1/registry/blobs/${pushed.digest}`);
  assert.equal(refused.status, 402, refused.text);
  assert.equal(refused.json.error.code, 'plan_limit_exceeded');
  assert.match(refused.json.error.message, /egress/);

  // Deployed to the node: it never gets the model.
  await server.cliJson(['deploy', 'stories:260k', '--to', `nodes=${node.id}`, '--name', 'stories', '--ctx', '256']);
  for (let i = 0; i < 20; ++i) {
    const d = await server.deployment('stories');
    const entry = d.nodes.find((n) => n.node_id === node.id);
    assert.notEqual(entry?.state, 'ready', JSON.stringify(entry));
    await sleep(200);
  }
  assert.ok(!fs.existsSync(node.blobPath(pushed.digest)));
  assert.ok(!(await node.modelIds()).includes('stories:260k'));
  const usage = await server.cliJson(['usage']);
  assert.equal(usage.usage.egress_registry_bytes ?? 0, 0, JSON.stringify(usage.usage));
  assert.equal((await server.cli(['deployments', 'rm', 'stories'])).code, 0);
});

test('prompt capture and audit retention are switched through the CLI and audited', async () => {
  const shown = await server.cliJson(['audit', 'prompts', 'show']);
  assert.equal(shown.enabled, false);
  assert.equal(shown.retention_days, 30);
  const text = await server.cli(['audit', 'prompts']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /prompt capture for \S+: off \(captured text kept 30 days\)/);

  const on = await server.cliJson(['audit', 'prompts', 'on', '--retention-days', '7']);
  assert.equal(on.enabled, true);
  assert.equal(on.retention_days, 7);
  assert.equal((await server.cliJson(['audit', 'prompts', 'show'])).enabled, true);
  const off = await server.cliJson(['audit', 'prompts', 'off']);
  assert.equal(off.enabled, false);
  assert.equal(off.retention_days, 7);
  const bad = await server.cli(['audit', 'prompts', 'maybe']);
  assert.notEqual(bad.code, 0);

  assert.equal((await server.cliJson(['audit', 'retention'])).days, 365);
  assert.equal((await server.cliJson(['audit', 'retention', '--days', '90'])).days, 90);
  const tooLong = await server.cli(['audit', 'retention', '--days', '99999']);
  assert.equal(tooLong.code, 1, tooLong.stdout);
  assert.match(tooLong.stderr, /retention must be 1 to 36500 days/);

  const records = await auditRecords();
  const sets = records.filter((r) => r.action === 'audit.prompt_capture.set');
  assert.deepEqual(sets.map((r) => r.details.enabled), [true, false]);
  assert.equal(records.filter((r) => r.action === 'audit.retention.set').length, 1);

  // Survives a restart.
  await server.restart();
  assert.equal((await server.cliJson(['audit', 'retention'])).days, 90);
  assert.equal((await server.cliJson(['audit', 'prompts', 'show'])).retention_days, 7);
});
