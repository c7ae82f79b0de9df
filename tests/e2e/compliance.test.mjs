// Plans, usage and the audit log through a real `locai server` and the CLI (issue 6): the default
// organisation put on the Developer plan enrols its 2 nodes and the 3rd is refused with 402
// plan_limit_exceeded; `locai usage` and `locai plan show` report the plan; the admin actions are
// in the audit log, `locai audit verify` passes and `locai audit export` gives the records; a
// record edited in server/locai.db with the sqlite3 CLI (server stopped) makes verify exit 1
// naming that record's seq.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ControlServer, newNodeKey } from './lib/fleet.mjs';

let server;

before(async () => { server = await ControlServer.start(); });

after(async () => {
  if (!server) return;
  const { code, signal } = await server.stop();
  assert.equal(signal, null, server.proc.tail());
  assert.equal(code, 0, server.proc.tail());
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
