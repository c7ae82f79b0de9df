// Test harness for the end-to-end tests: builds the model directory, starts a real `locai node`
// process on a free port, waits for its "listening" line and stops it when the test file ends.
//
// Environment:
//   LOCAI_BIN               the locai binary (required)
//   LOCAI_CONFORMANCE_DIR   ../shared/conformance by default
//   LOCAI_E2E_MODEL_DIR     a model directory already built by run.mjs (else one is built here)
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..');

export const TINY = 'tiny-llama3';    // Llama 3 vocabulary and chat template, random weights
export const STORIES = 'stories260K'; // a real (tiny) trained model that writes English
// Greedy continuation of "Once upon a time" by stories260K (conformance README).
export const STORIES_GREEDY = ', there was a little girl named Lily. She loved to play outside in the park.';

export function locaiBin() {
  const bin = process.env.LOCAI_BIN;
  if (!bin) throw new Error('LOCAI_BIN is not set: point it at the locai binary (build/bin/locai)');
  if (!fs.existsSync(bin)) throw new Error(`LOCAI_BIN=${bin} does not exist: build the locai target`);
  return bin;
}

export function conformanceDir() {
  return process.env.LOCAI_CONFORMANCE_DIR || path.resolve(REPO_ROOT, '..', 'shared', 'conformance');
}

// Runs `locai ARGS...` and returns its stdout.
export function locai(args, { timeoutMs = 300_000 } = {}) {
  return execFileSync(locaiBin(), args, {
    encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// Fills `dir` with the two test models: tiny-llama3.gguf (synthesised) and stories260K.gguf
// (a symlink to the conformance file). Returns `dir`.
export function buildModelDir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const conf = conformanceDir();
  const tiny = path.join(dir, `${TINY}.gguf`);
  if (!fs.existsSync(tiny)) {
    const tmp = `${tiny}.part`;
    locai(['model', 'synth', '--shape', 'tiny', '--type', 'q8_0',
           '--vocab-from', path.join(conf, 'tokenizer', 'vocab-bpe.gguf'), '-o', tmp]);
    fs.renameSync(tmp, tiny);
  }
  const stories = path.join(dir, `${STORIES}.gguf`);
  if (!fs.existsSync(stories)) fs.symlinkSync(path.join(conf, 'models', 'stories260K.gguf'), stories);
  return dir;
}

let ownModelDir = null;
// The model directory for this test process: the runner's, or one built (once) in a temp dir.
export function modelDir() {
  if (process.env.LOCAI_E2E_MODEL_DIR) return buildModelDir(process.env.LOCAI_E2E_MODEL_DIR);
  if (!ownModelDir) {
    ownModelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'locai-e2e-models-'));
    buildModelDir(ownModelDir);
    process.on('exit', () => fs.rmSync(ownModelDir, { recursive: true, force: true }));
  }
  return ownModelDir;
}

// Token ids of `text` (special-token text parsed) with the model file's tokenizer.
export function tokenize(model, text, { bos = false } = {}) {
  const args = ['model', 'tokenize', path.join(modelDir(), `${model}.gguf`), '--text', text];
  if (bos) args.push('--bos');
  return JSON.parse(locai(args));
}

const running = new Set();
process.on('exit', () => { for (const p of running) p.kill('SIGKILL'); });

const LISTENING = /^locai node listening on (http:\/\/\S+)\s*$/;

