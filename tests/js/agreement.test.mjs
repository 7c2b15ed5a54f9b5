// The native and wasm builds must give byte-identical outcomes for every vector. Runs after both runners
// have written their files (script/test orders it last).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { root } from './helpers.mjs';

const nativePath = process.env.DISPATCH_VECTORS_NATIVE ?? resolve(root, 'build/native/vectors-native.txt');
const wasmPath = process.env.DISPATCH_VECTORS_OUT ?? resolve(root, 'build/wasm/vectors-wasm.txt');

test('native and wasm outcomes are byte-identical', () => {
  assert.ok(existsSync(nativePath), `${nativePath} missing: run the Catch2 vectors first`);
  assert.ok(existsSync(wasmPath), `${wasmPath} missing: run tests/js/vectors.test.mjs first`);
  const native = readFileSync(nativePath);
  const wasm = readFileSync(wasmPath);
  if (!native.equals(wasm)) {
    const a = native.toString('utf8').split('\n');
    const b = wasm.toString('utf8').split('\n');
    const at = a.findIndex((line, i) => line !== b[i]);
    assert.fail(`first difference at line ${at + 1}:\n native: ${a[at]?.slice(0, 300)}\n wasm:   ${b[at]?.slice(0, 300)}`);
  }
  assert.ok(native.toString('utf8').split('\n').filter(Boolean).length >= 30);
});
