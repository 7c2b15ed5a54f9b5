// The official Mustache spec through the wasm build: the same engine, the same answers as natively
// (tests/unit/mustache_spec_test.cpp). Core modules must pass; the optional ones are counted.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { loadCore, sharedDir } from '../helpers.mjs';

const specDir = resolve(sharedDir, 'conformance/mustache-spec');
// What the optional modules passed when last measured: a floor, so that a regression shows.
const optionalFloor = { '~dynamic-names.json': 21, '~inheritance.json': 23 };
const core = await loadCore();

if (!existsSync(specDir)) {
  test('mustache spec', { skip: '../shared/conformance/mustache-spec is not beside the repository' }, () => {});
} else {
  for (const file of readdirSync(specDir).filter((name) => name.endsWith('.json')).sort()) {
    const optional = file.startsWith('~');
    const { tests } = JSON.parse(readFileSync(resolve(specDir, file), 'utf8'));
    const results = tests.map((spec) => {
      const answer = core.mustache(spec.template, JSON.stringify(spec.data), { partials: spec.partials, escaping: 'html' });
      return { spec, text: answer.code === 'rendered' ? answer.text : `<${answer.code}: ${answer.reason}>` };
    });
    const passed = results.filter(({ spec, text }) => text === spec.expected).length;
    if (optional) {
      test(`${file}: ${passed}/${tests.length} (optional, counted)`, () => assert.ok(passed >= (optionalFloor[file] ?? tests.length)));
    } else {
      for (const { spec, text } of results) test(`${file}: ${spec.name}`, () => assert.equal(text, spec.expected));
    }
  }
}
