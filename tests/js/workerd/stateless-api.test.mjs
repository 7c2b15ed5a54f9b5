// The wasm core inside workerd: starts `wrangler dev` (the real runtime) on loopback and checks the
// Worker's stateless API against the native build: the event catalogue, and the preview of every vector
// and shared fixture, each compared with what the native core wrote.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { haveShared, nativeCli, root, sharedDir, vectorBody } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'workerd-test-token-0123456789';
const { relay } = withRelay({ token });

const auth = { authorization: `Bearer ${token}` };
const preview = (body, query = '') => fetch(`${relay.base}/api/preview${query}`, { method: 'POST', headers: auth, body });

test('GET /api/events serves the catalogue the native CLI prints', async () => {
  const response = await fetch(`${relay.base}/api/events`, { headers: auth });
  assert.equal(response.status, 200);
  const native = JSON.parse(spawnSync(nativeCli, ['events'], { encoding: 'utf8' }).stdout);
  assert.deepEqual(await response.json(), native);
});

test('the admin API refuses a missing or wrong token', async () => {
  assert.equal((await fetch(`${relay.base}/api/events`)).status, 401);
  const wrong = await fetch(`${relay.base}/api/events`, { headers: { authorization: `Bearer ${token.slice(0, -1)}x` } });
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).code, 'unauthorized');
});

test('unknown routes are 404 and wrong methods 405', async () => {
  assert.equal((await fetch(`${relay.base}/nothing`, { headers: auth })).status, 404);
  const wrongMethod = await fetch(`${relay.base}/api/preview`, { headers: auth });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get('allow'), 'POST');
});

test('a bad preview request is 400 naming the field', async () => {
  const missing = await preview('{"payload":{}}');
  assert.equal(missing.status, 400);
  assert.deepEqual(await missing.json(), { code: 'request_invalid', reason: 'event must be a string, e.g. "repo:push"' });
  const broken = await preview('{"event":');
  assert.equal((await broken.json()).code, 'body_not_json');
});

// The payload's own bytes are spliced into the request, so the core sees exactly what Bitbucket sent.
const wrap = (key, payload) => Buffer.concat([Buffer.from(`{"event":${JSON.stringify(key)},"payload":`), payload, Buffer.from('}')]);

test('a preview with a template renders it, or names its fault', async () => {
  const payload = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));
  const template = Buffer.from(JSON.stringify({ content: '{{dispatch.commit_count}} commits on {{dispatch.branch}}' }));
  const body = Buffer.concat([Buffer.from('{"event":"repo:push","template":'), template, Buffer.from(',"payload":'), payload, Buffer.from('}')]);
  const response = await preview(body);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).content, '2 commits on main');
  const broken = await preview('{"event":"repo:push","payload":{},"template":"{\\"content\\": \\"{{/x}}\\"}"}');
  assert.equal(broken.status, 400);
  assert.deepEqual(await broken.json(), {
    code: 'template_syntax', reason: 'content: {{/x}} closes a section that was never opened (line and column in the template\'s text)',
    field: 'template', line: 1, column: 14,
  });
  // The cuts are counted in a header; ?answer=full gives the core's whole answer.
  const long = `{"event":"repo:push","payload":{},"template":{"content":"x","username":"${'u'.repeat(81)}"}}`;
  const counted = await preview(long);
  assert.equal(counted.headers.get('x-dispatch-cuts'), '1');
  const full = await preview(long, '?answer=full');
  const answer = await full.json();
  assert.equal(answer.code, 'rendered');
  assert.equal(answer.cuts[0].rule, 'username');
  assert.ok(answer.budget.some((row) => row.rule === 'username' && row.used === 80 && row.allowed === 80));
});

test('render vectors preview in workerd as expected', async () => {
  const suite = JSON.parse(readFileSync(resolve(root, 'tests/vectors/render.json'), 'utf8'));
  let checked = 0;
  for (const vector of suite.tests.filter((v) => v.expected.code === 'rendered')) {
    const body = vectorBody(vector);
    if (body === null) continue;
    const response = await preview(wrap(vector.event, body));
    assert.equal(response.status, 200, vector.name);
    assert.deepEqual(await response.json(), vector.expected.message, vector.name);
    checked += 1;
  }
  assert.ok(checked >= 4);
});

test('every shared fixture previews in workerd as the native core renders it',
  { skip: haveShared ? false : '../shared is not beside the repository' }, async () => {
    const indexDir = resolve(sharedDir, 'fixtures/bitbucket-cloud');
    const index = JSON.parse(readFileSync(resolve(indexDir, 'index.json'), 'utf8'));
    for (const { file, event_key: key } of index) {
      const native = spawnSync(nativeCli, ['render', '--event', key, resolve(indexDir, file)], { encoding: 'utf8' });
      assert.equal(native.status, 0, `${file}: ${native.stderr}`);
      const response = await preview(wrap(key, readFileSync(resolve(indexDir, file))));
      assert.equal(response.status, 200, file);
      assert.deepEqual(await response.json(), JSON.parse(native.stdout), file);
    }
    assert.ok(index.length > 50);
  });
