// The per-delivery cost, contenders interleaved in one process, payload by payload:
//   wasm call     core.handle(settings, headers, body, {key}) exactly as js-shim/receive.mjs makes it
//   wasm before   the same call on an older dispatch.wasm (--before-wasm FILE)
//   native        the same pipeline natively (envelope in, outcome text out: build/native/dispatch_bench_pipeline)
//   native before the same on an older core (--before-native FILE)
//   parse wasm    the body's parse alone in wasm: parse_json as a delivery runs it (in the call arena, the
//                 tree left to it), and nlohmann's own parse (parse_json before the fast reader; malloc, the tree
//                 taken apart), from build/wasm/dispatch_bench_parse.wasm; natively the same two
//   JSON.parse    TextDecoder + JSON.parse of the same bytes
//   JS floor      createHmac + timingSafeEqual + TextDecoder + JSON.parse of the same bytes
// over ../shared/fixtures/bitbucket-cloud (index.json; tests/vectors/bodies when ../shared is absent) and a
// ~250 KB push built from a real capture. Prints medians and p95 over payloads of each payload's median, ratios,
// per-KB slopes, per family; checks that memory stays flat and that every build answers the same bytes.
//
//   cmake --build --preset native --target dispatch_bench_pipeline
//   cmake --build --preset wasm --target dispatch_bench_parse
//   node bench/pipeline.mjs [--rounds 400] [--before-wasm F] [--before-native F] [--json OUT] [--smoke]

import { execFileSync, spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

import { instantiateCore } from '../js-shim/core.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '30' },
    'before-wasm': { type: 'string' },
    'before-native': { type: 'string' },
    json: { type: 'string' },
    smoke: { type: 'boolean', default: false },
  },
});
const rounds = options.smoke ? 2 : Number(options.rounds);
const warmup = options.smoke ? 1 : Number(options.warmup);
const secret = 'bench-secret-issue-13';
const decoder = new TextDecoder();
const encoder = new TextEncoder();

// --- payloads ---------------------------------------------------------------------------------------------
// DISPATCH_SHARED_FIXTURES points elsewhere (a missing folder shows the fallback).
const sharedDir = process.env.DISPATCH_SHARED_FIXTURES ?? resolve(root, '../shared/fixtures/bitbucket-cloud');
/**
 * A payload measured: where it comes from, then (below) its bytes, size in KiB, family, HMAC, the two headers,
 * the envelope the native bench reads, and where the parse module holds its copy.
 * @typedef {{ name: string, event: string, file: string, big?: boolean, body?: Uint8Array, kb?: number,
 *   family?: string, digest?: Buffer, headers?: Record<string, string>, envelope?: string, pointer?: number }} BenchPayload
 */
/** @type {BenchPayload[]} */
const payloads = [];
if (existsSync(join(sharedDir, 'index.json'))) {
  for (const entry of JSON.parse(readFileSync(join(sharedDir, 'index.json'), 'utf8'))) {
    payloads.push({ name: entry.file, event: entry.event_key, file: join(sharedDir, entry.file) });
  }
} else {
  console.log('../shared/fixtures/bitbucket-cloud is absent: using tests/vectors/bodies instead');
  const keys = { push: 'repo:push', 'push-forced-deleted': 'repo:push', 'pr-push': 'pullrequest:updated',
    'pr-comment': 'pullrequest:comment_created', 'pr-comment-deleted': 'pullrequest:comment_deleted',
    'pr-changes-request': 'pullrequest:changes_request_created', 'team-status': 'repo:commit_status_updated',
    transfer: 'repo:transfer', sparse: 'repo:updated' };
  const dir = resolve(root, 'tests/vectors/bodies');
  for (const file of readdirSync(dir).sort()) {
    const name = file.replace(/\.json$/, '');
    payloads.push({ name: `bodies/${file}`, event: keys[name] ?? 'repo:updated', file: join(dir, file) });
  }
}

