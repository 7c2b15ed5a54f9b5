// The relay end to end under the real runtime: `wrangler dev` (workerd, local D1 and Queues) and a local
// Discord stand-in that follows Discord's documented behaviour. Everything goes through HTTP, as
// Bitbucket, an operator and Discord see it: the status table of /hooks/{endpoint}, delivery of every
// shared fixture, dedupe, Discord's 429s and failures, a worker killed between accept and delivery, and
// the admin API's refusals. Retry timings are shortened through the Worker's vars.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';

import { eventually, haveShared, nativeCli, root, sharedDir, sign } from '../helpers.mjs';
import { freePort, withRelay } from '../relay.mjs';

const token = 'worker-test-admin-token-0123456789';
const vars = {
  RETRY_BASE_SECONDS: 1, RETRY_MAX_SECONDS: 2, MAX_FAILURES: 3, BLOCKED_BACKOFF_SECONDS: 2,
  DESTINATION_TIMEOUT_SECONDS: 2, LEASE_SECONDS: 1, SWEEP_GRACE_SECONDS: 1, SWEEP_INTERVAL_SECONDS: 1,
  // These tests send the same fixture as one event after another; replays are tests/js/workerd/inbound.test.mjs's.
  REPLAY_WINDOW_SECONDS: 0,
};
const pushBody = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));
const secretsSeen = new Set([token]);
const { relay, sink } = withRelay({ token, sink: true, vars });

// POSTs to /hooks/{endpoint}, signed with `secret` unless `signature` or `headers` say otherwise.
async function hook(endpoint, { event = 'repo:push', body = pushBody, uuid = randomUUID(), signature, headers = {} } = {}) {
  const sent = { 'content-type': 'application/json', 'x-request-uuid': uuid, 'x-hook-uuid': '{b1f0c8e2-0000-4000-8000-000000000001}', 'x-attempt-number': '1' };
  if (event !== null) sent['x-event-key'] = event;
  const given = signature === undefined ? sign(endpoint.secret, body) : signature;
  if (given !== null) sent['x-hub-signature'] = given;
  const response = await fetch(endpoint.url, { method: 'POST', headers: { ...sent, ...headers }, body });
  return { status: response.status, body: await response.json().catch(() => null) };
}

