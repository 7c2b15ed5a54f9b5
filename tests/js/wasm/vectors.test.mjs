// Runs every case of tests/vectors/*.json, and every shared fixture as a preview and a detection, through the
// wasm build; checks each against its `expected` (or that the fixture renders and is detected), and writes the raw answers where the
// agreement test compares them byte for byte with the native build's.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { comparisonCases, comparisonLines, haveShared, loadCore, productionWasmPath, root, runCase } from '../helpers.mjs';

const outPath = process.env.DISPATCH_VECTORS_OUT ?? resolve(root, 'build/wasm/vectors-wasm.txt');
const core = await loadCore();
const cases = comparisonCases();
const answers = cases.map((c) => (c.body === null ? null : runCase(core, c)));

cases.forEach((c, i) => {
  if (answers[i] === null) {
    test(c.name, { skip: `${c.body_file} is not here (../shared absent)` }, () => {});
  } else if (c.expected) {
    test(c.name, () => assert.deepEqual(JSON.parse(answers[i]), c.expected));
  } else if (c.detect) {
    test(`${c.name} offers ${c.event}`, () => assert.ok(JSON.parse(answers[i]).keys?.includes(c.event), answers[i]));
  } else {
    test(`${c.name} renders`, () => assert.equal(JSON.parse(answers[i]).code, 'rendered'));
  }
});
if (!haveShared) test('shared fixtures', { skip: '../shared is not beside the repository' }, () => {});

// The Worker's module and the tools module are built from one core and must answer alike.
test('dispatch.wasm gives the same answers as dispatch-tools.wasm', async () => {
  const production = await loadCore(productionWasmPath);
  cases.forEach((c, i) => {
    if (answers[i] !== null) assert.equal(runCase(production, c), answers[i], c.name);
  });
});

test('raw answers written for the native/wasm comparison', () => {
  writeFileSync(outPath, comparisonLines(cases, answers));
  assert.ok(cases.length > 0);
});
