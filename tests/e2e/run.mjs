#!/usr/bin/env node
// Runs the end-to-end suite: checks the SDKs are installed, builds the model directory once, then
// runs every *.test.mjs here with `node --test`, one file at a time (each starts its own servers).
//
//   LOCAI_BIN=build/bin/locai node tests/e2e/run.mjs [--test-name-pattern=...] [FILE...]
//
// Exit status: node --test's (0 when every test passed).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function die(message) {
  console.error(`e2e: ${message}`);
  process.exit(1);
}

for (const pkg of ['openai', '@anthropic-ai/sdk']) {
  if (!fs.existsSync(path.join(here, 'node_modules', pkg, 'package.json'))) {
    die(`tests/e2e/node_modules/${pkg} is missing: run scripts/setup.sh (it runs \`npm ci\` in tests/e2e)`);
  }
}
if (!process.env.LOCAI_BIN) die('LOCAI_BIN is not set: point it at the locai binary (e.g. build/bin/locai)');
process.env.LOCAI_BIN = path.resolve(process.env.LOCAI_BIN);
if (!fs.existsSync(process.env.LOCAI_BIN)) die(`LOCAI_BIN=${process.env.LOCAI_BIN} does not exist`);

const { buildModelDir } = await import('./lib/harness.mjs');
const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'locai-e2e-models-'));
let status = 1;
try {
  const t0 = Date.now();
  buildModelDir(modelDir);
  console.log(`e2e: models in ${modelDir} (${Date.now() - t0} ms)`);
  const args = process.argv.slice(2);
  const options = args.filter((a) => a.startsWith('--'));
  let files = args.filter((a) => !a.startsWith('--')).map((f) => path.resolve(f));
  if (files.length === 0) {
    files = fs.readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => path.join(here, f));
  }
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...options, ...files], {
    cwd: here, stdio: 'inherit', env: { ...process.env, LOCAI_E2E_MODEL_DIR: modelDir },
  });
  status = r.status ?? 1;
  if (r.signal) console.error(`e2e: node --test was killed by ${r.signal}`);
} finally {
  fs.rmSync(modelDir, { recursive: true, force: true });
}
process.exit(status);
