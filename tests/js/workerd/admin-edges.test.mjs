// The admin API's rough edges a newcomer met, under `wrangler dev`: clearing a destination marked broken,
// the log of a delivery that was never sent, 405s and 401s that say what to do, the Authorization scheme in
// any case, unknown fields on redelivery, and JSON answers that end with a newline.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';

import { eventually, root, sign } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'edges-test-admin-token-0123456789';
const pushBody = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));
const { relay, sink } = withRelay({ token, sink: true, vars: { RETRY_BASE_SECONDS: 1, MAX_FAILURES: 2, REPLAY_WINDOW_SECONDS: 0 } });

async function hook(endpoint) {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-event-key': 'repo:push', 'x-request-uuid': randomUUID(),
      'x-hub-signature': sign(endpoint.secret, pushBody),
    },
    body: pushBody,
  });
  return { status: response.status, body: await response.json() };
}

async function endpoint(webhookToken) {
  const created = await relay.api('POST', '/api/endpoints', {
    name: webhookToken, destination_url: sink.webhook(webhookToken), events: { mode: 'all' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

const settled = (id, status) => eventually(`delivery ${id} to be ${status}`, async () => {
  const current = (await relay.api('GET', `/api/deliveries/${id}`)).body;
  return current.status === status ? current : null;
});

// Makes an endpoint whose destination answered 404; returns it and the delivery that got the 404.
async function brokenEndpoint(webhookToken) {
  const ep = await endpoint(webhookToken);
  sink.script(webhookToken, [{ status: 404 }]);
  const failed = await settled((await hook(ep)).body.delivery, 'failed');
  await eventually('the destination to be marked broken',
    async () => (await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status === 'broken');
  return { ep, failed };
}

// A raw call with the given Authorization header (or none).
const call = (method, path, authorization) => fetch(`${relay.base}${path}`,
  { method, headers: authorization === undefined ? {} : { authorization } });

// Why nothing is sent to a destination marked broken after `cause`, as the API and the log say it.
const brokenWords = (cause) => `the destination is marked broken after "${cause}"; nothing is sent to it until it is resumed `
  + '(once the webhook works again: Resume on the Sources page, or POST /api/endpoints/{id}/resume) or its URL is changed';

describe('a destination marked broken', () => {
  test('PATCH {"destination_status":"ok"} clears it, and redelivery sends again', async () => {
    const { ep, failed } = await brokenEndpoint('clear-broken-token');
    // A PATCH of other fields leaves the mark; the destination saved again (the page's Settings, the same URL
    // included) clears it, as "the webhook works again" does.
    const renamed = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { name: 'renamed while broken' });
    assert.equal(renamed.body.destination_status, 'broken', 'a change of another field does not clear the mark');

    const cleared = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { destination_status: 'ok' });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal(cleared.body.destination_status, 'ok');
    assert.equal(cleared.body.state, 'active');
    assert.equal(cleared.body.destination_error, undefined);
    const read = (await relay.api('GET', `/api/endpoints/${ep.id}`)).body;
    assert.deepEqual([read.destination_status, read.state, read.destination_error], ['ok', 'active', undefined]);

    const again = await relay.api('POST', `/api/deliveries/${failed.id}/redeliver`);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    await settled(again.body.delivery, 'delivered');
    assert.deepEqual(sink.received('clear-broken-token').map((item) => item.answered), [404, 200]);
  });

  test('only "ok" is accepted, with a reason', async () => {
    const { ep } = await brokenEndpoint('only-ok-token');
    for (const value of ['broken', 'OK', true, null, '']) {
      const answer = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { destination_status: value });
      assert.equal(answer.status, 400, JSON.stringify(value));
      assert.deepEqual(answer.body, {
        code: 'request_invalid', field: 'destination_status',
        reason: 'destination_status can only be set to "ok", to clear a destination marked broken (dispatch marks it broken itself after a 404 or 401 from it)',
      });
    }
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status, 'broken');
  });
});

describe('a delivery that was never sent', () => {
  test('counts no attempt, logs none, and says why once', async () => {
    const { ep, failed } = await brokenEndpoint('not-sent-token');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.last_error, '404 from the destination: Unknown Webhook (code 10015); the destination is marked broken');
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_error,
      '404 from the destination: Unknown Webhook (code 10015)');

    const unsent = await settled((await hook(ep)).body.delivery, 'failed');
    assert.equal(unsent.attempts, 0);
    assert.deepEqual(unsent.attempt_log, []);
    assert.equal(unsent.last_error, `not sent: ${brokenWords('404 from the destination: Unknown Webhook (code 10015)')}; then redeliver`);
    assert.equal(unsent.response_status, null);

    const again = await relay.api('POST', `/api/deliveries/${unsent.id}/redeliver`);
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, {
      code: 'destination_broken',
      reason: brokenWords('404 from the destination: Unknown Webhook (code 10015)'),
    });
    assert.equal(sink.arrivals('not-sent-token'), 1);
  });
});