// A push near Bitbucket's 256 KB cap from a real capture: its change repeated with five commits each, every
// commit message long (several paragraphs, quotes, non-ASCII), compact as Bitbucket sends it.
function bigPush() {
  const base = existsSync(join(sharedDir, 'index.json'))
    ? join(sharedDir, 'B-AROL-O__ble-testsuite/2023-05-11-120942-webhook-site.json')
    : resolve(root, 'tests/vectors/bodies/push.json');
  const payload = JSON.parse(readFileSync(base, 'utf8'));
  const change = payload.push.changes[0];
  const commit = change.commits[0];
  const paragraph = 'Rework the retry window so that a 429 with "retry_after" is honoured exactly — ' +
    'and a blocked shared IP backs off for five minutes (Zoë\'s report, see #42).\n';
  payload.push.changes = [];
  // One commit at a time, five to a change, until the body reaches 250,000 bytes (under the 262,144 cap).
  for (let index = 0; encoder.encode(JSON.stringify(payload)).length < 250_000; index += 1) {
    if (index % 5 === 0) payload.push.changes.push({ ...structuredClone(change), commits: [], truncated: true });
    const hash = index.toString(16).padStart(40, '0');
    payload.push.changes.at(-1).commits.push({ ...structuredClone(commit), hash,
      message: `Commit ${index}: ${paragraph.repeat(6)}`, summary: { ...commit.summary, raw: paragraph.repeat(6) } });
  }
  return encoder.encode(JSON.stringify(payload));
}
const bigFile = resolve(root, 'build/bench/push-250k.json');
mkdirSync(dirname(bigFile), { recursive: true });
writeFileSync(bigFile, bigPush());
payloads.push({ name: 'push-250k (built)', event: 'repo:push', file: bigFile, big: true });

const settings = { secrets: [secret], events: { mode: 'all' } };
for (const payload of payloads) {
  payload.body = new Uint8Array(readFileSync(payload.file));
  payload.kb = payload.body.byteLength / 1024;
  payload.family = payload.event === 'repo:push' ? 'push' : payload.event.startsWith('pullrequest:') ? 'pull request' : 'other';
  const digest = createHmac('sha256', secret).update(payload.body).digest();
  payload.digest = digest;
  // receive.mjs passes the two headers by their lower-case names.
  payload.headers = { 'x-event-key': payload.event, 'x-hub-signature': `sha256=${digest.toString('hex')}` };
  payload.envelope = JSON.stringify({ endpoint: settings, headers: payload.headers });
}
const measured = payloads;

// --- contenders -------------------------------------------------------------------------------------------
const core = await instantiateCore(readFileSync(resolve(root, 'build/wasm/dispatch-tools.wasm')));
const before = options['before-wasm'] ? await instantiateCore(readFileSync(options['before-wasm'])) : null;

const parsePath = resolve(root, 'build/wasm/dispatch_bench_parse.wasm');
/**
 * The exports of dispatch_bench_parse.wasm (bench/bench_parse_wasm.cpp).
 * @typedef {{ memory: WebAssembly.Memory, _initialize?: () => void, bench_alloc(size: number): number,
 *   bench_parse(pointer: number, size: number): number, bench_parse_nlohmann(pointer: number, size: number): number,
 *   bench_hmac(key: number, keySize: number, pointer: number, size: number): number }} BenchParseExports
 */
/** @type {BenchParseExports | null} */
let parser = null;
let parserKey = null; // the secret, in the bench module's memory
if (existsSync(parsePath)) {
  const module = new WebAssembly.Module(readFileSync(parsePath));
  const instance = new WebAssembly.Instance(module, {
    env: { emscripten_notify_memory_growth() {} },
    wasi_snapshot_preview1: { proc_exit(code) { throw new Error(`bench parse module exited ${code}`); } },
  });
  parser = /** @type {BenchParseExports} */ (instance.exports);
  parser._initialize?.();
  for (const payload of measured) {
    payload.pointer = parser.bench_alloc(payload.body.byteLength);
    new Uint8Array(parser.memory.buffer, payload.pointer, payload.body.byteLength).set(payload.body);
  }
  const key = new TextEncoder().encode(secret);
  parserKey = { pointer: parser.bench_alloc(key.byteLength), size: key.byteLength };
  new Uint8Array(parser.memory.buffer, parserKey.pointer, key.byteLength).set(key);
} else {
  console.log(`parse alone in wasm: skipped (${parsePath} not built)`);
}

