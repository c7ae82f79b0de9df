// Harness for the routing end-to-end tests (issue 5) and the inference audit (issue 6): a real
// `locai server` (the gateway), real `locai node --join` processes with models deployed, and a
// stand-in cloud provider that is itself a plain `locai node --models DIR` on another port (an
// OpenAI-compatible upstream), run with --log-prompts so that its request log is a recording of
// every prompt it received. The official SDKs talk to the gateway over HTTPS with the server's
// own CA trusted through `caFetch` (the SDKs take a fetch function; Node's fetch cannot be given a
// CA without undici).
import https from 'node:https';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { modelDir } from './harness.mjs';
import { Proc, tempDir, waitFor, httpsRequest } from './fleet.mjs';

// A fetch() for the SDKs that trusts only `caPem` (fresh connection per request, streamed body;
// an abort signal or a cut connection errors the body as fetch would).
export function caFetch(caPem) {
  return (input, init = {}) => new Promise((resolve, reject) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers = {};
    new Headers(init.headers ?? {}).forEach((value, name) => { headers[name] = value; });
    let body = init.body ?? null;
    if (body !== null && typeof body !== 'string' && !Buffer.isBuffer(body)) body = Buffer.from(body);
    const req = https.request({
      host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: url.pathname + url.search,
      method: init.method ?? 'GET', headers, ca: caPem, agent: false,
      servername: net.isIP(url.hostname) ? undefined : url.hostname,
    });
    const onAbort = () => req.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (init.signal) {
      if (init.signal.aborted) { onAbort(); return; }
      init.signal.addEventListener('abort', onAbort, { once: true });
    }
    req.on('response', (res) => {
      const h = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        for (const v of [].concat(value)) h.append(name, v);
      }
      const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
      resolve(new Response(empty ? null : Readable.toWeb(res), {
        status: res.statusCode, statusText: res.statusMessage, headers: h,
      }));
    });
    req.on('error', reject);
    if (body !== null) req.write(body);
    req.end();
  });
}

// OpenAI / Anthropic SDK clients of the server's gateway with `key` (no retries: a retry would
// hide what the gateway did).
export function openaiClient(server, key, options = {}) {
  return new OpenAI({
    baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000,
    fetch: caFetch(server.caPem), ...options,
  });
}
export function anthropicClient(server, key, options = {}) {
  return new Anthropic({
    baseURL: server.url, apiKey: key, maxRetries: 0, timeout: 60_000,
    fetch: caFetch(server.caPem), ...options,
  });
}

// A raw JSON POST to the gateway with `key` as Bearer: {status, headers, text, json}.
export function gatewayPost(server, target, body, { key, headers = {}, timeoutMs = 60_000 } = {}) {
  return httpsRequest(server.url, target, {
    method: 'POST', body, caPem: server.caPem, timeoutMs,
    headers: { ...headers, ...(key ? { Authorization: `Bearer ${key}` } : {}) },
  });
}