test('a mark made before its cause was kept apart still says "marked broken" once', async () => {
  const { brokenDestination } = await import('../../../js-shim/policy.mjs');
  const expected = brokenWords('401 from the destination: Invalid Webhook Token (code 50027)');
  assert.equal(brokenDestination('401 from the destination: Invalid Webhook Token (code 50027)'), expected);
  assert.equal(brokenDestination('401 from the destination: Invalid Webhook Token (code 50027); the destination is marked broken'), expected);
  assert.equal(brokenDestination(null), brokenWords('no reason kept'));
});

describe('405s of the admin API', () => {
  test('are JSON with the allowed methods, and Allow', async () => {
    const cases = [
      ['PUT', '/api/endpoints', 'GET, POST'],
      ['POST', '/api/events', 'GET'],
      ['GET', '/api/preview', 'POST'],
      ['POST', '/api/endpoints/x', 'GET, PATCH, DELETE'],
      ['GET', '/api/deliveries/x/redeliver', 'POST'],
      ['PUT', '/api/session', 'GET, POST, DELETE'],
      ['PUT', '/api/connections', 'GET'],
      ['GET', '/api/connections/bitbucket', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await call(method, path, `Bearer ${token}`);
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.equal(response.headers.get('allow'), allow, `${method} ${path}`);
      assert.match(response.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(await response.json(), { code: 'method_not_allowed', reason: `${path} allows ${allow}` });
    }
  });
});

describe('the Authorization header (issues 4 and 5)', () => {
  test('the scheme is case-insensitive, and one or more spaces follow it', async () => {
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `bEaReR ${token}`, `Bearer   ${token}`]) {
      assert.equal((await call('GET', '/api/events', header)).status, 200, header);
    }
    for (const header of [`Bearer\t${token}`, `Bearer${token}`, `Basic ${token}`, token]) {
      assert.equal((await call('GET', '/api/events', header)).status, 401, header);
    }
  });

  test('a 401 says how to authenticate: WWW-Authenticate, with invalid_token for a wrong token', async () => {
    const none = await call('GET', '/api/endpoints');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="dispatch"');
    const wrong = await call('GET', '/api/endpoints', `Bearer ${token}x`);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="dispatch", error="invalid_token"');
    assert.equal((await wrong.json()).code, 'unauthorized');
    const otherScheme = await call('GET', '/api/endpoints', `Basic ${token}`);
    assert.equal(otherScheme.headers.get('www-authenticate'), 'Bearer realm="dispatch"');
    const session = await call('GET', '/api/session');
    assert.equal(session.status, 401);
    assert.equal(session.headers.get('www-authenticate'), 'Bearer realm="dispatch"');
    const signIn = await fetch(`${relay.base}/api/session`, { method: 'POST', body: '{"token":"not-the-admin-token"}' });
    assert.equal(signIn.status, 401);
    assert.equal(signIn.headers.get('www-authenticate'), 'Bearer realm="dispatch"');
  });
});