// Node's main thread and the native children run on one CPU when `taskset` is there (V8's helper threads keep
// the others): a child timed on the other CPU met other load than node's contenders, and native's median
// moved from 51 to 76 µs between runs while theirs moved by a tenth.
const pinned = (() => {
  try {
    execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    return '0';
  } catch {
    return null;
  }
})();

// A native bench runs as a child that times every payload in turn per "round" line.
let children = 0;
function nativeChild(binary) {
  if (!binary || !existsSync(binary)) return null;
  // One manifest per child: a second one written over the first while its child reads it broke a run.
  children += 1;
  const manifest = resolve(root, `build/bench/manifest-${process.pid}-${children}.json`);
  writeFileSync(manifest, JSON.stringify({ payloads: measured.map(({ file, envelope }) => ({ file, envelope })) }));
  const child = pinned === null
    ? spawn(binary, [manifest], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn('taskset', ['-c', pinned, binary, manifest], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()(JSON.parse(line)));
  const ask = (line) => new Promise((resolveLine) => {
    waiting.push(resolveLine);
    child.stdin.write(`${line}\n`);
  });
  return {
    round: () => ask('round'),
    close() { child.stdin.end(); },
  };
}
const nativeBinary = resolve(root, 'build/native/dispatch_bench_pipeline');
const native = nativeChild(nativeBinary);
if (!native) console.log(`native: skipped (${nativeBinary} not built)`);
const nativeBefore = nativeChild(options['before-native']);

const now = () => process.hrtime.bigint();
const time = (call) => {
  const start = now();
  call();
  return Number(now() - start) / 1000;
};

let sink = 0;
const jsContenders = {
  // receive.mjs passes a key (the endpoint's id, version and number of secrets): the settings are compiled
  // once, not per call.
  'wasm call': (p) => time(() => { sink += core.handle(settings, p.headers, p.body, { key: 'bench:1:1' }).status; }),
  ...(before && { 'wasm call, before': (p) => time(() => { sink += before.handle(settings, p.headers, p.body, { key: 'bench:1:1' }).status; }) }),
  'JS floor': (p) => time(() => {
    const mac = createHmac('sha256', secret).update(p.body).digest();
    if (!timingSafeEqual(mac, p.digest)) throw new Error('floor: signature mismatch');
    sink += JSON.parse(decoder.decode(p.body)) === null ? 0 : 1;
  }),
  'JSON.parse (+TextDecoder)': (p) => time(() => { sink += JSON.parse(decoder.decode(p.body)) === null ? 0 : 1; }),
  ...(parser && {
    'parse wasm': (p) => time(() => { sink += parser.bench_parse(p.pointer, p.body.byteLength); }),
    'parse wasm, nlohmann (before)': (p) => time(() => { sink += parser.bench_parse_nlohmann(p.pointer, p.body.byteLength); }),
    // The signature's HMAC alone, as the wasm call computes it (no boundary).
    'HMAC wasm': (p) => time(() => { sink += 1 + parser.bench_hmac(parserKey.pointer, parserKey.size, p.pointer, p.body.byteLength); }),
  }),
};
const samples = {};
const record = (name, index, value) => {
  samples[name] ??= measured.map(() => []);
  samples[name][index].push(value);
};

// --- agreement and memory: every build answers the same bytes, and the heap is back where it was ---------
// The endpoint compiled under the key stays in memory for its later calls, as in the Worker: compile it
// before the heap's starting point is taken.
core.handle(settings, measured[0].headers, measured[0].body, { key: 'bench:1:1' });
const heapStart = core.heapInUse();
const memoryStart = core.memoryBytes();
let heapFaults = 0;
const outcomeBytes = [];
for (const [index, payload] of measured.entries()) {
  const text = core.handleText(settings, payload.headers, payload.body);
  const outcome = JSON.parse(text);
  if (outcome.code !== 'accepted' && outcome.code !== 'event_not_selected') {
    throw new Error(`${payload.name}: ${outcome.code} ${outcome.reason}`);
  }
  if (before && before.handleText(settings, payload.headers, payload.body) !== text) {
    throw new Error(`${payload.name}: the wasm before and after answer differently`);
  }
  outcomeBytes[index] = encoder.encode(text).byteLength;
  if (core.heapInUse() !== heapStart) heapFaults += 1;
}
// Memory may grow once for the largest body; after that it must not.
const memoryAfterFirst = core.memoryBytes();

// --- the run ----------------------------------------------------------------------------------------------
const names = Object.keys(jsContenders);
// The order is shuffled for every payload of every round, from a fixed seed. A rotation is not enough: it keeps
// the cycle, so each contender always follows the same one, and the one after the wasm call ran with its
// payload and the shim's code still hot. The same module measured as "wasm call" and as "wasm call, before"
// came out 9-12 % apart that way.
let seed = 0x9e3779b9;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const shuffled = (list) => {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};
// The table lists the contenders in the order above, not in the order they first ran.
for (const name of names) samples[name] = measured.map(() => []);
for (let round = 0; round < warmup + rounds; round += 1) {
  const keep = round >= warmup;
  for (const [index, payload] of measured.entries()) {
    for (const name of shuffled(names)) {
      const heap = name === 'wasm call' ? core.heapInUse() : 0;
      const micros = jsContenders[name](payload);
      if (name === 'wasm call' && core.heapInUse() !== heap) heapFaults += 1;
      if (keep) record(name, index, micros);
    }
  }
  // Native, a round at a time, while node waits on the same core (see `pinned`).
  for (const [label, child] of /** @type {const} */ ([['native', native], ['native, before', nativeBefore]])) {
    if (!child) continue;
    const answer = await child.round();
    answer.outcome.forEach((size, index) => {
      if (size !== outcomeBytes[index]) throw new Error(`${measured[index].name}: ${label} answers ${size} bytes, wasm ${outcomeBytes[index]}`);
    });
    if (!keep) continue;
    answer.pipeline.forEach((ns, index) => record(label, index, ns / 1000));
    answer.parse.forEach((ns, index) => record(`parse ${label}`, index, ns / 1000));
    if (child === native) {
      answer.parse_nlohmann?.forEach((ns, index) => record('parse native, nlohmann (before)', index, ns / 1000));
      answer.hmac?.forEach((ns, index) => record('HMAC native', index, ns / 1000));
    }
  }
}
native?.close();
nativeBefore?.close();
if (sink === 0) throw new Error('nothing ran');

// --- the table --------------------------------------------------------------------------------------------
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
};
const median = (values) => quantile(values, 0.5);
// Least squares over the payloads: µs = intercept + slope × KB.
function slope(indices, perPayload) {
  const xs = indices.map((i) => measured[i].kb);
  const ys = indices.map((i) => perPayload[i]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, k) => { sxy += (x - mx) * (ys[k] - my); sxx += (x - mx) ** 2; });
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { intercept: my - b * mx, perKb: b };
}

