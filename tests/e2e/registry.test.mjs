// The control plane's model registry through a real `locai server` (issue 4, "How it is checked"):
// push with the CLI, resumable raw uploads, Range pulls, bad input refused with a clear 4xx and
// nothing written outside the store, and a kill -9 in the middle of a push that leaves no partial
// blob or manifest behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TINY, modelDir } from './lib/harness.mjs';
import {
  ControlServer, Proc, runLocai, conformanceModel, digestOf, digestOfFile, listFiles, waitFor, sleep,
} from './lib/fleet.mjs';

const STORIES_FILE = conformanceModel('stories260K');  // 1.2 MB, a real model
const SMALL_FILE = conformanceModel('small-q8_0');     // 3.9 MB
const BIG_FILE = conformanceModel('small-f16');        // 7.2 MB

let server;
let root;

before(async () => {
  server = await ControlServer.start();
  root = path.dirname(server.dataDir);
});

after(async () => {
  if (!server) return;
  const { code, signal } = await server.stop();
  assert.equal(signal, null, `locai server ended by ${signal}:\n${server.proc.tail()}`);
  assert.equal(code, 0, `locai server exited ${code}:\n${server.proc.tail()}`);
});

// The OpenAI error shape with a message, and the status.
function assertError(r, status, messagePattern) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.ok(r.json && r.json.error && typeof r.json.error.message === 'string' && r.json.error.message.length > 0,
            `error body: ${r.text}`);
  if (messagePattern) assert.match(r.json.error.message, messagePattern);
}

// Every file under DATA/server/blobs is a complete, verified blob: sha256/ab/<64 hex> holding the
// bytes of that digest.
function assertBlobsVerified() {
  const blobsDir = path.join(server.dataDir, 'server', 'blobs');
  for (const rel of listFiles(blobsDir)) {
    const m = /^sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(rel);
    assert.ok(m && m[2].startsWith(m[1]), `unexpected file in the blob store: ${rel}`);
    assert.equal(digestOfFile(path.join(blobsDir, rel)), `sha256:${m[2]}`, `${rel} does not hold its digest`);
  }
}

// Nothing outside the data directory's server/ (and the temp root holds only the data directory).
function assertNothingOutsideStore() {
  assert.deepEqual(fs.readdirSync(root), ['data']);
  assert.deepEqual(fs.readdirSync(server.dataDir), ['server']);
  assertBlobsVerified();
}

