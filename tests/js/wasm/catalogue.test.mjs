// The event catalogue as the core serves it (core.events(), GET /api/events, `dispatch events`): each key's
// facts, the keys a selection takes (core.selectedKeys(), which the pages ask), and README's count of keys.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { eventCatalogue } from '../../../script/bitbucket-standin.mjs';
import { loadCore, productionWasmPath, root } from '../helpers.mjs';

const core = await loadCore(productionWasmPath);
const catalogue = core.events();
const keys = catalogue.map((entry) => entry.key);

test("README's count of event keys is the catalogue's", () => {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const counts = [...readme.matchAll(/\b(\d+) repository event keys\b/g)].map((match) => Number(match[1]));
  assert.ok(counts.length > 0, 'README names no count of repository event keys');
  assert.deepEqual(counts, counts.map(() => catalogue.length));
});

test('each entry says its family, whether it is a pull request\'s, and where its branch lives', () => {
  const branches = { push: 'push.changes', pull_request: 'pullrequest.destination.branch.name', commit_status: 'commit_status.refname' };
  for (const entry of catalogue) {
    assert.deepEqual(Object.keys(entry), ['key', 'category', 'label', 'description', 'family', 'pull_request', 'branch'], entry.key);
    assert.ok(['push', 'pull_request', 'issue', 'commit_status', 'repository', 'generic'].includes(entry.family), entry.key);
    assert.equal(entry.pull_request, entry.family === 'pull_request', entry.key);
    assert.equal(entry.branch, branches[entry.family] ?? null, entry.key);
  }
  const family = (key) => catalogue.find((entry) => entry.key === key).family;
  assert.equal(family('repo:push'), 'push');
  assert.equal(family('pullrequest:push'), 'pull_request');
  assert.equal(family('repo:commit_status_created'), 'commit_status');
  assert.equal(family('repo:transfer'), 'repository');
  assert.equal(family('pipeline:span_created'), 'generic');
});

test('a selection takes the catalogue keys the core says, in the catalogue\'s order', () => {
  assert.deepEqual(core.selectedKeys({ mode: 'push' }), { code: 'listed', keys: ['repo:push'] });
  assert.deepEqual(core.selectedKeys({ mode: 'all' }), { code: 'listed', keys });
  assert.deepEqual(core.selectedKeys({ mode: 'custom', custom: ['pullrequest:created', 'repo:fork', 'repo:fork'] }),
    { code: 'listed', keys: ['repo:fork', 'pullrequest:created'] });
  assert.deepEqual(core.selectedKeys({ mode: 'custom', custom: [] }), {
    code: 'endpoint_invalid', reason: 'events.custom must name at least one event key in mode custom', field: 'events.custom',
  });
  assert.equal(core.selectedKeys({ mode: 'some' }).field, 'events.mode');
});

test('the Bitbucket stand-in takes its event keys from the core', () => {
  assert.deepEqual(eventCatalogue(), catalogue);
});