// Creates an endpoint delivering to the stand-in's webhook `webhookToken`.
async function endpoint(webhookToken, settings = {}) {
  secretsSeen.add(webhookToken);
  const created = await relay.api('POST', '/api/endpoints', {
    name: `test ${webhookToken.split('-')[0]}`, destination_url: sink.webhook(webhookToken), events: { mode: 'all' }, ...settings,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  secretsSeen.add(created.body.secret);
  return created.body;
}

const delivery = async (id) => (await relay.api('GET', `/api/deliveries/${id}`)).body;
// Up to a minute: a delivery goes through the local queue, whose consumer retries a failed batch 30 s later and
// asks again in 2 s a delivery whose destination has no free slot (the fixtures test sends dozens to one).
const settled = (id, status = 'delivered') => eventually(`delivery ${id} to be ${status}`, async () => {
  const current = await delivery(id);
  return current.status === status ? current : null;
}, 60_000);

describe('the HTTP contract of /hooks/{endpoint}', () => {
  let ep;
  before(async () => {
    ep = await endpoint('contract-token-abcdef');
  });

  test('202 accepted, queued for delivery', async () => {
    const answer = await hook(ep);
    assert.equal(answer.status, 202);
    assert.deepEqual(Object.keys(answer.body), ['status', 'delivery']);
    assert.equal(answer.body.status, 'accepted');
    await settled(answer.body.delivery);
  });

  test('200 ignored for an event the endpoint does not select', async () => {
    const pushOnly = await endpoint('push-only-token-abcdef', { events: { mode: 'push' } });
    const answer = await hook(pushOnly, { event: 'repo:fork' });
    assert.deepEqual(answer, { status: 200, body: { status: 'ignored', reason: 'event repo:fork not selected' } });
  });

  test('200 duplicate for a re-sent X-Request-UUID, delivered once', async () => {
    const uuid = randomUUID();
    const dedupe = await endpoint('dedupe-token-abcdef');
    const first = await hook(dedupe, { uuid });
    assert.equal(first.status, 202);
    const again = await hook(dedupe, { uuid });
    assert.deepEqual(again, { status: 200, body: { status: 'duplicate', delivery: first.body.delivery } });
    await settled(first.body.delivery);
    const late = await hook(dedupe, { uuid });
    assert.deepEqual(late.body, { status: 'duplicate', delivery: first.body.delivery });
    await new Promise((wait) => setTimeout(wait, 1500));
    assert.equal(sink.received('dedupe-token-abcdef').length, 1);
  });

  test('404 for an unknown endpoint, 405 for another method', async () => {
    const unknown = await hook({ ...ep, url: `${relay.base}/hooks/no-such-endpoint` });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'endpoint_unknown');
    const get = await fetch(ep.url);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
  });

  test('410 once the endpoint is disconnected', async () => {
    const gone = await endpoint('inactive-token-abcdef');
    assert.equal((await relay.api('PATCH', `/api/endpoints/${gone.id}`, { active: false })).status, 200);
    const answer = await hook(gone);
    assert.equal(answer.status, 410);
    assert.equal(answer.body.code, 'endpoint_inactive');
  });

  test('413 for a body over 1 MiB', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    const answer = await hook(ep, { body: big });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.code, 'body_too_large');
  });

  test('400 with the reason: no X-Event-Key, a body that is not JSON, not an object', async () => {
    const noKey = await hook(ep, { event: null });
    assert.deepEqual([noKey.status, noKey.body.code], [400, 'event_key_missing']);
    const notJson = await hook(ep, { body: Buffer.from('{"repository":') });
    assert.deepEqual([notJson.status, notJson.body.code], [400, 'body_not_json']);
    assert.match(notJson.body.reason, /line 1, column/);
    const notObject = await hook(ep, { body: Buffer.from('[1, 2]') });
    assert.deepEqual([notObject.status, notObject.body.code], [400, 'body_not_object']);
  });

  test('401 for a missing, malformed or wrong signature, never telling the expected value', async () => {
    const expected = sign(ep.secret, pushBody);
    const missing = await hook(ep, { signature: null });
    assert.deepEqual([missing.status, missing.body.code], [401, 'signature_missing']);
    const malformed = await hook(ep, { signature: 'sha256=xyz' });
    assert.deepEqual([malformed.status, malformed.body.code], [401, 'signature_malformed']);
    const wrong = await hook(ep, { signature: `${expected.slice(0, -1)}${expected.endsWith('0') ? '1' : '0'}` });
    assert.deepEqual([wrong.status, wrong.body.code], [401, 'signature_mismatch']);
    for (const answer of [missing, malformed, wrong]) assert.ok(!JSON.stringify(answer.body).includes(expected.slice(7)));
  });

  test('every refusal is in the delivery log with its reason', async () => {
    const log = (await relay.api('GET', `/api/endpoints/${ep.id}/deliveries?limit=100`)).body;
    const codes = new Set(log.map((row) => row.code));
    for (const code of ['body_too_large', 'event_key_missing', 'body_not_json', 'body_not_object', 'signature_missing',
      'signature_malformed', 'signature_mismatch']) {
      assert.ok(codes.has(code), `${code} is not in the log`);
    }
    const refused = log.find((row) => row.code === 'signature_mismatch');
    assert.equal(refused.verdict, 'reject');
    assert.equal(refused.answered, 401);
    assert.equal(refused.status, 'rejected');
    assert.match(refused.reason, /does not match/);
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}/deliveries?limit=0`)).status, 400);
  });
});

test('every shared fixture, signed, is delivered as `dispatch handle` computes it',
  { skip: haveShared ? false : '../shared is not beside the repository' }, async () => {
    const indexDir = resolve(sharedDir, 'fixtures/bitbucket-cloud');
    const index = JSON.parse(readFileSync(resolve(indexDir, 'index.json'), 'utf8'));
    const ep = await endpoint('fixtures-token-abcdef');
    const scratch = mkdtempSync(join(tmpdir(), 'dispatch-handle-'));
    writeFileSync(join(scratch, 'endpoint.json'), JSON.stringify({ secret: ep.secret, events: { mode: 'all' } }));
    const expected = new Map();
    for (const { file, event_key: key } of index) {
      const body = readFileSync(resolve(indexDir, file));
      writeFileSync(join(scratch, 'headers.json'), JSON.stringify({ 'X-Event-Key': key, 'X-Hub-Signature': sign(ep.secret, body) }));
      const native = spawnSync(nativeCli, ['handle', '--endpoint', join(scratch, 'endpoint.json'), '--headers',
        join(scratch, 'headers.json'), resolve(indexDir, file)], { encoding: 'utf8' });
      assert.equal(native.status, 0, `${file}: ${native.stderr}`);
      const answer = await hook(ep, { event: key, body });
      assert.equal(answer.status, 202, `${file}: ${JSON.stringify(answer.body)}`);
      expected.set(answer.body.delivery, { file, message: JSON.parse(native.stdout).message });
    }
    for (const [id, { file, message }] of expected) {
      const done = await settled(id);
      const received = sink.received('fixtures-token-abcdef').find((item) => item.id === done.message_id);
      assert.ok(received, `${file}: the stand-in has no message ${done.message_id}`);
      assert.deepEqual(received.body, message, file);
      assert.equal(received.query, '?wait=true');
    }
    assert.equal(sink.received('fixtures-token-abcdef').length, index.length);
  });

describe('delivery follows Discord', () => {
  test('a 429 is honoured: retried after retry_after, then delivered', async () => {
    const ep = await endpoint('ratelimited-token-abcdef');
    sink.script('ratelimited-token-abcdef', [{ status: 429, retry_after: 1.5 }]);
    const { body } = await hook(ep);
    const done = await settled(body.delivery);
    const [limited, sent] = sink.received('ratelimited-token-abcdef');
    assert.equal(limited.answered, 429);
    assert.equal(sent.answered, 200);
    assert.ok(Date.parse(sent.at) - Date.parse(limited.at) >= 1500, 'retried before retry_after');
    assert.equal(done.attempts, 2);
    assert.deepEqual(done.attempt_log.map((entry) => entry.status), [429, 200]);
    assert.equal(done.attempt_log[0].retry_in, 2);
  });

  test('a 429 without retry_after or Retry-After backs off (BLOCKED_BACKOFF_SECONDS)', async () => {
    const ep = await endpoint('blocked-token-abcdef');
    sink.script('blocked-token-abcdef', [{ status: 429, bare: true }]);
    const { body } = await hook(ep);
    const done = await settled(body.delivery);
    const [blocked, sent] = sink.received('blocked-token-abcdef');
    assert.ok(Date.parse(sent.at) - Date.parse(blocked.at) >= 2000);
    assert.match(done.attempt_log[0].error, /Cloudflare block/);
  });

  test('5xx backs off and retries; past MAX_FAILURES it fails and can be redelivered', async () => {
    const ep = await endpoint('flaky-token-abcdef');
    sink.script('flaky-token-abcdef', [{ status: 500 }, { status: 502 }]);
    const recovered = await settled((await hook(ep)).body.delivery);
    assert.deepEqual(recovered.attempt_log.map((entry) => entry.status), [500, 502, 200]);

    sink.script('flaky-token-abcdef', [{ status: 500 }, { status: 503 }, { status: 500 }]);
    const failed = await settled((await hook(ep)).body.delivery, 'failed');
    assert.equal(failed.attempts, 3);
    assert.match(failed.last_error, /gave up after 3 failed attempts/);
    const again = await relay.api('POST', `/api/deliveries/${failed.id}/redeliver`);
    assert.equal(again.status, 202);
    assert.equal(again.body.redelivery_of, failed.id);
    const redelivered = await settled(again.body.delivery);
    assert.deepEqual(redelivered.message, failed.message);
  });

  test('a network error is retried', async () => {
    const ep = await endpoint('hanging-token-abcdef');
    sink.script('hanging-token-abcdef', [{ hang_ms: 4000 }]);
    const done = await settled((await hook(ep)).body.delivery);
    assert.match(done.attempt_log[0].error, /^network error: 127\.0\.0\.1:\d+ sent no answer within 2 s$/);
    assert.equal(sink.received('hanging-token-abcdef').length, 1);
  });

  test('after a 404 nothing is retried and the destination is marked broken', async () => {
    const ep = await endpoint('deleted-token-abcdef');
    sink.script('deleted-token-abcdef', [{ status: 404 }]);
    const failed = await settled((await hook(ep)).body.delivery, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.response_status, 404);
    assert.deepEqual(failed.response, { message: 'Unknown Webhook', code: 10015 });
    const broken = (await relay.api('GET', `/api/endpoints/${ep.id}`)).body;
    assert.equal(broken.destination_status, 'broken');
    assert.match(broken.destination_error, /Unknown Webhook/);
    const next = await settled((await hook(ep)).body.delivery, 'failed');
    assert.match(next.last_error, /destination is marked broken/);
    await new Promise((wait) => setTimeout(wait, 2500));
    assert.equal(sink.arrivals('deleted-token-abcdef'), 1, 'the destination was called again after its 404');

    const fixed = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { destination_url: sink.webhook('restored-token-abcdef') });
    assert.equal(fixed.body.destination_status, 'ok');
    secretsSeen.add('restored-token-abcdef');
    const again = await relay.api('POST', `/api/deliveries/${next.id}/redeliver`);
    await settled(again.body.delivery);
    assert.equal(sink.received('restored-token-abcdef').length, 1);
  });

  test('a connection refused names the host and what failed, not the runtime\'s "internal error"', async () => {
    const closed = await freePort();
    const ep = await relay.api('POST', '/api/endpoints', {
      name: 'closed port', destination_url: `http://127.0.0.1:${closed}/api/webhooks/1/closed-port-token`, events: { mode: 'all' },
    });
    secretsSeen.add(ep.body.secret);
    const done = await settled((await hook(ep.body)).body.delivery, 'failed');
    assert.match(done.attempt_log[0].error, new RegExp(`^network error: no answer from 127\\.0\\.0\\.1:${closed}: the connection was refused`));
    assert.doesNotMatch(done.last_error, /^network error: internal error/);
  });

  test('a broken destination: no test event is accepted; Resume (or saving the same URL) clears it and offers what was not sent', async () => {
    const ep = await endpoint('resume-token-abcdef');
    sink.script('resume-token-abcdef', [{ status: 404 }]);
    const first = await settled((await hook(ep)).body.delivery, 'failed');
    const second = await settled((await hook(ep)).body.delivery, 'failed');
    assert.doesNotMatch(second.last_error, /PATCH|\{"/, 'no message tells a person to send JSON');
    assert.match(second.last_error, /until it is resumed/);

    const test = await relay.api('POST', `/api/endpoints/${ep.id}/test`, { event: 'repo:push' });
    assert.equal(test.status, 409);
    assert.equal(test.body.code, 'destination_broken');
    assert.doesNotMatch(test.body.reason, /PATCH|\{"/);
    const listed = (await relay.api('GET', `/api/endpoints/${ep.id}/deliveries`)).body;
    assert.equal(listed.filter((item) => item.test).length, 0, 'the refused test event left no delivery');

    const unsent = await relay.api('GET', `/api/endpoints/${ep.id}/unsent`);
    assert.deepEqual(unsent.body.map((item) => item.id), [first.id, second.id]);
    const resumed = await relay.api('POST', `/api/endpoints/${ep.id}/resume`);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.destination_status, 'ok');
    assert.equal(resumed.body.state, 'active');
    assert.deepEqual(resumed.body.unsent.map((item) => item.id), [first.id, second.id]);
    for (const item of resumed.body.unsent) {
      const again = await relay.api('POST', `/api/deliveries/${item.id}/redeliver`);
      await settled(again.body.delivery);
    }
    assert.equal(sink.received('resume-token-abcdef').filter((item) => item.answered === 200).length, 2);
    assert.deepEqual((await relay.api('GET', `/api/endpoints/${ep.id}/unsent`)).body, [], 'what was sent again is no longer offered');

    // Broken again; the same URL saved again clears the mark too.
    sink.script('resume-token-abcdef', [{ status: 404 }]);
    await settled((await hook(ep)).body.delivery, 'failed');
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status, 'broken');
    const saved = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { destination_url: sink.webhook('resume-token-abcdef') });
    assert.equal(saved.body.destination_status, 'ok');
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}/unsent`)).body.length, 1);
  });

  test('another 4xx fails at once with Discord\'s error kept', async () => {
    const ep = await endpoint('invalid-token-abcdef');
    sink.script('invalid-token-abcdef', [{ status: 400 }, { status: 403 }]);
    const invalid = await settled((await hook(ep)).body.delivery, 'failed');
    assert.equal(invalid.attempts, 1);
    assert.equal(invalid.response_status, 400);
    assert.equal(invalid.response.code, 50035);
    assert.match(invalid.last_error, /^400 from the destination: Invalid Form Body \(code 50035\)$/);
    const forbidden = await settled((await hook(ep)).body.delivery, 'failed');
    assert.equal(forbidden.last_error, '403 from the destination: Missing Permissions (code 50013)');
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status, 'ok');
  });
});

test('a worker killed between accept and delivery loses nothing', async () => {
  // One delivery is in flight (the stand-in holds the POST), another waits out a 429 on the local queue,
  // which does not survive the process. D1 holds both; the sweep after the restart sends them.
  const inFlight = await endpoint('inflight-token-abcdef');
  const waiting = await endpoint('waiting-token-abcdef');
  sink.script('inflight-token-abcdef', [{ hang_ms: 60_000 }]);
  sink.script('waiting-token-abcdef', [{ status: 429, retry_after: 3 }]);
  const held = (await hook(inFlight)).body.delivery;
  const queued = (await hook(waiting)).body.delivery;
  await eventually('both to reach the stand-in', () => sink.arrivals('inflight-token-abcdef') === 1
    && sink.received('waiting-token-abcdef').length === 1);
  await relay.kill();
  await relay.start();
  const [first, second] = await Promise.all([settled(held), settled(queued)]);
  assert.equal(first.attempts, 2);
  assert.equal(second.attempts, 2);
  assert.equal(sink.received('inflight-token-abcdef').length, 1);
  assert.deepEqual(sink.received('waiting-token-abcdef').map((item) => item.answered), [429, 200]);
});

describe('the admin API', () => {
  test('refuses a missing or wrong token on every route', async () => {
    const routes = [['GET', '/api/events'], ['POST', '/api/preview'], ['GET', '/api/endpoints'], ['POST', '/api/endpoints'],
      ['GET', '/api/endpoints/x'], ['PATCH', '/api/endpoints/x'], ['DELETE', '/api/endpoints/x'],
      ['POST', '/api/endpoints/x/secret'], ['GET', '/api/endpoints/x/deliveries'], ['GET', '/api/deliveries/x'],
      ['POST', '/api/deliveries/x/redeliver']];
    // Each route's wrong token as a client of its own (CF-Connecting-IP): a client past five wrong tokens
    // waits (429), its right token too (tests/js/workerd/admin-access.test.mjs), and the tests after this one speak as
    // the default client.
    for (const [i, [method, path]] of routes.entries()) {
      for (const header of [{}, { authorization: `Bearer ${token}x` }, { authorization: token }]) {
        const response = await fetch(`${relay.base}${path}`, { method, headers: { ...header, 'cf-connecting-ip': `192.0.2.${i + 1}` } });
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.equal((await response.json()).code, 'unauthorized');
      }
    }
  });

  test('a bad body is 400 naming the field', async () => {
    const good = { name: 'n', destination_url: sink.webhook('field-token-abcdef'), events: { mode: 'all' } };
    const cases = [
      [{ ...good, name: '' }, 'name'],
      [{ ...good, destination_url: 'http://discord.example/api/webhooks/1/x' }, 'destination_url'],
      [{ ...good, destination_url: 'not a url' }, 'destination_url'],
      [{ ...good, events: { mode: 'some' } }, 'events.mode'],
      [{ ...good, events: { mode: 'custom', custom: [7] } }, 'events.custom'],
      [{ name: 'n', destination_url: good.destination_url }, 'events'],
      [{ ...good, secret: 'short' }, 'secret'],
      [{ ...good, colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const answer = await relay.api('POST', '/api/endpoints', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.field, field, JSON.stringify(answer.body));
    }
    const template = await relay.api('POST', '/api/endpoints', { ...good, template: '{\n  "content": "{{#x}}"\n}' });
    assert.deepEqual(template.body, {
      code: 'request_invalid', reason: 'template: content: {{#x}} is never closed with {{/x}} (line and column in the template\'s text)',
      field: 'template', line: 2, column: 15,
    });
    // A template object is placed in the request as it was sent, on one line or several.
    const sent = `{"name":"n","destination_url":${JSON.stringify(good.destination_url)},"events":{"mode":"all"},\n"template":{"content":"{{#dispatch.commits}} oops"}}`;
    const placed = await relay.api('POST', '/api/endpoints', sent);
    assert.equal(placed.body.field, 'template');
    assert.equal(placed.body.line, 2);
    assert.equal(placed.body.column, sent.split('\n')[1].indexOf('{{#dispatch') + 1);
    assert.match(placed.body.reason, /in the request body/);
    // A template that is valid but wrong for some of its events is saved, with warnings.
    const pushy = await relay.api('POST', '/api/endpoints', { ...good, template: { content: '{{dispatch.actor}} pushed {{dispatch.commit_count}} {{dispatch.nonexistant}}' } });
    assert.equal(pushy.status, 201);
    const byName = Object.fromEntries(pushy.body.warnings.map((warning) => [warning.name, warning]));
    assert.ok(byName['dispatch.commit_count'].missing_for.includes('pullrequest:created'), JSON.stringify(pushy.body.warnings));
    assert.deepEqual(byName['dispatch.commit_count'].found_for, ['repo:push']);
    assert.match(byName['dispatch.nonexistant'].reason, /is in no sample payload/);
    const quiet = await relay.api('PATCH', `/api/endpoints/${pushy.body.id}`, { events: { mode: 'push' } });
    assert.deepEqual(quiet.body.warnings?.map((warning) => warning.name), ['dispatch.nonexistant']);
    // Limits are refused at save, with the field and the limit.
    const big = await relay.api('POST', '/api/endpoints', { ...good, template: { content: 'x'.repeat(17000) } });
    assert.equal(big.body.field, 'template');
    assert.match(big.body.reason, /the limit is 16384/);
    let deep = 'x';
    for (let i = 0; i < 65; i += 1) deep = `{{#a}}${deep}{{/a}}`;
    const nested = await relay.api('POST', '/api/endpoints', { ...good, templates: { 'repo:push': { content: deep } } });
    assert.equal(nested.body.field, 'templates');
    assert.match(nested.body.reason, /deeper than 64 levels/);
    assert.equal((await relay.api('POST', '/api/endpoints', '{"name":')).body.code, 'body_not_json');
  });

  test('shows the secret on create and rotate only; a rotated secret takes over at once', async () => {
    const ep = await endpoint('rotate-token-abcdef');
    assert.equal(typeof ep.secret, 'string');
    assert.ok(ep.secret.length >= 32);
    const read = (await relay.api('GET', `/api/endpoints/${ep.id}`)).body;
    assert.equal(read.secret, undefined);
    assert.equal(read.url, ep.url);
    const rotated = await relay.api('POST', `/api/endpoints/${ep.id}/secret`);
    assert.equal(rotated.status, 200);
    secretsSeen.add(rotated.body.secret);
    assert.notEqual(rotated.body.secret, ep.secret);
    assert.equal((await hook(ep)).status, 401);
    assert.equal((await hook({ ...ep, secret: rotated.body.secret })).status, 202);
    const chosen = await relay.api('POST', `/api/endpoints/${ep.id}/secret`, { secret: 'my-own-secret-0123456789' });
    assert.equal(chosen.body.secret, 'my-own-secret-0123456789');
    secretsSeen.add(chosen.body.secret);
  });

  test('PATCH changes settings (checked by the core), DELETE removes the endpoint and its log', async () => {
    const ep = await endpoint('patch-token-abcdef');
    // The endpoint is compiled and kept on its first hook; a change takes over at the next one.
    assert.equal((await hook(ep)).body.status, 'accepted');
    const patched = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { name: 'renamed', events: { mode: 'custom', custom: ['repo:fork'] } });
    assert.equal(patched.status, 200);
    assert.deepEqual([patched.body.name, patched.body.events], ['renamed', { mode: 'custom', custom: ['repo:fork'] }]);
    assert.equal((await hook(ep)).body.status, 'ignored');
    assert.equal((await relay.api('PATCH', `/api/endpoints/${ep.id}`, { secret: 'x'.repeat(20) })).body.field, 'secret');
    assert.equal((await relay.api('DELETE', `/api/endpoints/${ep.id}`)).status, 204);
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).status, 404);
    assert.equal((await hook(ep)).status, 404);
  });

  test('no secret appears in any list, read or log line', async () => {
    const everything = JSON.stringify((await relay.api('GET', '/api/endpoints')).body);
    const logs = [];
    for (const ep of (await relay.api('GET', '/api/endpoints')).body) {
      const rows = (await relay.api('GET', `/api/endpoints/${ep.id}/deliveries?limit=500`)).body;
      logs.push(JSON.stringify(rows));
      for (const row of rows.slice(0, 5)) logs.push(JSON.stringify(await delivery(row.id)));
    }
    assert.ok(secretsSeen.size > 20);
    for (const secret of secretsSeen) {
      assert.ok(!everything.includes(secret), 'a secret is in GET /api/endpoints');
      assert.ok(!logs.join('\n').includes(secret), 'a secret is in a delivery log');
      assert.ok(!relay.log.includes(secret), 'a secret is in the Worker\'s log output');
    }
  });
});