const fixtures = measured.map((p, i) => i).filter((i) => !measured[i].big);
const big = measured.findIndex((p) => p.big);
const families = ['push', 'pull request', 'other'];
// A row of the table from each payload's median (µs) and, for the 250 KB push's p95, its samples.
const row = (perPayload, bigSamples) => ({
  median: median(fixtures.map((i) => perPayload[i])),
  p95: quantile(fixtures.map((i) => perPayload[i]), 0.95),
  ...slope(fixtures, perPayload),
  big: perPayload[big],
  bigP95: bigSamples ? quantile(bigSamples, 0.95) : null,
  families: Object.fromEntries(families.map((f) => {
    const members = fixtures.filter((i) => measured[i].family === f);
    return [f, members.length ? median(members.map((i) => perPayload[i])) : null];
  })),
  perPayload,
});
const contenders = Object.keys(samples);
const results = Object.fromEntries(contenders.map((name) => [name, row(samples[name].map(median), samples[name][big])]));
// The calls without their HMAC (per payload, the call's median less the HMAC's): what wasm costs where it
// cannot use the CPU's SHA instructions as native OpenSSL does.
for (const [call, hmac] of [['wasm call', 'HMAC wasm'], ['native', 'HMAC native']]) {
  if (!results[call] || !results[hmac]) continue;
  results[`${call} − HMAC`] = row(results[call].perPayload.map((v, i) => v - results[hmac].perPayload[i]), null);
  contenders.push(`${call} − HMAC`);
}