async function startUpload(size) {
  const r = await server.request('POST', '/v1/registry/uploads', { body: { size } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.upload_id, /\S/);
  assert.equal(r.json.offset, 0);
  return r.json.upload_id;
}

function patch(id, offset, bytes, headers = {}) {
  const h = { 'Content-Type': 'application/octet-stream', ...headers };
  if (offset !== null) h['Upload-Offset'] = String(offset);
  return server.request('PATCH', `/v1/registry/uploads/${id}`, { body: bytes, headers: h });
}

test('server start: HTTPS with a generated CA, bootstrap admin key printed once and stored 0600', async () => {
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(server.printedAdminKey, server.adminKey, 'the first start prints the admin key it stored');
  assert.ok(server.printedFingerprint, `the CA fingerprint ${server.caSha256} is printed`);
  const mode = fs.statSync(path.join(server.dataDir, 'server', 'admin.key')).mode & 0o777;
  assert.equal(mode, 0o600);
  assert.equal((await server.request('GET', '/v1/registry/models', { key: null })).status, 401);
  assert.equal((await server.request('GET', '/v1/registry/models', { key: 'locai_nope_nope' })).status, 401);
  // The admin CLI pinned to another CA refuses to talk to this server.
  const pinned = await runLocai(['models', 'ls', '--server', server.url, '--api-key', server.adminKey,
                                 '--ca-sha256', 'ab'.repeat(32)], { env: { LOCAI_HOME: server.cliHome } });
  assert.notEqual(pinned.code, 0, pinned.stdout);
  assert.match(pinned.stderr, /certificate|fingerprint|verif|CA/i);
});

test('models push (CLI): manifest from the GGUF, blob stored under its digest, a second push uploads nothing', async () => {
  const digest = digestOfFile(STORIES_FILE);
  const pushed = await server.cliJson(['models', 'push', STORIES_FILE, '--name', 'stories:260k']);
  assert.equal(pushed.name, 'stories');
  assert.equal(pushed.tag, '260k');
  assert.equal(pushed.digest, digest);
  assert.equal(pushed.size, fs.statSync(STORIES_FILE).size);
  assert.equal(pushed.architecture, 'llama');
  assert.ok(pushed.parameters > 200_000 && pushed.parameters < 400_000, `parameters ${pushed.parameters}`);
  assert.ok(pushed.context_length > 0);
  for (const field of ['weights', 'kv_per_token', 'compute']) {
    assert.ok(Number.isInteger(pushed.memory[field]) && pushed.memory[field] > 0, `memory.${field}: ${JSON.stringify(pushed.memory)}`);
  }
  const hex = digest.slice(7);
  assert.ok(fs.existsSync(path.join(server.dataDir, 'server', 'blobs', 'sha256', hex.slice(0, 2), hex)));

  const again = await server.cli(['models', 'push', STORIES_FILE, '--name', 'stories:again', '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /already holds/);
  assert.equal(JSON.parse(again.stdout).digest, digest);

  const list = await server.cliJson(['models', 'ls']);
  assert.deepEqual(list.data.map((m) => m.ref).sort(), ['stories:260k', 'stories:again']);
  const shown = await server.api('GET', '/v1/registry/models/stories:260k');
  assert.equal(shown.digest, digest);
  assertNothingOutsideStore();
});

test('resumable upload: a cut-off chunk, GET offset, 409 on a wrong offset, continue, then pull with Range', async () => {
  const bytes = fs.readFileSync(SMALL_FILE);
  const half = 1 << 21;  // 2 MiB, then the rest
  const id = await startUpload(bytes.length);
  let r = await patch(id, 0, bytes.subarray(0, half));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.offset, half);

  // The next chunk is cut off half way (the client "crashes"): the server keeps what it verified.
  const { req, done } = server.openRequest('PATCH', `/v1/registry/uploads/${id}`, {
    headers: { 'Upload-Offset': String(half), 'Content-Length': String(bytes.length - half),
               'Content-Type': 'application/octet-stream' },
  });
  req.write(bytes.subarray(half, half + 500_000));
  await sleep(200);
  req.destroy();
  assert.ok((await done).error, 'the cut request has no answer');

  r = await server.request('GET', `/v1/registry/uploads/${id}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.upload_id, id);
  assert.equal(r.json.size, bytes.length);
  const offset = r.json.offset;
  assert.ok(offset >= half && offset <= half + 500_000, `resume offset ${offset}`);

  // A chunk at the wrong offset: 409 naming the offset to resume from (body and header).
  for (const wrong of [0, offset + 1]) {
    r = await patch(id, wrong, bytes.subarray(wrong, wrong + 1000));
    assertError(r, 409);
    assert.equal(r.json.offset, offset);
    assert.equal(r.headers['upload-offset'], String(offset));
  }
  // Finishing before every byte is there is refused and changes nothing.
  r = await server.request('PUT', `/v1/registry/uploads/${id}?digest=${digestOf(bytes)}`, { body: {} });
  assert.ok(r.status >= 400 && r.status < 500, `early finish: ${r.status} ${r.text}`);
  assert.equal((await server.request('GET', `/v1/registry/uploads/${id}`)).json.offset, offset);

  r = await patch(id, offset, bytes.subarray(offset));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.offset, bytes.length);
  const digest = digestOf(bytes);
  r = await server.request('PUT', `/v1/registry/uploads/${id}?digest=${digest}`, { body: {} });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual({ digest: r.json.digest, size: r.json.size }, { digest, size: bytes.length });

  const tagged = await server.api('POST', '/v1/registry/models', { body: { name: 'small/q8:v1', digest } });
  assert.equal(tagged.ref, 'small/q8:v1');
  assert.equal(tagged.quantization.toLowerCase().includes('q8'), true, `quantization ${tagged.quantization}`);

  // The bytes back, whole and by Range.
  r = await server.request('GET', `/v1/registry/blobs/${digest}`);
  assert.equal(r.status, 200);
  assert.ok(r.raw.equals(bytes), 'the blob is the pushed file');
  assert.equal(r.headers.etag?.replace(/"/g, ''), digest);
  r = await server.request('GET', `/v1/registry/blobs/${digest}`, { headers: { Range: 'bytes=1000-1999' } });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-range'], `bytes 1000-1999/${bytes.length}`);
  assert.ok(r.raw.equals(bytes.subarray(1000, 2000)));
  r = await server.request('GET', `/v1/registry/blobs/${digest}`, { headers: { Range: `bytes=${bytes.length}-` } });
  assert.equal(r.status, 416);
  assertNothingOutsideStore();
});

test('models push (CLI) killed -9 after its first chunk: the same push resumes at the server\'s offset', async () => {
  const file = path.join(modelDir(), `${TINY}.gguf`);
  const bytes = fs.readFileSync(file);
  const digest = digestOf(bytes);
  const stateFile = path.join(server.cliHome, 'cli', 'pushes', `${digest.slice(7)}.json`);
  const push = new Proc(['models', 'push', file, '--name', 'tiny/llama3:q8', '--server', server.url,
                         '--api-key', server.adminKey, '--ca-sha256', server.caSha256],
                        { env: { LOCAI_HOME: server.cliHome } });
  let offset = 0;
  try {
    offset = await waitFor(async () => {
      if (!push.alive()) throw new Error(`the push ended first:\n${push.tail()}`);
      if (!fs.existsSync(stateFile)) return 0;
      const id = JSON.parse(fs.readFileSync(stateFile, 'utf8')).upload_id;
      const r = await server.request('GET', `/v1/registry/uploads/${id}`);
      return r.status === 200 && r.json.offset > 0 ? r.json.offset : 0;
    }, { timeoutMs: 30_000, intervalMs: 5, what: 'the first chunk of the push' });
  } finally {
    await push.kill9();
  }
  assert.ok(offset > 0 && offset < bytes.length, `offset ${offset}`);
  assert.equal((await server.request('GET', `/v1/registry/models/tiny/llama3:q8`)).status, 404);

  const again = await server.cli(['models', 'push', file, '--name', 'tiny/llama3:q8', '--json']);
  assert.equal(again.code, 0, again.stderr);
  const m = /resuming upload \S+ at (.+)/.exec(again.stderr);
  assert.ok(m, `the second push resumes: ${again.stderr}`);
  assert.equal(JSON.parse(again.stdout).digest, digest);
  assert.ok(!fs.existsSync(stateFile), 'the push state is removed once the push is done');
  assertBlobsVerified();
});

test('a 25 MB model: pushed in chunks, pulled whole and by Range from the middle', async () => {
  // Larger than the server's per-connection write queue (8 MiB): the download must pace itself.
  const file = path.join(modelDir(), `${TINY}.gguf`);
  const bytes = fs.readFileSync(file);
  assert.ok(bytes.length > 20 << 20, `${file} is ${bytes.length} bytes`);
  const pushed = await server.cliJson(['models', 'push', file, '--name', 'tiny/llama3:q8']);
  assert.equal(pushed.digest, digestOf(bytes));
  assert.equal(pushed.size, bytes.length);
  const whole = await server.request('GET', `/v1/registry/blobs/${pushed.digest}`, { timeoutMs: 60_000 });
  assert.equal(whole.status, 200);
  assert.equal(whole.raw.length, bytes.length, 'the whole body arrives');
  assert.ok(whole.raw.equals(bytes));
  const from = 10_000_000;
  const tail = await server.request('GET', `/v1/registry/blobs/${pushed.digest}`, {
    headers: { Range: `bytes=${from}-` }, timeoutMs: 60_000 });
  assert.equal(tail.status, 206);
  assert.equal(tail.headers['content-range'], `bytes ${from}-${bytes.length - 1}/${bytes.length}`);
  assert.ok(tail.raw.equals(bytes.subarray(from)));
});

test('bad manifests: malformed JSON, bad digests, bad names, unknown blobs are 400/404', async () => {
  const digest = digestOfFile(STORIES_FILE);
  const raw = (body) => server.request('POST', '/v1/registry/models', {
    body, headers: { 'Content-Type': 'application/json' },
  });
  assertError(await raw('{"name": "x:1", "digest": '), 400);
  assertError(await raw('[1,2,3]'), 400);
  assertError(await raw(JSON.stringify({ name: 'x:1' })), 400);
  assertError(await raw(JSON.stringify({ name: 'x:1', digest: 42 })), 400);
  for (const bad of ['sha256:../../../../etc/passwd', `sha256:${digest.slice(7, 70)}`, `sha256:${digest.slice(7)}00`,
                     `sha256:${digest.slice(7).toUpperCase()}`, `md5:${digest.slice(7)}`, digest.slice(7),
                     `sha256:../${digest.slice(10)}`]) {
    assertError(await raw(JSON.stringify({ name: 'bad:digest', digest: bad })), 400);
  }
  for (const name of ['../evil:1', 'a/../b:1', 'UPPER:1', '/abs:1', 'ok:bad tag', 'ok:../x', 'x'.repeat(129) + ':1', ':1']) {
    assertError(await raw(JSON.stringify({ name, digest })), 400);
  }
  assertError(await raw(JSON.stringify({ name: 'nothing:here', digest: `sha256:${'0'.repeat(64)}` })), 404);
  assertError(await server.request('GET', '/v1/registry/models/nothing:here'), 404);
  assertError(await server.request('DELETE', '/v1/registry/models/nothing:here'), 404);
  const list = await server.api('GET', '/v1/registry/models');
  assert.ok(!list.data.some((m) => /bad|evil|nothing|upper/i.test(m.ref)), JSON.stringify(list.data.map((m) => m.ref)));
  assertNothingOutsideStore();
});

test('bad uploads: digests with ../ or the wrong length, bytes that do not match, non-GGUF bytes, oversized chunks, wrong offsets', async () => {
  const bytes = fs.readFileSync(STORIES_FILE);
  const before = listFiles(path.join(server.dataDir, 'server', 'blobs'));

  // Digest parameter refused before it is used as a path; the upload stays usable.
  let id = await startUpload(bytes.length);
  assert.equal((await patch(id, 0, bytes)).status, 200);
  for (const bad of ['sha256:../../../admin.key', 'sha256:..%2F..%2F..%2Fadmin.key', `sha256:${'a'.repeat(63)}`,
                     `sha256:${'a'.repeat(65)}`, 'sha256:', `SHA256:${'a'.repeat(64)}`, `sha256:${'g'.repeat(64)}`]) {
    assertError(await server.request('PUT', `/v1/registry/uploads/${id}?digest=${bad}`, { body: {} }), 400);
  }
  assertError(await server.request('PUT', `/v1/registry/uploads/${id}`, { body: {} }), 400);
  // Bytes that do not match their digest: 400, nothing published, the upload is gone.
  const wrongDigest = digestOf(Buffer.concat([bytes, Buffer.from('x')]));
  assertError(await server.request('PUT', `/v1/registry/uploads/${id}?digest=${wrongDigest}`, { body: {} }), 400, /match/);
  assert.equal((await server.request('GET', `/v1/registry/blobs/${wrongDigest}`)).status, 404);
  assertError(await server.request('GET', `/v1/registry/uploads/${id}`), 404);

  // Bytes that are not a GGUF model, with their right digest: refused, not published.
  const junk = Buffer.alloc(100_000, 7);
  id = await startUpload(junk.length);
  assert.equal((await patch(id, 0, junk)).status, 200);
  const r = await server.request('PUT', `/v1/registry/uploads/${id}?digest=${digestOf(junk)}`, { body: {} });
  assert.ok(r.status >= 400 && r.status < 500, `non-GGUF finish: ${r.status} ${r.text}`);
  assert.equal((await server.request('GET', `/v1/registry/blobs/${digestOf(junk)}`)).status, 404);

  // Chunks: over 16 MiB (413), no or a malformed Upload-Offset (400), past the declared size (400),
  // at a wrong offset (409); unknown upload ids (404).
  id = await startUpload(1000);
  assertError(await patch(id, 0, Buffer.alloc((16 << 20) + 1, 1)), 413);
  assertError(await patch(id, null, Buffer.alloc(10)), 400);
  assertError(await patch(id, '-5', Buffer.alloc(10)), 400);
  assertError(await patch(id, 'abc', Buffer.alloc(10)), 400);
  assertError(await patch(id, 0, Buffer.alloc(1001)), 400);
  assert.equal((await patch(id, 0, Buffer.alloc(10))).status, 200);
  assertError(await patch(id, 5, Buffer.alloc(10)), 409);
  assertError(await patch(id, 20, Buffer.alloc(10)), 409);
  assert.equal((await server.request('GET', `/v1/registry/uploads/${id}`)).json.offset, 10);
  assertError(await server.request('GET', '/v1/registry/uploads/up_doesnotexist'), 404);
  assertError(await patch('up_doesnotexist', 0, Buffer.alloc(10)), 404);
  for (const unknown of ['..%2F..%2Flocai.db', '..%2F..%2Fadmin.key', 'x'.repeat(300)]) {
    for (const r of [await server.request('GET', `/v1/registry/uploads/${unknown}`), await patch(unknown, 0, Buffer.alloc(10))]) {
      assert.ok(r.status === 400 || r.status === 404, `upload id ${unknown}: ${r.status} ${r.text}`);
      assert.ok(r.json?.error?.message, r.text);
    }
  }
  for (const size of [0, -1, 'big', 1e300]) {
    const s = await server.request('POST', '/v1/registry/uploads', { body: { size } });
    assertError(s, 400);
  }
  assertError(await server.request('POST', '/v1/registry/uploads', {
    body: '{"size":', headers: { 'Content-Type': 'application/json' } }), 400);

  // Blob downloads by a malformed digest: refused before the path is built.
  for (const bad of ['sha256:..%2F..%2Fadmin.key', 'sha256:abc', `sha256:${'a'.repeat(64)}%2F..`, '..%2F..%2Fadmin.key']) {
    const g = await server.request('GET', `/v1/registry/blobs/${bad}`);
    assert.ok(g.status === 400 || g.status === 404, `GET blob ${bad}: ${g.status}`);
    assert.ok(!g.text.includes(server.adminKey));
  }
  const traversal = await server.request('GET', '/v1/registry/blobs/../../admin.key');
  assert.ok(traversal.status >= 400 && traversal.status < 500, `literal ../: ${traversal.status}`);
  assert.ok(!traversal.text.includes(server.adminKey));

  assert.deepEqual(listFiles(path.join(server.dataDir, 'server', 'blobs')), before, 'no blob was published');
  assertNothingOutsideStore();
});

test('roles: an inference key may list models but not push or delete', async () => {
  const created = await server.cliJson(['keys', 'create', '--name', 'reader', '--role', 'inference']);
  const key = created.key;
  assert.match(key, /^locai_/);
  assert.equal((await server.request('GET', '/v1/registry/models', { key })).status, 200);
  assertError(await server.request('POST', '/v1/registry/uploads', { key, body: { size: 10 } }), 403);
  assertError(await server.request('DELETE', '/v1/registry/models/stories:again', { key }), 403);
  assert.equal((await server.request('GET', '/v1/registry/models/stories:again')).status, 200);
});

test('delete a tag: the blob goes when nothing references it any more', async () => {
  const digest = digestOfFile(SMALL_FILE);
  const hex = digest.slice(7);
  const file = path.join(server.dataDir, 'server', 'blobs', 'sha256', hex.slice(0, 2), hex);
  assert.ok(fs.existsSync(file));
  await server.api('POST', '/v1/registry/models', { body: { name: 'small/q8:v2', digest } });
  const rm1 = await server.cli(['models', 'rm', 'small/q8:v1']);
  assert.equal(rm1.code, 0, rm1.stderr);
  assert.ok(fs.existsSync(file), 'still referenced by small/q8:v2');
  const rm2 = await server.cli(['models', 'rm', 'small/q8:v2']);
  assert.equal(rm2.code, 0, rm2.stderr);
  await waitFor(() => !fs.existsSync(file), { timeoutMs: 5000, what: 'the unreferenced blob to be deleted' });
  assert.equal((await server.request('GET', `/v1/registry/blobs/${digest}`)).status, 404);
  assertNothingOutsideStore();
});

test('kill -9 during a push: after the restart no partial blob or manifest, and the push resumes', async () => {
  const bytes = fs.readFileSync(BIG_FILE);
  const digest = digestOf(bytes);
  const id = await startUpload(bytes.length);
  const first = 3 << 20;
  assert.equal((await patch(id, 0, bytes.subarray(0, first))).status, 200);

  // Half of the next chunk is on the wire when the server dies.
  const { req, done } = server.openRequest('PATCH', `/v1/registry/uploads/${id}`, {
    headers: { 'Upload-Offset': String(first), 'Content-Length': String(bytes.length - first),
               'Content-Type': 'application/octet-stream' },
  });
  req.write(bytes.subarray(first, first + (1 << 20)));
  await sleep(300);
  await server.kill9();
  assert.ok((await done).error, 'no answer from a killed server');

  await server.restart();
  assertBlobsVerified();
  assert.equal((await server.request('GET', `/v1/registry/blobs/${digest}`)).status, 404);
  const models = await server.api('GET', '/v1/registry/models');
  assert.ok(!models.data.some((m) => m.digest === digest), 'no manifest for the unfinished push');
  assert.ok(models.data.some((m) => m.ref === 'stories:260k'), 'earlier models survive');

  // The upload resumes where the server's durable bytes end, and completes.
  const r = await server.request('GET', `/v1/registry/uploads/${id}`);
  assert.equal(r.status, 200, r.text);
  const offset = r.json.offset;
  assert.ok(offset >= first && offset <= first + (1 << 20), `offset after restart ${offset}`);
  assert.equal((await patch(id, offset, bytes.subarray(offset))).status, 200);

  // The server dies again just after the finish request is sent: either the blob is complete and
  // verified or absent, never partial, and never tagged.
  const finishing = server.request('PUT', `/v1/registry/uploads/${id}?digest=${digest}`, { body: {} })
    .catch((e) => ({ error: e }));
  await sleep(20);
  await server.kill9();
  await finishing;
  await server.restart();
  assertBlobsVerified();
  assert.ok(!(await server.api('GET', '/v1/registry/models')).data.some((m) => m.digest === digest));

  // A CLI push of the same file ends the story: tagged, served, verified.
  const pushed = await server.cliJson(['models', 'push', BIG_FILE, '--name', 'small/f16:v1']);
  assert.equal(pushed.digest, digest);
  const blob = await server.request('GET', `/v1/registry/blobs/${digest}`);
  assert.equal(blob.status, 200);
  assert.ok(blob.raw.equals(bytes));
  assertNothingOutsideStore();
});
