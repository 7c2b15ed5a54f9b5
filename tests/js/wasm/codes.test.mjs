// One registry of codes (src/dispatch/codes.cpp, served as core.codes()): every code the C++ and the JS emit is
// in it, with the HTTP status it is emitted with, every code in it is emitted somewhere, and README's table of
// codes is the registry, row for row.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { loadCore, productionWasmPath, root } from '../helpers.mjs';

const core = await loadCore(productionWasmPath);
const registry = core.codes();
const byCode = new Map(registry.map((entry) => [entry.code, entry]));

const tracked = (...paths) => execFileSync('git', ['ls-files', ...paths], { cwd: root, encoding: 'utf8' })
  .trim().split('\n').filter(Boolean);
// Each file's lines without the comments that fill a whole line: a contract that names a code does not emit it.
const code = (path) => readFileSync(resolve(root, path), 'utf8').split('\n')
  .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line)).join('\n');

// The C++ names its codes in codes.hpp (codes::x) and uses them by name.
const constants = new Map([...readFileSync(resolve(root, 'src/dispatch/codes.hpp'), 'utf8')
  .matchAll(/inline constexpr char (\w+)\[\] = "(\w+)";/g)].map((match) => [match[1], match[2]]));

// Returns [{code, status?, at}] for every code the C++ emits: by constant, and any literal written where a code
// goes (so a new literal is caught too, not only a new constant).
function cppEmitted() {
  const found = [];
  const files = tracked('src', 'wasm').filter((path) => /\.(cpp|hpp)$/.test(path) && !path.endsWith('codes.cpp'));
  for (const path of files) {
    const text = code(path);
    const add = (name, status, literal) => found.push({ code: literal ? name : constants.get(name) ?? `codes::${name}`, status, at: path });
    for (const match of text.matchAll(/codes::(\w+)/g)) add(match[1], undefined, false);
    for (const match of text.matchAll(/refuse\((\d{3}),\s*make_error\(\s*codes::(\w+)/g)) add(match[2], Number(match[1]), false);
    for (const match of text.matchAll(/outcome\{verdict::\w+,\s*(\d{3}),\s*codes::(\w+)/g)) add(match[2], Number(match[1]), false);
    const literals = [
      /make_error\(\s*"([a-z_]+)"/g, /\{"code",\s*"([a-z_]+)"\}/g, /"code":"([a-z_]+)"/g, /(?:refused|stopped|placed)\(\s*"([a-z_]+)"/g,
      /\.code = "([a-z_]+)"/g, /outcome\{verdict::\w+,\s*\d{3},\s*"([a-z_]+)"/g,
    ];
    for (const pattern of literals) for (const match of text.matchAll(pattern)) add(match[1], undefined, true);
  }
  return found;
}

// Returns [{code, status?, at}] for every code the JS emits: the Worker, the pages and the scripts.
function jsEmitted() {
  const found = [];
  const files = tracked('js-shim', 'web', 'script').filter((path) => path.endsWith('.mjs'));
  for (const path of files) {
    const text = code(path);
    const add = (name, status) => found.push({ code: name, status: status === undefined ? undefined : Number(status), at: path });
    const withStatus = [
      /problem\((\d{3}),\s*'([a-z_]+)'/g, /\b(?:refuse|refusal|record)\((\d{3}),\s*'([a-z_]+)'/g,
      /BitbucketError\((\d{3}),\s*'([a-z_]+)'/g, /super\((\d{3}),\s*'([a-z_]+)'/g, /json\((\d{3}),\s*\{\s*code:\s*'([a-z_]+)'/g,
    ];
    for (const pattern of withStatus) for (const match of text.matchAll(pattern)) add(match[2], match[1]);
    for (const match of text.matchAll(/unauthorized\('([a-z_]+)'/g)) add(match[1], 401);
    for (const match of text.matchAll(/\bcode:\s*'([a-z_]+)'/g)) add(match[1]);
    for (const match of text.matchAll(/'([a-z_]+)' AS code\b/g)) add(match[1]);
  }
  return found;
}

const emitted = [...cppEmitted(), ...jsEmitted()];

test('the registry is well formed: snake_case codes, each once, a status and a one-line meaning', () => {
  assert.ok(registry.length > 50, `only ${registry.length} codes`);
  assert.equal(byCode.size, registry.length, 'a code is in the registry twice');
  for (const entry of registry) {
    assert.match(entry.code, /^[a-z]+(_[a-z]+)*$/);
    assert.ok(entry.status === 0 || (entry.status >= 200 && entry.status < 600), `${entry.code}: status ${entry.status}`);
    assert.ok(entry.meaning.length > 10 && !/[|\n]/.test(entry.meaning), `${entry.code}: meaning "${entry.meaning}"`);
  }
});

test('every constant of codes.hpp is in the registry', () => {
  assert.ok(constants.size > 30, `only ${constants.size} constants found`);
  for (const [name, value] of constants) {
    assert.equal(name, value, `codes::${name} is "${value}"`);
    assert.ok(byCode.has(value), `codes::${name} is not in the registry`);
  }
});

test('every code the C++ and the JS emit is in the registry, with the status it is emitted with', () => {
  assert.ok(emitted.length > 150, `only ${emitted.length} emissions found`);
  const missing = emitted.filter(({ code: name }) => !byCode.has(name)).map(({ code: name, at }) => `${name} (${at})`);
  assert.deepEqual([...new Set(missing)], []);
  const wrong = emitted.filter(({ code: name, status }) => status !== undefined && byCode.has(name)
    && ![byCode.get(name).status, byCode.get(name).also_status].includes(status))
    .map(({ code: name, status, at }) => `${name} ${status} (${at}; the registry says ${byCode.get(name).status})`);
  assert.deepEqual(wrong, []);
});

test('every code in the registry is emitted somewhere', () => {
  const seen = new Set(emitted.map(({ code: name }) => name));
  assert.deepEqual(registry.map((entry) => entry.code).filter((name) => !seen.has(name)), []);
});

// README's table, as the registry writes it: "| `code` | 202 | meaning |", "—" for no HTTP status.
const readmeRow = ({ code: name, status, also_status: also, meaning }) =>
  `| \`${name}\` | ${status === 0 ? '—' : [status, also].filter(Boolean).join(', ')} | ${meaning} |`;

test("README's table of codes is the registry, row for row", () => {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const section = readme.split(/^## Codes$/m)[1]?.split(/^## /m)[0];
  assert.ok(section, 'README has no "## Codes" section');
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  assert.deepEqual(rows, registry.map(readmeRow));
});