// A running `locai node`. Fields: url ("http://127.0.0.1:PORT"), baseURL (url + "/v1"), host,
// port, proc; stderr() returns what it logged so far; stop() sends SIGTERM and resolves with
// {code, signal} once it exited (SIGKILL after 10 s).
export class NodeServer {
  static async start({ args = [], startTimeoutMs = 60_000 } = {}) {
    const fullArgs = ['node', '--models', modelDir(), '--port', '0', ...args];
    const proc = spawn(locaiBin(), fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    const server = new NodeServer(proc, fullArgs);
    await server.#waitListening(startTimeoutMs);
    return server;
  }

  constructor(proc, args) {
    this.proc = proc;
    this.args = args;
    this.stdoutLines = [];
    this.stderrText = '';
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    }));
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      this.stderrText += d;
      if (this.stderrText.length > 4 << 20) this.stderrText = this.stderrText.slice(-(2 << 20));
    });
  }

  #waitListening(timeoutMs) {
    return new Promise((resolve, reject) => {
      let buffered = '';
      const fail = (why) => {
        clearTimeout(timer);
        this.proc.kill('SIGKILL');
        reject(new Error(`locai ${this.args.join(' ')}: ${why}\nstdout: ${this.stdoutLines.join('\n')}\n` +
                         `stderr (tail): ${this.stderrText.slice(-3000)}`));
      };
      const timer = setTimeout(() => fail(`no "listening" line within ${timeoutMs} ms`), timeoutMs);
      this.proc.on('error', (e) => fail(`could not start: ${e.message}`));
      this.exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
      this.proc.stdout.setEncoding('utf8');
      this.proc.stdout.on('data', (d) => {
        buffered += d;
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          this.stdoutLines.push(line);
          const m = LISTENING.exec(line);
          if (m && !this.url) {
            clearTimeout(timer);
            this.url = m[1].replace(/\/$/, '');
            const u = new URL(this.url);
            this.host = u.hostname.replace(/^\[|\]$/g, '');
            this.port = Number(u.port);
            this.baseURL = `${this.url}/v1`;
            resolve();
          }
        }
      });
    });
  }

  stderr() { return this.stderrText; }

  // True while the process runs.
  alive() { return this.proc.exitCode === null && this.proc.signalCode === null; }

  async stop() {
    if (!this.alive()) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

// Reads a fetch Response body as SSE events: [{event, data}] (data parsed as JSON when it is).
export async function readSse(response) {
  const text = await response.text();
  const events = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    let event = null;
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const idx = line.indexOf(':');
      const field = idx < 0 ? line : line.slice(0, idx);
      let value = idx < 0 ? '' : line.slice(idx + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    const joined = data.join('\n');
    let parsed = joined;
    try { parsed = JSON.parse(joined); } catch { /* e.g. [DONE] */ }
    events.push({ event, data: parsed });
  }
  return events;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A greedy streaming completion of stories260K ("Once upon a time") read slowly (one chunk every
// `paceMs`), so that it is still running while a test does something hostile beside it.
// Resolves with {text, finish, chunks}.
export async function bystanderStream(client, { maxTokens = 120, paceMs = 10 } = {}) {
  const stream = await client.completions.create({
    model: STORIES, prompt: 'Once upon a time', max_tokens: maxTokens, temperature: 0, stream: true,
  });
  let text = '';
  let finish = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.text ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (paceMs > 0) await sleep(paceMs);
  }
  return { text, finish, chunks };
}

// Runs `hostile()` while a bystander stream runs, then checks that the stream finished with
// exactly `reference` (the same stream's result alone). Returns hostile()'s result.
export async function besideStream(client, reference, hostile, options = {}) {
  const started = bystanderStream(client, options);
  await sleep(50);  // let the stream start first
  const [result, stream] = await Promise.all([hostile(), started]);
  if (stream.text !== reference.text || stream.finish !== reference.finish) {
    throw new Error(`the bystander stream was disturbed: ${JSON.stringify(stream)} vs ${JSON.stringify(reference)}`);
  }
  return result;
}

// Stops `server` (if it started) and checks that SIGTERM ended it cleanly (exit status 0).
export async function stopChecked(server) {
  if (!server) return;
  const { code, signal } = await server.stop();
  if (signal !== null || code !== 0) {
    throw new Error(`locai node ended with code ${code}, signal ${signal} after SIGTERM; stderr (tail):\n` +
                    server.stderr().slice(-3000));
  }
}

// GET /metrics parsed into {samples: Map("name{labels}" -> number), types: Map(name -> type)}.
export async function scrapeMetrics(server) {
  const response = await fetch(`${server.url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics: HTTP ${response.status}`);
  const samples = new Map();
  const types = new Map();
  for (const line of (await response.text()).split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) { types.set(type[1], type[2]); continue; }
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) samples.set(m[1], Number(m[2]));
  }
  return { samples, types };
}
