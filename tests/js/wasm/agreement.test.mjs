// The native and wasm builds must give byte-identical outcomes for every vector: natively with libstdc++
// (g++) and with libc++ (clang, the standard library wasm links). Runs after the runners have written their
// files (script/test orders it last).

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { root } from '../helpers.mjs';

const nativePath = process.env.DISPATCH_VECTORS_NATIVE ?? resolve(root, 'build/native/vectors-native.txt');
const libcxxPath = resolve(root, 'build/libcxx/vectors-native.txt');
const wasmPath = process.env.DISPATCH_VECTORS_OUT ?? resolve(root, 'build/wasm/vectors-wasm.txt');

// The newest change to the shared vectors (their JSON files and the bodies they name).
function vectorsChangedAt() {
  const dir = resolve(root, 'tests/vectors');
  const files = [...readdirSync(dir).map((name) => resolve(dir, name)), ...readdirSync(resolve(dir, 'bodies')).map((name) => resolve(dir, 'bodies', name))];
  return Math.max(...files.filter((file) => statSync(file).isFile()).map((file) => statSync(file).mtimeMs));
}

// Fails unless the file a runner wrote at `path` is newer than the vectors: an older one answers for other
// vectors, and comparing it would prove nothing (or fail for no fault of the code).
function fresh(path, how) {
  assert.ok(existsSync(path), `${path} missing: ${how} first`);
  assert.ok(statSync(path).mtimeMs >= vectorsChangedAt(), `${path} is older than tests/vectors: ${how} again`);
}

// Fails with the first line where the native runner's file at `path` and the wasm runner's differ.
function sameAsWasm(path, name) {
  fresh(path, `run the Catch2 vectors (ctest --preset ${name})`);
  fresh(wasmPath, 'run tests/js/wasm/vectors.test.mjs');
  const native = readFileSync(path);
  const wasm = readFileSync(wasmPath);
  if (!native.equals(wasm)) {
    const a = native.toString('utf8').split('\n');
    const b = wasm.toString('utf8').split('\n');
    const at = a.findIndex((line, i) => line !== b[i]);
    assert.fail(`first difference at line ${at + 1}:\n ${name}: ${a[at]?.slice(0, 300)}\n wasm:   ${b[at]?.slice(0, 300)}`);
  }
  assert.ok(native.toString('utf8').split('\n').filter(Boolean).length >= 30);
}

test('native and wasm outcomes are byte-identical', () => sameAsWasm(nativePath, 'native'));

test('the libc++ build (ASan, UBSan) and wasm outcomes are byte-identical', () => sameAsWasm(libcxxPath, 'libcxx'));
