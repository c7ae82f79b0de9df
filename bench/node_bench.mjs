#!/usr/bin/env node
// Concurrency benchmark of `locai node` (issue 3): aggregate generated tokens/s with 1, 4 and 8
// concurrent streaming clients, and time to first token (p50/p99), on a synthesised
// Llama-3.2-1B-shaped Q4_0 model. Prints a Markdown table. See bench/node_bench.md.
//
//   node bench/node_bench.mjs --bin build/bin/locai [--clients 1,4,8] [--max-tokens 64]
//        [--rounds 2] [--prompt-words 48] [--threads N] [--ctx 1024] [--cache DIR] [--shape llama3.2-1b]
//        [--type q4_0] [--json]
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = {
    bin: process.env.LOCAI_BIN ?? path.join(repo, 'build', 'bin', 'locai'),
    clients: [1, 4, 8], maxTokens: 64, rounds: 2, promptWords: 48, threads: 0, ctx: 1024,
    cache: null, shape: 'llama3.2-1b', type: 'q4_0', json: false,
    conformance: process.env.LOCAI_CONFORMANCE_DIR ?? path.resolve(repo, '..', 'shared', 'conformance'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--bin': o.bin = next(); break;
      case '--clients': o.clients = next().split(',').map(Number); break;
      case '--max-tokens': o.maxTokens = Number(next()); break;
      case '--rounds': o.rounds = Number(next()); break;
      case '--prompt-words': o.promptWords = Number(next()); break;
      case '--threads': o.threads = Number(next()); break;
      case '--ctx': o.ctx = Number(next()); break;
      case '--cache': o.cache = next(); break;
      case '--shape': o.shape = next(); break;
      case '--type': o.type = next(); break;
      case '--conformance': o.conformance = next(); break;
      case '--json': o.json = true; break;
      case '-h': case '--help':
        console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 9).join('\n'));
        process.exit(0);
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  o.bin = path.resolve(o.bin);
  o.cache = path.resolve(o.cache ?? path.join(path.dirname(path.dirname(o.bin)), 'bench-models', 'node'));
  if (o.clients.some((c) => !(c >= 1))) throw new Error('--clients: positive integers');
  return o;
}

// The synthesised model, made once and kept in the cache directory (the server's model dir).
function ensureModel(o) {
  const id = `${o.shape}-${o.type}`;
  const file = path.join(o.cache, `${id}.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(o.cache, { recursive: true });
    const t0 = Date.now();
    console.error(`bench: synthesising ${file} (about a minute)`);
    execFileSync(o.bin, ['model', 'synth', '--shape', o.shape, '--type', o.type, '--vocab-from',
      path.join(o.conformance, 'tokenizer', 'vocab-bpe.gguf'), '-o', `${file}.part`], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(`${file}.part`, file);
    console.error(`bench: synthesised in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return id;
}

function startNode(o, model) {
  const parallel = Math.max(...o.clients);
  const args = ['node', '--models', o.cache, '--port', '0', '--parallel', String(parallel), '--ctx', String(o.ctx),
    '--queue', String(4 * parallel), '--preload', model];
  if (o.threads > 0) args.push('--threads', String(o.threads));
  const proc = spawn(o.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-8000); });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`no listening line in 180 s\n${stderr}`)); }, 180_000);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`locai node exited (${code})\n${stderr}`)); });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /locai node listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ proc, url: m[1].replace(/\/$/, '') }); }
    });
  });
}

const WORDS = 'the quick brown fox jumps over a lazy dog while seven small birds sing about rivers mountains and old stories'.split(' ');
function prompt(words, salt) {
  const out = [];
  for (let i = 0; i < words; i++) out.push(WORDS[(i * 7 + salt * 3) % WORDS.length]);
  return out.join(' ');
}

// One streaming completion; resolves with {ttftMs, tokens, totalMs}.
async function streamOnce(url, model, o, salt) {
  const t0 = performance.now();
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: prompt(o.promptWords, salt), max_tokens: o.maxTokens, temperature: 0.8, seed: salt,
      stream: true, stream_options: { include_usage: true } }),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffered = '';
  let ttftMs = null;
  let tokens = null;
  let chunks = 0;
  for await (const piece of response.body) {
    buffered += decoder.decode(piece, { stream: true });
    let idx;
    while ((idx = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, idx);
      buffered = buffered.slice(idx + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') continue;
        const json = JSON.parse(data);
        if (json.usage) tokens = json.usage.completion_tokens;
        if (json.choices?.[0]?.text) {
          chunks++;
          ttftMs ??= performance.now() - t0;
        }
      }
    }
  }
  return { ttftMs: ttftMs ?? performance.now() - t0, tokens: tokens ?? chunks, totalMs: performance.now() - t0 };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

async function phase(url, model, o, clients) {
  const results = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let r = 0; r < o.rounds; r++) results.push(await streamOnce(url, model, o, 100 * clients + 10 * c + r));
  }));
  const wallS = (performance.now() - t0) / 1000;
  const tokens = results.reduce((s, r) => s + r.tokens, 0);
  const perStream = results.map((r) => r.tokens / Math.max(1e-9, (r.totalMs - r.ttftMs) / 1000));
  return {
    clients, requests: results.length, tokens, wallS,
    aggregateTps: tokens / wallS,
    perStreamTps: perStream.reduce((s, v) => s + v, 0) / perStream.length,
    ttftP50: percentile(results.map((r) => r.ttftMs), 50),
    ttftP99: percentile(results.map((r) => r.ttftMs), 99),
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(o.bin)) throw new Error(`no locai binary at ${o.bin} (--bin or LOCAI_BIN)`);
  const model = ensureModel(o);
  const { proc, url } = await startNode(o, model);
  try {
    await streamOnce(url, model, { ...o, maxTokens: 8 }, 0);  // warm up
    const rows = [];
    for (const c of o.clients) rows.push(await phase(url, model, o, c));
    const load = os.loadavg().map((v) => v.toFixed(2)).join(' ');
    if (o.json) {
      console.log(JSON.stringify({ model, options: { ...o, bin: undefined }, load, cpus: os.cpus().length, rows }, null, 2));
      return;
    }
    console.log(`locai node, ${model}, ${o.promptWords}-word prompts, ${o.maxTokens} tokens per request, ` +
                `${o.rounds} requests per client; ${os.cpus().length} CPUs, load average ${load}\n`);
    console.log('| clients | requests | generated tokens | wall s | aggregate tok/s | per-stream tok/s | TTFT p50 ms | TTFT p99 ms |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(`| ${r.clients} | ${r.requests} | ${r.tokens} | ${r.wallS.toFixed(2)} | ${r.aggregateTps.toFixed(1)} | ` +
                  `${r.perStreamTps.toFixed(1)} | ${r.ttftP50.toFixed(0)} | ${r.ttftP99.toFixed(0)} |`);
    }
  } finally {
    proc.removeAllListeners('exit');
    proc.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
