// An endpoint's branch, tag and actor filters and its pull request threads setting through the admin API,
// under `wrangler dev`: stored and shown as sent, refused by the field the core names, taken over
// by the next hook after a PATCH, applied to a push change by change, to the actor, and to a redelivery.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';

import { eventually, postHook, root } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'filters-test-admin-token-0123456789';
const pushSample = JSON.parse(readFileSync(resolve(root, 'tests/vectors/bodies/push.json'), 'utf8'));
const { relay, sink } = withRelay({ token, sink: true, vars: { REPLAY_WINDOW_SECONDS: 0 } });

// A push of one change per ref: ["branch", "main"], ["tag", "v1.0"], … by `actor` (display name, nickname).
function push(refs, { actor = ['Zoë Ortega', 'zoe'] } = {}) {
  const [model] = pushSample.push.changes;
  const changes = refs.map(([type, name], i) => {
    const hash = `${String(i + 1).repeat(8)}${randomUUID().replaceAll('-', '')}`.slice(0, 40);
    return {
      ...model,
      old: { ...model.old, type, name },
      new: { ...model.new, type, name, target: { ...model.new.target, hash } },
      commits: model.commits.map((commit) => ({ ...commit, message: `${commit.message} (${name})` })),
    };
  });
  return {
    ...pushSample,
    push: { changes },
    actor: { ...pushSample.actor, display_name: actor[0], nickname: actor[1] },
  };
}

const hook = (endpoint, payload, event = 'repo:push') =>
  postHook(endpoint.url, endpoint.secret, event, Buffer.from(JSON.stringify(payload)));

let created = 0;
// Creates an endpoint posting to its own Discord stand-in webhook; `settings` adds or overrides fields.
async function endpoint(settings = {}) {
  const webhook = `filters-test-webhook-${++created}-abcdefghij`;
  const answer = await relay.api('POST', '/api/endpoints', {
    name: `filters ${created}`, destination_url: sink.webhook(webhook), events: { mode: 'all' }, ...settings,
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return { ...answer.body, webhook };
}

// The log row of a delivery the hook answered: the newest of the endpoint.
async function latestDelivery(endpointId) {
  const { body } = await relay.api('GET', `/api/endpoints/${endpointId}/deliveries?limit=1`);
  return body[0];
}

// Asserts a hook's answer is 200 ignored with `reason`, and the endpoint's log has it with `code`.
async function assertIgnored(ep, answer, code, reason) {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.status, 'ignored');
  assert.equal(answer.body.reason, reason);
  const logged = await latestDelivery(ep.id);
  assert.equal(logged.code, code);
  assert.equal(logged.status, 'ignored');
  assert.equal(logged.reason, reason);
}

const delivered = (ep, count) => eventually(`${count} message(s) at Discord for ${ep.id}`,
  () => sink.received(ep.webhook).length >= count && sink.received(ep.webhook));

describe('filters and threads are stored and shown', () => {
  test('created with filters and threads: the answer, GET and the list show them as sent', async () => {
    const filters = { branches: ['main', 'release/*', '!release/old-*'], tags: ['v*'], actors: ['!dependabot*'] };
    const ep = await endpoint({ filters, threads: 'pull_request' });
    assert.deepEqual(ep.filters, filters);
    assert.equal(ep.threads, 'pull_request');
    const read = await relay.api('GET', `/api/endpoints/${ep.id}`);
    assert.deepEqual(read.body.filters, filters);
    assert.equal(read.body.threads, 'pull_request');
    const listed = (await relay.api('GET', '/api/endpoints')).body.find((item) => item.id === ep.id);
    assert.deepEqual(listed.filters, filters);
    assert.equal(listed.threads, 'pull_request');
  });

  test('without them: null in every answer', async () => {
    const ep = await endpoint();
    assert.equal(ep.filters, null);
    assert.equal(ep.threads, null);
    const read = await relay.api('GET', `/api/endpoints/${ep.id}`);
    assert.equal(read.body.filters, null);
    assert.equal(read.body.threads, null);
  });

  test('threads "off" is stored as off (null); PATCH turns it on and off again, and filters: null clears them', async () => {
    const ep = await endpoint({ threads: 'off', filters: { branches: ['main'] } });
    assert.equal(ep.threads, null);
    const on = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { threads: 'pull_request' });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.threads, 'pull_request');
    assert.deepEqual(on.body.filters, { branches: ['main'] }, 'a PATCH of threads keeps the filters');
    const off = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { threads: 'off', filters: null });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const read = (await relay.api('GET', `/api/endpoints/${ep.id}`)).body;
    assert.equal(read.threads, null);
    assert.equal(read.filters, null);
  });
});

