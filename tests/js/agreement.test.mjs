// The native and wasm builds must give byte-identical outcomes for every vector: natively with libstdc++
// (g++) and with libc++ (clang, the standard library wasm links). Runs after the runners have written their
// files (script/test orders it last).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { root } from './helpers.mjs';

const nativePath = process.env.DISPATCH_VECTORS_NATIVE ?? resolve(root, 'build/native/vectors-native.txt');
const libcxxPath = resolve(root, 'build/libcxx/vectors-native.txt');
const wasmPath = process.env.DISPATCH_VECTORS_OUT ?? resolve(root, 'build/wasm/vectors-wasm.txt');

// Fails with the first line where the native runner's file at `path` and the wasm runner's differ.
function sameAsWasm(path, name) {
  assert.ok(existsSync(path), `${path} missing: run the Catch2 vectors (${name}) first`);
  assert.ok(existsSync(wasmPath), `${wasmPath} missing: run tests/js/vectors.test.mjs first`);
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
