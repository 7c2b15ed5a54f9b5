// Runs every case of tests/vectors/*.json through the wasm build, checks it against `expected`, and writes
// each raw outcome where script/test compares it byte for byte with the native build's.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { haveShared, loadCore, root, sharedDir, vectorBody } from './helpers.mjs';

const outPath = process.env.DISPATCH_VECTORS_OUT ?? resolve(root, 'build/wasm/vectors-wasm.txt');
const core = await loadCore();
const lines = [];
const files = readdirSync(resolve(root, 'tests/vectors')).filter((name) => name.endsWith('.json')).sort();

for (const file of files) {
  const suite = JSON.parse(readFileSync(resolve(root, 'tests/vectors', file), 'utf8'));
  for (const vector of suite.tests) {
    const name = `${file}#${vector.name}`;
    const body = vectorBody(vector);
    if (body === null) {
      lines.push(`${name}\tskipped`);
      test(name, { skip: `${vector.body_file} is not here (../shared absent)` }, () => {});
      continue;
    }
    const raw = 'endpoint' in vector
      ? core.handleText(vector.endpoint, vector.headers, body)
      : core.renderText(vector.event, body);
    lines.push(`${name}\t${raw}`);
    test(name, () => assert.deepEqual(JSON.parse(raw), vector.expected));
  }
}

// Every shared fixture, previewed under its event key, also goes into the comparison.
if (haveShared) {
  const indexDir = resolve(sharedDir, 'fixtures/bitbucket-cloud');
  for (const { file, event_key: key } of JSON.parse(readFileSync(resolve(indexDir, 'index.json'), 'utf8'))) {
    const raw = core.renderText(key, readFileSync(resolve(indexDir, file)));
    lines.push(`shared:${file}\t${raw}`);
    test(`shared fixture ${file} renders`, () => assert.equal(JSON.parse(raw).code, 'rendered'));
  }
} else {
  lines.push('shared fixtures\tskipped');
  test('shared fixtures', { skip: '../shared is not beside the repository' }, () => {});
}

test('vector outcomes written for the native/wasm comparison', () => {
  writeFileSync(outPath, lines.map((line) => `${line}\n`).join(''));
  assert.ok(lines.length > 0);
});