describe('redelivery\'s body', () => {
  test('an unknown field is refused by name; an empty body or {} is fine', async () => {
    const ep = await endpoint('redeliver-body-token');
    const first = (await hook(ep)).body.delivery;
    await settled(first, 'delivered');
    const refused = await relay.api('POST', `/api/deliveries/${first}/redeliver`, { force: true });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, {
      code: 'request_invalid', field: 'force', reason: 'unknown field "force"; this call takes no fields (send no body, or {})',
    });
    assert.equal((await relay.api('POST', `/api/deliveries/${first}/redeliver`)).status, 202);
    assert.equal((await relay.api('POST', `/api/deliveries/${first}/redeliver`, {})).status, 202);
    const notJson = await relay.api('POST', `/api/deliveries/${first}/redeliver`, 'force');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.code, 'body_not_json');
    // The other calls without fields refuse them the same way.
    assert.equal((await relay.api('POST', `/api/deliveries/${first}/retry`, { now: true })).body.field, 'now');
    assert.equal((await relay.api('POST', `/api/endpoints/${ep.id}/disconnect`, { hook: false })).body.field, 'hook');
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.active, true);
  });
});

describe('JSON answers', () => {
  test('end with a newline', async () => {
    const ep = await endpoint('newline-token');
    const answers = [
      await call('GET', '/api/events', `Bearer ${token}`),
      await call('GET', `/api/endpoints/${ep.id}`, `Bearer ${token}`),
      await call('GET', '/api/nothing', `Bearer ${token}`),
      await call('GET', '/api/endpoints'),
      await call('PUT', '/api/endpoints', `Bearer ${token}`),
      await fetch(ep.url, { method: 'POST', body: '{}' }),
    ];
    for (const response of answers) {
      const text = await response.text();
      assert.ok(text.endsWith('}\n') || text.endsWith(']\n'), `${response.url} ${response.status}: ${JSON.stringify(text.slice(-20))}`);
      assert.doesNotThrow(() => JSON.parse(text));
    }
  });
});

// 600 endpoints with templates made one 4.9 MB answer.
describe('GET /api/endpoints is paged, and its list leaves templates out', () => {
  test('pages of `limit` in the order made, the next one in Link and X-Next-Cursor; templates only in GET one', async () => {
    const made = [];
    for (let i = 0; i < 5; i += 1) {
      const created = await relay.api('POST', '/api/endpoints', {
        name: `paged-${i}`, destination_url: sink.webhook(`paged-token-${i}`), events: { mode: 'all' },
        templates: { default: { content: `{{dispatch.event}} ${'x'.repeat(200)}` } },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      made.push(created.body.id);
    }
    const seen = [];
    let path = '/api/endpoints?limit=2';
    let pages = 0;
    while (path) {
      const page = await relay.api('GET', path);
      assert.equal(page.status, 200);
      assert.ok(page.body.length <= 2);
      for (const item of page.body) {
        assert.equal('templates' in item, false, 'the list leaves templates out');
        assert.equal('template' in item, false);
      }
      seen.push(...page.body.map((item) => item.id));
      const cursor = page.headers.get('x-next-cursor');
      if (cursor) assert.equal(page.headers.get('link'), `</api/endpoints?limit=2&cursor=${cursor}>; rel="next"`);
      path = cursor ? `/api/endpoints?limit=2&cursor=${cursor}` : null;
      pages += 1;
    }
    assert.equal(new Set(seen).size, seen.length, 'no endpoint twice');
    assert.deepEqual(seen.filter((id) => made.includes(id)), made, 'the order they were made');
    assert.ok(pages >= 3);
    const whole = (await relay.api('GET', '/api/endpoints?limit=500')).body;
    assert.deepEqual(whole.map((item) => item.id), seen);
    const one = await relay.api('GET', `/api/endpoints/${made[0]}`);
    assert.match(one.body.templates.default.content, /^\{\{dispatch\.event\}\} x+$/);
    for (const query of ['limit=0', 'limit=501', 'limit=two', 'cursor=not-a-cursor']) {
      const refused = await relay.api('GET', `/api/endpoints?${query}`);
      assert.equal(refused.status, 400, query);
      assert.equal(refused.body.code, 'request_invalid');
    }
  });
});
