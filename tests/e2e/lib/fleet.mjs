// Control-plane harness for the fleet and registry end-to-end tests: a real `locai server`
// (HTTPS with its generated CA, on a loopback port picked here so that a restart finds it again),
// real `locai node --join` processes, the admin CLI, and the raw API with the CA pinned from
// DIR/server/tls/ca.pem. Nodes' signed requests are made here with the node's own credential
// (docs/control-plane.md, "Authentication").
//
// Every process started here is SIGKILLed when the test process exits; stop() ends one with
// SIGTERM (SIGKILL after 10 s) and kill9() with SIGKILL.
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { locaiBin, conformanceDir, sleep } from './harness.mjs';

export { sleep };

const running = new Set();
process.on('exit', () => { for (const p of running) p.kill('SIGKILL'); });

// A temporary directory removed when the test process exits.
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `locai-e2e-${prefix}-`));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A free loopback TCP port (closed again before it is returned).
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Polls `fn` (sync or async) until it returns a truthy value, which is returned. A throw counts
// as "not yet"; the last one is reported when `timeoutMs` passes.
export async function waitFor(fn, { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = null;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
                      (last ? `: ${last.message ?? last}` : ''));
    }
    await sleep(intervalMs);
  }
}

// "sha256:<hex>" of a buffer or a file.
export function digestOf(bytes) {
  return `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
}
export function digestOfFile(file) { return digestOf(fs.readFileSync(file)); }

// Every regular file under `dir` (relative paths, sorted); [] when `dir` does not exist.
export function listFiles(dir) {
  const out = [];
  const walk = (d, rel) => {
    let entries;
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

// A conformance model file (models/NAME.gguf).
export function conformanceModel(name) {
  return path.join(conformanceDir(), 'models', `${name}.gguf`);
}

// A spawned locai process whose stdout and stderr lines are kept.
export class Proc {
  constructor(args, { env } = {}) {
    this.args = args;
    this.lines = [];   // stdout and stderr lines, in arrival order per stream
    this.output = '';  // everything, for failure messages
    this.proc = spawn(locaiBin(), args, {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(env ?? {}) },
    });
    running.add(this.proc);
    this.waiters = [];
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => {
      running.delete(this.proc);
      resolve({ code, signal });
      for (const w of this.waiters) w.check();
    }));
    this.proc.on('error', (e) => { this.output += `\nspawn error: ${e.message}`; });
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (d) => {
        this.output += d;
        if (this.output.length > 4 << 20) this.output = this.output.slice(-(2 << 20));
        buffered += d;
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          this.lines.push(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
        for (const w of this.waiters) w.check();
      });
    }
  }

  alive() { return this.proc.exitCode === null && this.proc.signalCode === null; }

  tail(n = 3000) { return this.output.slice(-n); }

  // Resolves with the first match of `regex` in an output line (earlier lines included); rejects
  // when the process exits first or `timeoutMs` passes.
  waitLine(regex, { timeoutMs = 30_000 } = {}) {
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          for (const line of this.lines) {
            const m = regex.exec(line);
            if (m) return done(null, m);
          }
          if (!this.alive()) done(new Error(`locai ${this.args.join(' ')} exited before printing ${regex}`));
        },
      };
      const timer = setTimeout(() => done(new Error(`no line ${regex} within ${timeoutMs} ms`)), timeoutMs);
      const done = (error, match) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        if (error) reject(new Error(`${error.message}\noutput (tail):\n${this.tail()}`));
        else resolve(match);
      };
      this.waiters.push(waiter);
      waiter.check();
    });
  }

  async stop() {
    if (!this.alive()) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  async kill9() {
    if (this.alive()) this.proc.kill('SIGKILL');
    return this.exited;
  }
}

// Runs `locai ARGS...` without blocking the event loop: {code, stdout, stderr}.
export function runLocai(args, { timeoutMs = 120_000, env } = {}) {
  return new Promise((resolve) => {
    execFile(locaiBin(), args, {
      encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, ...(env ?? {}) },
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

// One HTTPS request to `base` ("https://HOST:PORT") for `target` (sent as is, "../" included),
// trusting only `caPem`: {status, headers, text, json, raw}. `body` may be a Buffer, a string or a
// JSON value. A fresh connection per request (no agent), so that nothing outlives a server restart.
export function httpsRequest(base, target, { method = 'GET', body, headers = {}, caPem, timeoutMs = 30_000 } = {}) {
  const url = `${base}${target}`;
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let payload = null;
    const h = { ...headers };
    if (body !== undefined && body !== null) {
      if (Buffer.isBuffer(body)) payload = body;
      else if (typeof body === 'string') payload = Buffer.from(body);
      else {
        payload = Buffer.from(JSON.stringify(body));
        if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
      }
      h['Content-Length'] = String(payload.length);
    }
    const req = https.request({
      host: hostname.replace(/^\[|\]$/g, ''), port, path: target, method, headers: h, ca: caPem,
      servername: net.isIP(hostname) ? undefined : hostname, agent: false, timeout: timeoutMs,
    }, (res) => {
      const chunks = [];
      let received = 0;
      res.on('data', (d) => { chunks.push(d); received += d.length; });
      res.on('aborted', () => reject(new Error(
        `${method} ${url}: HTTP ${res.statusCode}, the body was cut off after ${received} bytes` +
        ` (content-length ${res.headers['content-length'] ?? 'none'})`)));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, text, json, raw });
      });
      res.on('error', (e) => reject(new Error(`${method} ${url}: ${e.message} after ${received} bytes`)));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

// Signature headers of a node request (docs/control-plane.md): Ed25519 over
// "locai-node-v1\n" METHOD "\n" TARGET "\n" TIMESTAMP with the credential's private key.
export function signedHeaders(credential, method, target, nowS = Math.floor(Date.now() / 1000)) {
  const seed = Buffer.from(credential.private_key, 'base64');
  const key = crypto.createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der', type: 'pkcs8',
  });
  const signature = crypto.sign(null, Buffer.from(`locai-node-v1\n${method}\n${target}\n${nowS}`), key);
  return {
    'X-Locai-Node-Id': credential.node_id,
    'X-Locai-Timestamp': String(nowS),
    'X-Locai-Signature': signature.toString('base64'),
  };
}

// A fresh Ed25519 key pair: {private_key (base64 seed), public_key (base64 raw 32 bytes)}.
export function newNodeKey() {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    private_key: Buffer.from(jwk.d, 'base64url').toString('base64'),
    public_key: Buffer.from(jwk.x, 'base64url').toString('base64'),
  };
}

// The SHA-256 fingerprint (64 lowercase hex) of a PEM certificate.
export function pemFingerprint(pem) {
  return new crypto.X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
}

const URL_LINE = /(https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+)/;
const ADMIN_KEY = /(locai_[A-Za-z0-9]+_[A-Za-z0-9]+)/;

// A running `locai server`. Fields: dataDir, port, url ("https://127.0.0.1:PORT"), caPem,
// caSha256, adminKey, printedAdminKey (the key printed at this start, or null), proc.
export class ControlServer {
  // The data directory is DIR/data of a fresh temp DIR unless given.
  static async start({ dataDir, port, args = [], startTimeoutMs = 60_000 } = {}) {
    const server = new ControlServer(dataDir ?? path.join(tempDir('server'), 'data'),
                                     port ?? await freePort(), args);
    await server.#launch(startTimeoutMs);
    return server;
  }

  constructor(dataDir, port, args) {
    this.dataDir = dataDir;
    this.port = port;
    this.extraArgs = args;
    this.proc = null;
    this.cliHome = tempDir('cli');  // LOCAI_HOME of the CLI (where `models push` keeps its state)
  }

  async #launch(timeoutMs) {
    this.proc = new Proc(['server', '--data', this.dataDir, '--port', String(this.port), ...this.extraArgs]);
    const m = await this.proc.waitLine(URL_LINE, { timeoutMs });
    this.url = m[1].replace('localhost', '127.0.0.1');
    this.caPem = fs.readFileSync(path.join(this.dataDir, 'server', 'tls', 'ca.pem'), 'utf8');
    this.caSha256 = pemFingerprint(this.caPem);
    this.adminKey = fs.readFileSync(path.join(this.dataDir, 'server', 'admin.key'), 'utf8').trim();
    await waitFor(async () => (await this.request('GET', '/health', { key: null })).status === 200,
                  { timeoutMs, what: `${this.url}/health` });
    const printed = this.proc.lines.map((l) => ADMIN_KEY.exec(l)).find((x) => x);
    this.printedAdminKey = printed ? printed[1] : null;
    this.printedFingerprint = this.proc.lines.some((l) => l.toLowerCase().includes(this.caSha256));
  }

  // Starts the server again on the same data directory and port (after stop() or kill9()).
  async restart({ timeoutMs = 60_000 } = {}) {
    if (this.proc?.alive()) await this.proc.stop();
    await this.#launch(timeoutMs);
  }

  stop() { return this.proc.stop(); }
  kill9() { return this.proc.kill9(); }

  // An API request with `key` (default: the admin key; null: none) as Bearer.
  request(method, target, { body, headers = {}, key = this.adminKey, timeoutMs } = {}) {
    const h = { ...headers };
    if (key) h.Authorization = `Bearer ${key}`;
    return httpsRequest(this.url, target, { method, body, headers: h, caPem: this.caPem, timeoutMs });
  }

  // Starts a request whose body the caller writes (req.write / req.destroy), e.g. to cut it off
  // half way: {req, done}, `done` resolving with {status, text} or {error}.
  openRequest(method, target, { headers = {}, key = this.adminKey } = {}) {
    const h = { ...headers };
    if (key) h.Authorization = `Bearer ${key}`;
    const { hostname, port } = new URL(this.url);
    const req = https.request({ host: hostname, port, path: target, method, headers: h, ca: this.caPem, agent: false });
    const done = new Promise((resolve) => {
      req.on('error', (error) => resolve({ error }));
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, text }));
        res.on('error', (error) => resolve({ error }));
      });
    });
    return { req, done };
  }

  // A request signed with a node credential ({node_id, private_key}).
  nodeRequest(credential, method, target, { body, headers = {}, nowS } = {}) {
    return httpsRequest(this.url, target, {
      method, body, caPem: this.caPem, headers: { ...headers, ...signedHeaders(credential, method, target, nowS) },
    });
  }

  // The JSON of a 2xx answer; throws with the status and body otherwise.
  async api(method, target, options = {}) {
    const r = await this.request(method, target, options);
    if (r.status < 200 || r.status > 299) {
      throw new Error(`${method} ${target}: HTTP ${r.status} ${r.text.slice(0, 500)}`);
    }
    return r.json;
  }

  // `locai ARGS... --server URL --api-key KEY --ca-sha256 FP`: {code, stdout, stderr}.
  cli(args, { key = this.adminKey, timeoutMs } = {}) {
    return runLocai([...args, '--server', this.url, '--api-key', key, '--ca-sha256', this.caSha256],
                    { timeoutMs, env: { LOCAI_HOME: this.cliHome } });
  }

  // As cli() with --json; returns the parsed stdout, throws when the command failed.
  async cliJson(args, options = {}) {
    const r = await this.cli([...args, '--json'], options);
    if (r.code !== 0) throw new Error(`locai ${args.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout);
  }

  // A join token string for `group` (uses, ttl as `locai nodes token create` takes them).
  async joinToken({ group = 'default', uses = 1, ttl = '15m' } = {}) {
    const r = await this.cli(['nodes', 'token', 'create', '--group', group, '--uses', String(uses), '--ttl', ttl]);
    if (r.code !== 0) throw new Error(`nodes token create: exit ${r.code}\n${r.stderr}`);
    const m = /(locaijoin\.\S+)/.exec(r.stdout);
    if (!m) throw new Error(`nodes token create printed no token: ${r.stdout}`);
    return m[1];
  }

  // GET /v1/admin/nodes/{id} (null when absent).
  async node(id) {
    const r = await this.request('GET', `/v1/admin/nodes/${id}`);
    return r.status === 200 ? r.json : null;
  }

  // GET /v1/admin/deployments/{idOrName}.
  deployment(idOrName) { return this.api('GET', `/v1/admin/deployments/${encodeURIComponent(idOrName)}`); }

  // Resolves with the deployment once each node of `expected` ({node_id: state}) is in that
  // state; rejects at once when one of them is `failed` instead (with its reason).
  async waitDeploymentStates(idOrName, expected, { timeoutMs = 30_000 } = {}) {
    let last = null;
    let failed = null;
    try {
      return await waitFor(async () => {
        last = await this.deployment(idOrName);
        let all = true;
        for (const [nodeId, state] of Object.entries(expected)) {
          const entry = last.nodes.find((n) => n.node_id === nodeId);
          if (entry?.state === 'failed' && state !== 'failed') failed = entry;
          if (!entry || entry.state !== state) all = false;
        }
        return all || failed ? last : false;
      }, { timeoutMs, what: `deployment ${idOrName} states ${JSON.stringify(expected)}` })
        .then((d) => {
          if (failed) throw new Error(`node ${failed.node_name} failed: ${failed.reason}`);
          return d;
        });
    } catch (e) {
      throw new Error(`${e.message}\nlast: ${JSON.stringify(last?.nodes)}`);
    }
  }
}