// A plain HTTP request to a node's own API (fetch, no key): {status, headers, text, json}.
export async function nodePost(node, target, body, headers = {}) {
  const r = await fetch(`${node.url}${target}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: r.status, headers: Object.fromEntries(r.headers.entries()), text, json };
}

// Creates an API key with `role` in the server's default organisation: {id, key}.
export async function createKey(server, name, role = 'inference') {
  const created = await server.api('POST', '/v1/admin/keys', { body: { name, role } });
  if (!created.key) throw new Error(`POST /v1/admin/keys returned no key: ${JSON.stringify(created)}`);
  return { id: created.id, key: created.key };
}

// PUT /v1/admin/policy with the fields of docs/control-plane.md ("Routing policy, providers and
// egress"); returns the stored policy.
export function setPolicy(server, { policy = 'onprem', maxQueueWaitMs = 1000, cloudModels = {}, pii = 'block' } = {}) {
  return server.api('PUT', '/v1/admin/policy', {
    body: { policy, max_queue_wait_ms: maxQueueWaitMs, cloud_models: cloudModels, pii_action: pii },
  });
}

const LISTENING = /^locai node listening on (http:\/\/\S+)\s*$/;

// The stand-in cloud provider: `locai node --models <e2e model dir> --log-prompts` on its own port
// with its own API key (the gateway must send it). Every request it served is a JSON log line with
// msg "request"; with --log-prompts the line carries the prompt it received.
export class StandInProvider {
  static async start({ apiKey = 'sk-stand-in-provider', args = [] } = {}) {
    const p = new StandInProvider(apiKey);
    p.dataDir = tempDir('provider');
    p.proc = new Proc(['node', '--models', modelDir(), '--data', p.dataDir, '--port', '0',
                       '--log-prompts', '--api-key', apiKey, '--parallel', '2', '--ctx', '512', ...args]);
    const m = await p.proc.waitLine(LISTENING, { timeoutMs: 60_000 });
    p.url = m[1].replace(/\/$/, '');
    p.baseURL = `${p.url}/v1`;
    const u = new URL(p.url);
    p.host = u.hostname;
    p.port = Number(u.port);
    return p;
  }

  constructor(apiKey) { this.apiKey = apiKey; }

  // The request log entries it wrote so far (parsed JSON), generation requests only.
  requests() {
    const out = [];
    for (const line of this.proc.lines) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'request') out.push(entry);
      } catch { /* not a log line */ }
    }
    return out;
  }

  // Everything it printed (the raw recording, prompts included).
  log() { return this.proc.output; }

  stop() { return this.proc.stop(); }
}

// Every line of a JSONL file, parsed ([] when the file does not exist).
export function readJsonl(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

// The egress journals of issue 5: DATA/server/egress.jsonl (a server) or DATA/node/egress.jsonl.
export function serverEgress(server) { return readJsonl(path.join(server.dataDir, 'server', 'egress.jsonl')); }
export function nodeEgress(node) { return readJsonl(path.join(node.dataDir, 'node', 'egress.jsonl')); }

// `host:port` of a URL ("https://127.0.0.1:4443" -> "127.0.0.1:4443").
export function hostPort(url) {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname.replace(/^\[|\]$/g, '')}:${port}`;
}

// The inference records of `locai audit export` (all records since 2020, those whose action is
// inference.request), each flattened: the record's fields with its details merged in.
export async function auditExport(server) {
  const r = await server.cli(['audit', 'export', '--since', '2020-01-01', '--format', 'jsonl']);
  if (r.code !== 0) throw new Error(`audit export: exit ${r.code}\n${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  return { text: r.stdout, records: lines.map((l) => JSON.parse(l)) };
}

// A record with its nested detail object(s) merged in, so that fields are found wherever the
// audit format keeps them ({route} or {details:{route}} or {detail:"{...}"}).
export function flattenRecord(record) {
  const out = { ...record };
  for (const key of ['details', 'detail', 'content', 'data']) {
    let v = record[key];
    if (typeof v === 'string') { try { v = JSON.parse(v); } catch { v = null; } }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) if (!(k in out)) out[k] = x;
      for (const inner of ['details', 'detail']) {
        if (v[inner] && typeof v[inner] === 'object') {
          for (const [k, x] of Object.entries(v[inner])) if (!(k in out)) out[k] = x;
        }
      }
    }
  }
  return out;
}

export function inferenceRecords(records) {
  return records.map(flattenRecord).filter((r) => r.action === 'inference.request' || r.kind === 'inference');
}

// Waits until `pred(records)` holds on the exported inference records (the node's own requests
// arrive with its next request_log frame, within a few seconds).
export function waitAudit(server, pred, what) {
  let last = [];
  return waitFor(async () => {
    last = inferenceRecords((await auditExport(server)).records);
    return pred(last) ? last : false;
  }, { timeoutMs: 15_000, what }).catch((e) => {
    throw new Error(`${e.message}\ninference records: ${JSON.stringify(last).slice(0, 3000)}`);
  });
}

// Reads an OpenAI stream through the SDK: {text, finish, error, chunks}. `onFirst` runs (awaited)
// once, at the first chunk with content.
export async function drainChatStream(stream, { onFirst } = {}) {
  let text = '';
  let finish = null;
  let chunks = 0;
  let error = null;
  let first = true;
  try {
    for await (const chunk of stream) {
      chunks++;
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) {
        text += choice.delta.content;
        if (first && onFirst) { first = false; await onFirst(); }
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
  } catch (e) {
    error = e;
  }
  return { text, finish, error, chunks };
}
