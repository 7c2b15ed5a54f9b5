// docs/architecture.md is the one "where things live" map: every source file of the core, the wasm edge, the
// Worker, the pages and script/ is named there (by its path, its name, or `stem.*` for a header and its
// source), and every file it names exists.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { root } from '../helpers.mjs';

const map = readFileSync(resolve(root, 'docs/architecture.md'), 'utf8');
const tracked = execFileSync('git', ['ls-files', 'src', 'wasm', 'js-shim', 'web', 'script'], { cwd: root, encoding: 'utf8' })
  .trim().split('\n');
// Code, not data: the pages' sample payloads and the OpenSSL patch are not pieces of the architecture.
const sources = tracked.filter((path) => /\.(mjs|cpp|hpp|sh|txt)$|^script\/[a-z-]+$/.test(path) && !path.includes('/samples/'));
const baseName = (path) => path.split('/').pop();

test('every source file is named in docs/architecture.md', () => {
  const named = (path) => {
    const base = baseName(path);
    return map.includes(path) || map.includes(`\`${base}`) || map.includes(`/${base}`)
      || map.includes(`${base.replace(/\.[^.]+$/, '')}.*`);
  };
  assert.ok(sources.length > 50, `only ${sources.length} files found`);
  assert.deepEqual(sources.filter((path) => !named(path)), []);
});

test('every file docs/architecture.md names exists', () => {
  const names = [...map.matchAll(/`([\w./-]+\.(?:mjs|cpp|hpp|sh|txt|sql|patch))`/g)].map((match) => match[1]);
  assert.ok(names.length > 30, `only ${names.length} names found`);
  const everything = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
  const missing = names.filter((name) => !everything.some((path) => path === name || path.endsWith(`/${name}`) || baseName(path) === baseName(name)));
  assert.deepEqual(missing, []);
});

// SQL lives in the store layer only (js-shim/store.mjs and js-shim/store-*.mjs): no other module of the Worker
// prepares a statement or runs a batch, whether on env.DB, a `db` it was given or any other name.
test('no js-shim module outside the store prepares SQL or runs a batch', () => {
  const store = /^js-shim\/store(-[a-z]+)*\.mjs$/;
  const modules = sources.filter((path) => path.startsWith('js-shim/') && path.endsWith('.mjs'));
  assert.ok(modules.filter((path) => store.test(path)).length >= 1, 'no store module found');
  const statements = /\.\s*(prepare|batch)\s*\(/g;
  const found = modules.filter((path) => !store.test(path)).flatMap((path) => readFileSync(resolve(root, path), 'utf8')
    .split('\n').flatMap((line, i) => (line.match(statements) ? [`${path}:${i + 1}: ${line.trim()}`] : [])));
  assert.deepEqual(found, []);
});