const fmt = (v, width = 8) => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1)).padStart(width);
const wasmBytes = readFileSync(resolve(root, 'build/wasm/dispatch.wasm'));
console.log(`${fixtures.length} payloads (${families.map((f) => `${f} ${fixtures.filter((i) => measured[i].family === f).length}`).join(', ')}), ` +
  `${(measured[big].body.byteLength / 1024).toFixed(0)} KB push; ${rounds} rounds; µs; median (p95) over payloads of each payload's median`);
console.log(`${'contender'.padEnd(32)}${'median'.padStart(8)}${'(p95)'.padStart(9)}  ${'base µs'.padStart(8)}${'µs/KB'.padStart(8)}  ` +
  `${'push'.padStart(8)}${'pull req'.padStart(9)}${'other'.padStart(8)}  ${'250 KB'.padStart(8)}${'(p95)'.padStart(9)}`);
for (const name of contenders) {
  const r = results[name];
  console.log(`${name.padEnd(32)}${fmt(r.median)} (${fmt(r.p95, 6)})  ${fmt(r.intercept)}${fmt(r.perKb)}  ` +
    `${fmt(r.families.push)} ${fmt(r.families['pull request'])}${fmt(r.families.other)}  ${fmt(r.big)} (${fmt(r.bigP95, 6)})`);
}
const ratio = (a, b) => {
  if (!results[a] || !results[b]) return;
  const x = results[a];
  const y = results[b];
  const perPayload = fixtures.map((i) => x.perPayload[i] / y.perPayload[i]);
  const fam = families.map((f) => (x.families[f] && y.families[f] ? `${f} ${(x.families[f] / y.families[f]).toFixed(2)}` : null)).filter(Boolean);
  console.log(`${`${a} / ${b}`.padEnd(58)} ${(x.median / y.median).toFixed(2)}× (per-payload median ${median(perPayload).toFixed(2)}×; ` +
    `${fam.join(', ')}; 250 KB ${(x.big / y.big).toFixed(2)}×)`);
};
console.log('ratios (of the medians)');
ratio('wasm call', 'JS floor');
ratio('wasm call', 'native');
ratio('wasm call − HMAC', 'native − HMAC');
ratio('HMAC wasm', 'HMAC native');
ratio('wasm call, before', 'JS floor');
ratio('wasm call, before', 'native, before');
ratio('wasm call, before', 'wasm call');
ratio('native, before', 'native');
ratio('parse wasm, nlohmann (before)', 'parse wasm');
ratio('parse wasm', 'JSON.parse (+TextDecoder)');
ratio('parse native, nlohmann (before)', 'parse native');
const memoryEnd = core.memoryBytes();
console.log(`memory: heap in use ${heapStart} → ${core.heapInUse()} bytes, ${heapFaults} calls left the heap changed; ` +
  `wasm memory ${memoryStart} → ${memoryAfterFirst} after the first pass → ${memoryEnd} after ${warmup + rounds} rounds`);
console.log(`wasm module: ${wasmBytes.byteLength} bytes raw, ${gzipSync(wasmBytes, { level: 9 }).byteLength} bytes gzip -9`);
if (options.json) {
  writeFileSync(options.json, JSON.stringify({ rounds, results: Object.fromEntries(contenders.map((n) => {
    const { perPayload, ...rest } = results[n];
    return [n, rest];
  })) }, null, 1));
}
if (heapFaults > 0 || core.heapInUse() !== heapStart || memoryEnd !== memoryAfterFirst) {
  console.error('memory did not come back to where it started');
  process.exitCode = 1;
}