const LISTENING = /^locai node listening on (http:\/\/\S+)\s*$/;

// A running `locai node` joined to a control plane. Fields: dataDir, name, url, baseURL, proc.
export class FleetNode {
  // Enrols with `token` (omit it to start from the stored credential).
  static async start({ server, token, dataDir = tempDir('node'), name, reportMemory, args = [],
                       startTimeoutMs = 60_000 } = {}) {
    const node = new FleetNode(dataDir, name, reportMemory, args);
    await node.launch({ server, token, startTimeoutMs });
    return node;
  }

  constructor(dataDir, name, reportMemory, args) {
    this.dataDir = dataDir;
    this.name = name;
    this.reportMemory = reportMemory;
    this.extraArgs = args;
  }

  // Starts the process (again); with `token` it enrols first.
  async launch({ server, token, startTimeoutMs = 60_000 } = {}) {
    const args = ['node', '--data', this.dataDir, '--port', '0'];
    if (token) args.push('--join', server.url, '--token', token);
    if (this.name) args.push('--name', this.name);
    if (this.reportMemory) args.push('--report-memory', String(this.reportMemory));
    this.proc = new Proc([...args, ...this.extraArgs]);
    const m = await this.proc.waitLine(LISTENING, { timeoutMs: startTimeoutMs });
    this.url = m[1].replace(/\/$/, '');
    this.baseURL = `${this.url}/v1`;
    const file = path.join(this.dataDir, 'node', 'credential.json');
    this.credential = await waitFor(() => {
      if (!this.proc.alive()) throw new Error(`the node exited:\n${this.proc.tail()}`);
      return fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8'));
    }, { timeoutMs: 15_000, what: file });
    this.id = this.credential.node_id;
  }

  stop() { return this.proc.stop(); }
  kill9() { return this.proc.kill9(); }
  alive() { return this.proc.alive(); }

  // Where the node keeps a pulled blob.
  blobPath(digest) {
    const hex = digest.replace(/^sha256:/, '');
    return path.join(this.dataDir, 'node', 'blobs', 'sha256', hex.slice(0, 2), hex);
  }
  blobFiles() { return listFiles(path.join(this.dataDir, 'node', 'blobs')); }

  // GET /v1/models of the node's own inference API: the ids.
  async modelIds() {
    const r = await fetch(`${this.baseURL}/models`);
    if (r.status !== 200) throw new Error(`${this.baseURL}/models: HTTP ${r.status}`);
    return (await r.json()).data.map((m) => m.id);
  }
}