describe('refused by the field at fault (400 request_invalid, the core\'s reason)', () => {
  const cases = [
    ['an empty pattern', { filters: { branches: ['main', ''] } }, 'filters.branches', /^filters\.branches holds an empty pattern \(pattern 2\)/],
    ['a lone "!"', { filters: { tags: ['!'] } }, 'filters.tags', /^filters\.tags holds a lone "!" \(pattern 1\)/],
    ['51 patterns', { filters: { actors: Array.from({ length: 51 }, (_, i) => `user-${i}`) } }, 'filters.actors', /^filters\.actors has 51 patterns; the limit is 50/],
    ['an unknown member', { filters: { branch: ['main'] } }, 'filters.branch', /^filters\.branch is not a filter/],
    ['a list that is not one', { filters: { branches: 'main' } }, 'filters.branches', /^filters\.branches must be a list of patterns/],
    ['a pattern that is not a string', { filters: { branches: ['main', 7] } }, 'filters.branches', /^filters\.branches must hold only strings \(pattern 2\)/],
    ['a pattern over 200 characters', { filters: { branches: ['x'.repeat(201)] } }, 'filters.branches', /over 200 characters/],
    ['filters that are not an object', { filters: ['main'] }, 'filters', /^filters must be an object/],
    ['threads: "yes"', { threads: 'yes' }, 'threads', /^threads /],
  ];

  for (const [what, settings, field, reason] of cases) {
    test(`${what}: ${field}`, async () => {
      const before = (await relay.api('GET', '/api/endpoints')).body.length;
      const refused = await relay.api('POST', '/api/endpoints', {
        name: 'refused', destination_url: sink.webhook('refused-webhook-abcdefghij'), events: { mode: 'push' }, ...settings,
      });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'request_invalid');
      assert.equal(refused.body.field, field);
      assert.match(refused.body.reason, reason);
      assert.equal((await relay.api('GET', '/api/endpoints')).body.length, before, 'nothing was created');
    });
  }

  test('a PATCH refused for its filters changes nothing, its other fields included', async () => {
    const ep = await endpoint({ filters: { branches: ['main'] } });
    const refused = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { name: 'renamed', filters: { branches: ['!'] } });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.field, 'filters.branches');
    const read = (await relay.api('GET', `/api/endpoints/${ep.id}`)).body;
    assert.equal(read.name, ep.name);
    assert.deepEqual(read.filters, { branches: ['main'] });
    const threads = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { threads: true });
    assert.equal(threads.status, 400, JSON.stringify(threads.body));
    assert.equal(threads.body.field, 'threads');
  });
});

