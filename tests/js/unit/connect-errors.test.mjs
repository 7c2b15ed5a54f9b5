// The Sources list's words for /sources?connect_error=<code> (web/connect-errors.mjs): every code
// the Worker redirects with, read from its source so a new one without words fails here, has its own; any
// other value gets the generic words and is never shown.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { connectErrorMessage } from '../../../web/connect-errors.mjs';
import { root } from '../helpers.mjs';

// Returns the codes a file redirects with: `connect_error=word`, or `connect_error=${name}` read through
// `const name = …;` in the same file: a string literal, or those a conditional chooses between (after ? and :,
// so the literals it compares with are not taken for codes).
function codesSent(file) {
  const source = readFileSync(resolve(root, file), 'utf8');
  const codes = new Set();
  for (const [, literal, name] of source.matchAll(/connect_error=(?:([a-z_]+)|\$\{(\w+)\})/g)) {
    if (literal) {
      codes.add(literal);
      continue;
    }
    const definition = new RegExp(`const ${name} = ([^;]+);`).exec(source);
    assert.ok(definition, `${file}: connect_error=\${${name}} whose value this test cannot read`);
    for (const [, value] of definition[1].matchAll(/(?:^|[?:])\s*'([^']*)'/g)) codes.add(value);
  }
  return codes;
}

const generic = connectErrorMessage('');
const sent = new Set([...codesSent('js-shim/connections.mjs'), ...codesSent('js-shim/worker.mjs')]);

test('the codes are read from the Worker: at least the three it sends today', () => {
  for (const code of ['access_denied', 'failed', 'not_configured']) assert.ok(sent.has(code), `${code} not found`);
});

test('every code the Worker sends has its own words: what happened, and what to do next', () => {
  for (const code of sent) {
    const message = connectErrorMessage(code);
    assert.notEqual(message, generic, `${code} has no wording in connect-errors.mjs`);
    assert.ok(['warn', 'error'].includes(message.tone), code);
    assert.match(message.text, /Connect Bitbucket/, `${code}: the words say what to do next`);
    assert.ok(!message.text.includes(code), `${code}: the words are for people, not the code`);
  }
  assert.equal(connectErrorMessage('access_denied').tone, 'warn', 'declining is a choice, not a failure');
});

test('any other value gets the generic words, never its own text', () => {
  assert.equal(generic.text, 'Bitbucket did not connect, and this page does not know why. Try Connect Bitbucket again.');
  assert.equal(generic.tone, 'error');
  for (const code of ['<img src=x onerror=alert(1)>', 'Your account is suspended: call +1 555 0100', '__proto__',
    'constructor', 'toString', 'ACCESS_DENIED', null, undefined]) {
    const message = connectErrorMessage(code);
    assert.equal(message, generic, String(code));
    if (code) assert.ok(!message.text.includes(code), String(code));
  }
});
