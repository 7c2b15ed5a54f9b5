// The cold isolate: a fresh node process per sample compiles dispatch.wasm, instantiates it as
// js-shim/worker.mjs does, and times the first deliveries one by one (the first eight shared fixtures, each
// with its own key, as receive.mjs calls the core). V8 compiles wasm functions lazily (Liftoff, on their first
// call) and tiers hot ones up to TurboFan in the background, so the first calls pay for compiling what they
// reach. Prints the median and the worst of each call over the samples, and how many calls after the first
// took over 10 ms (the Workers Free plan's CPU per request).
//
//   node bench/cold.mjs [--samples 15] [--warm-up] [--node-flag=--liftoff-only …] [WASM …]
//
// --warm-up runs core.mjs's warmUp right after instantiating, as js-shim/worker.mjs does in its global scope
// (whose limit is the startup time, not a request's CPU), before the timed ones.

import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    samples: { type: 'string', default: '15' },
    'warm-up': { type: 'boolean', default: false },
    'node-flag': { type: 'string', multiple: true, default: [] },
    child: { type: 'boolean', default: false },
  },
});

const sharedDir = process.env.DISPATCH_SHARED_FIXTURES ?? resolve(root, '../shared/fixtures/bitbucket-cloud');

if (options.child) {
  const { instantiateCore, warmUp: warmUpCore } = await import('../js-shim/core.mjs');
  const secret = 'bench-secret-issue-13';
  const settings = { secrets: [secret], events: { mode: 'all' } };
  const deliveries = JSON.parse(readFileSync(join(sharedDir, 'index.json'), 'utf8'))
    .slice(0, 8)
    .map((entry) => {
      const body = new Uint8Array(readFileSync(join(sharedDir, entry.file)));
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      return { body, headers: { 'x-event-key': entry.event_key, 'x-hub-signature': signature } };
    });
  const bytes = readFileSync(positionals[0]);
  let start = performance.now();
  const module = new WebAssembly.Module(bytes);
  const compile = performance.now() - start;
  start = performance.now();
  const core = await instantiateCore(module);
  const instantiate = performance.now() - start;
  let warmUp = 0;
  if (options['warm-up']) {
    start = performance.now();
    warmUpCore(core); // what js-shim/worker.mjs does when the isolate starts
    warmUp = performance.now() - start;
  }
  const calls = deliveries.map(({ headers, body }) => {
    start = performance.now();
    const outcome = core.handle(settings, headers, body, { key: 'endpoint:1:1' });
    if (outcome.code !== 'accepted') throw new Error(`cold: ${outcome.code} ${outcome.reason}`);
    return performance.now() - start;
  });
  process.stdout.write(JSON.stringify({ compile, instantiate, warmUp, calls }));
  process.exit(0);
}

if (!existsSync(join(sharedDir, 'index.json'))) {
  console.log('bench/cold.mjs: skipped (../shared/fixtures/bitbucket-cloud is absent)');
  process.exit(0);
}
const files = positionals.length > 0 ? positionals : [resolve(root, 'build/wasm/dispatch.wasm')];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const ms = (value) => value.toFixed(2);
console.log(`${options.samples} fresh processes each; ms; node ${options['node-flag'].join(' ') || '(default flags)'}` +
  `${options['warm-up'] ? '; core.mjs\'s warm-up after instantiating' : ''}`);
for (const file of files) {
  const runs = [];
  for (let sample = 0; sample < Number(options.samples); sample += 1) {
    const args = [...options['node-flag'], fileURLToPath(import.meta.url), '--child', file];
    if (options['warm-up']) args.push('--warm-up');
    runs.push(JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })));
  }
  const calls = runs[0].calls.map((_, k) => runs.map((run) => run.calls[k]));
  const over = runs.flatMap((run) => run.calls.slice(1)).filter((value) => value > 10).length;
  console.log(`${file}: compile ${ms(median(runs.map((r) => r.compile)))}, instantiate ` +
    `${ms(median(runs.map((r) => r.instantiate)))}${options['warm-up'] ? `, warm-up ${ms(median(runs.map((r) => r.warmUp)))}` : ''}`);
  console.log(`  calls 1-8, median: ${calls.map((c) => ms(median(c))).join(' ')}`);
  console.log(`  calls 1-8, worst:  ${calls.map((c) => ms(Math.max(...c))).join(' ')}`);
  console.log(`  calls 2-8 over 10 ms: ${over} of ${runs.length * (calls.length - 1)}`);
}