describe('filters at the hook', () => {
  test('a PATCH of filters takes over at the next hook: a push to another branch is 200 ignored, branch_filtered, with its reason', async () => {
    const ep = await endpoint();
    // Delivered first: the endpoint is now compiled in the isolate, under its version.
    assert.equal((await hook(ep, push([['branch', 'main']]))).status, 202);
    await delivered(ep, 1);
    const patched = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { filters: { branches: ['release/*'] } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));

    await assertIgnored(ep, await hook(ep, push([['branch', 'main']])), 'branch_filtered', 'branch main matches none of release/*');

    assert.equal((await hook(ep, push([['branch', 'release/2.0']]))).status, 202);
    const messages = await delivered(ep, 2);
    assert.match(JSON.stringify(messages[1].body), /release\/2\.0/);
    assert.equal(sink.received(ep.webhook).length, 2, 'the ignored push never reached Discord');
  });

  test('a push of three changes of which one passes is delivered with that change alone', async () => {
    const ep = await endpoint({ filters: { branches: ['main'] } });
    const answer = await hook(ep, push([['branch', 'feature/login'], ['branch', 'main'], ['branch', 'release/2.0']]));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const logged = await latestDelivery(ep.id);
    assert.match(logged.reason, /1 of 3 changes pass the filters/);
    assert.match(logged.reason, /feature\/login matches none of main/);
    const [message] = await delivered(ep, 1);
    assert.equal(message.body.embeds.length, 1, JSON.stringify(message.body));
    const sent = JSON.stringify(message.body);
    assert.match(sent, /\bmain\b/);
    assert.doesNotMatch(sent, /feature\/login|release\/2\.0/);
  });

  test('a tag filter: tags pass unless it is given; given, a tag it does not match is filtered', async () => {
    const ep = await endpoint({ filters: { branches: ['main'] } });
    assert.equal((await hook(ep, push([['tag', 'nightly-7']]))).status, 202, 'a tag passes a branch filter');
    const patched = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { filters: { branches: ['main'], tags: ['v*'] } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await assertIgnored(ep, await hook(ep, push([['tag', 'nightly-8']])), 'branch_filtered', 'tag nightly-8 matches none of v*');
    assert.equal((await hook(ep, push([['tag', 'v1.2.0']]))).status, 202);
  });

  test('an actor filter !dependabot*: dependabot\'s push is 200 ignored as actor_filtered, another actor\'s is delivered', async () => {
    const ep = await endpoint({ filters: { actors: ['!dependabot*'] } });
    await assertIgnored(ep, await hook(ep, push([['branch', 'main']], { actor: ['dependabot[bot]', 'dependabot'] })),
      'actor_filtered', 'actor dependabot[bot] matches !dependabot*');

    // Matched by the nickname alone, too: the reason says which name matched.
    const nickname = await hook(ep, push([['branch', 'main']], { actor: ['Dependency Bot', 'dependabot-preview'] }));
    assert.equal(nickname.status, 200, JSON.stringify(nickname.body));
    assert.equal(nickname.body.reason, 'actor Dependency Bot (dependabot-preview) matches !dependabot*');

    assert.equal((await hook(ep, push([['branch', 'main']], { actor: ['Ada Lovelace', 'ada'] }))).status, 202);
    await delivered(ep, 1);
    assert.equal(sink.received(ep.webhook).length, 1);
  });

  test('filters: null lets through what they stopped', async () => {
    const ep = await endpoint({ filters: { branches: ['main'] } });
    assert.equal((await hook(ep, push([['branch', 'feature/x']]))).status, 200);
    const cleared = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { filters: null });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal((await hook(ep, push([['branch', 'feature/x']]))).status, 202);
  });

  test('a redelivery applies the current filters to the recorded body', async () => {
    const ep = await endpoint();
    const first = await hook(ep, push([['branch', 'main']]));
    assert.equal(first.status, 202, JSON.stringify(first.body));
    await delivered(ep, 1);
    await relay.api('PATCH', `/api/endpoints/${ep.id}`, { filters: { branches: ['release/*'] } });
    const refused = await relay.api('POST', `/api/deliveries/${first.body.delivery}/redeliver`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'branch_filtered');
    assert.equal(refused.body.reason, 'branch main matches none of release/*');

    await relay.api('PATCH', `/api/endpoints/${ep.id}`, { filters: { branches: ['main'] } });
    const again = await relay.api('POST', `/api/deliveries/${first.body.delivery}/redeliver`);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    await delivered(ep, 2);
  });

  test('Send test event answers with the filter\'s reason when the sample does not pass', async () => {
    const ep = await endpoint({ filters: { branches: ['release/*'] } });
    const answer = await relay.api('POST', `/api/endpoints/${ep.id}/test`, { event: 'repo:push' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.answered, 200);
    assert.equal(answer.body.status, 'ignored');
    assert.match(answer.body.reason, /^branch \S+ matches none of release\/\*$/);
    assert.equal((await latestDelivery(ep.id)).code, 'branch_filtered');
  });
});
