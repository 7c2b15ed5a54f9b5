// Verify throughput, side by side in one run: native core, wasm core under node, node's WebCrypto HMAC
// (crypto.subtle.verify) and node:crypto's createHmac; and the wasm module's size raw and gzipped.
//
//   node bench/verify.mjs            (after script/test, or cmake --build --preset native/wasm and
//                                     cmake --build build/native --target dispatch_bench)

import { execFileSync } from 'node:child_process';
import { createHmac, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { instantiateCore } from '../js-shim/core.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasmPath = resolve(root, 'build/wasm/dispatch.wasm');
const nativeBench = resolve(root, 'build/native/dispatch_bench');
const sizes = [1024, 16 * 1024, 256 * 1024];
const secret = 'bench-secret';
const rounds = 5;
const minSeconds = 0.2;

function body(size) {
  const bytes = new Uint8Array(size);
  for (let k = 0; k < size; k += 1) bytes[k] = 97 + (k % 26);
  return bytes;
}

// Returns calls per second of `once`: the best of `rounds` rounds of at least minSeconds each, as the
// native bench does, so that a busy moment on the machine does not decide a figure.
async function rate(once) {
  for (let i = 0; i < 16; i += 1) await once();  // warm up
  let best = 0;
  for (let round = 0; round < rounds; round += 1) {
    let iterations = 0;
    const start = process.hrtime.bigint();
    let seconds = 0;
    do {
      for (let i = 0; i < 16; i += 1) await once();
      iterations += 16;
      seconds = Number(process.hrtime.bigint() - start) / 1e9;
    } while (seconds < minSeconds);
    best = Math.max(best, iterations / seconds);
  }
  return best;
}

const native = Object.fromEntries(
  execFileSync(nativeBench, sizes.map(String), { encoding: 'utf8' })
    .trim().split('\n').map((line) => JSON.parse(line))
    .map(({ size, per_second: perSecond }) => [size, perSecond]),
);

const wasmBytes = readFileSync(wasmPath);
const core = await instantiateCore(wasmBytes);
const endpoint = { secret, events: { mode: 'all' } };
const headers = { 'X-Event-Key': 'repo:push', 'X-Hub-Signature': `sha256=${'0'.repeat(64)}` };
const key = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const zeroTag = new Uint8Array(32);

const rows = [];
for (const size of sizes) {
  const bytes = body(size);
  const wasm = await rate(() => {
    if (core.handle(endpoint, headers, bytes).status !== 401) throw new Error('expected a refusal');
  });
  const subtle = await rate(async () => {
    if (await webcrypto.subtle.verify('HMAC', key, zeroTag, bytes)) throw new Error('expected a mismatch');
  });
  const nodeHmac = await rate(() => {
    createHmac('sha256', secret).update(bytes).digest();
  });
  rows.push({ size, native: native[size], wasm, subtle, nodeHmac });
}

const mb = (perSecond, size) => ((perSecond * size) / (1024 * 1024)).toFixed(0).padStart(6);
const ratio = (value, base) => (value / base).toFixed(2).padStart(5);
console.log('verify throughput, MiB/s (ratio to native)');
console.log('body     native          wasm (node)     WebCrypto       node:crypto');
for (const { size, native: n, wasm, subtle, nodeHmac } of rows) {
  console.log(
    `${String(size / 1024).padStart(3)} KiB  ${mb(n, size)} (1.00)   ${mb(wasm, size)} (${ratio(wasm, n)})   ` +
      `${mb(subtle, size)} (${ratio(subtle, n)})   ${mb(nodeHmac, size)} (${ratio(nodeHmac, n)})`,
  );
}
console.log(`wasm module: ${wasmBytes.byteLength} bytes raw, ${gzipSync(wasmBytes, { level: 9 }).byteLength} bytes gzip -9`);
