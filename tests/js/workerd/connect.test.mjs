// Connecting Bitbucket end to end under the real runtime: `wrangler dev` (workerd, local D1 and Queues), the
// Bitbucket stand-in (script/bitbucket-standin.mjs: OAuth, the REST subset, signed deliveries) and the
// Discord stand-in. Everything goes through HTTP as a browser, Bitbucket and Discord see it: the consent
// page, the callback, repositories, a source's hook registered, changed, rotated and removed, tokens
// refreshed (also by several requests at once), a revoked consumer, and Bitbucket's refusals. At the end,
// no token, code or secret the test saw may appear in any answer or in wrangler's log.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';

import { eventually, sign } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'connect-test-admin-token-0123456789';
const clientId = 'connect-test-client';
const clientSecret = 'connect-test-client-secret-4f9a1c';
const secretsKey = randomBytes(32).toString('base64');
const graceSeconds = 4;
const seen = new Set([token, clientSecret, secretsKey]); // every credential the test saw
const answers = [];                                        // every answer body the relay gave
const { relay, standin, sink } = withRelay({
  token, sink: true, bitbucket: { clientId, clientSecret },
  vars: ({ base, standin: bitbucket }) => ({
    BITBUCKET_CLIENT_ID: clientId, BITBUCKET_CLIENT_SECRET: clientSecret, SECRETS_KEY: secretsKey,
    BITBUCKET_OAUTH_BASE: bitbucket.webUrl, BITBUCKET_API_BASE: bitbucket.apiUrl, PUBLIC_BASE_URL: base,
    SECRET_ROTATION_GRACE_SECONDS: graceSeconds, SWEEP_INTERVAL_SECONDS: 1,
  }),
});

// Calls the admin API and keeps the answer for the final search, except the two answers that show a
// secret by design (creating a source, rotating its secret: "shown here and on rotation only").
async function api(method, path, body, { showsSecret = false } = {}) {
  const answer = await relay.api(method, path, body);
  if (!showsSecret) answers.push(JSON.stringify(answer.body ?? ''));
  else answers.push(JSON.stringify({ ...answer.body, secret: undefined }));
  return answer;
}

const control = (method, path, body) => standin.control(method, path, body);
const state = () => control('GET', '/_standin/state');
const hooksOf = async (repository) => (await state()).hooks[repository] ?? [];

// Fills in and submits the stand-in's consent form with the button named `choice`; returns the redirect.
async function consent(authorizeUrl, choice) {
  const page = await fetch(authorizeUrl);
  assert.equal(page.status, 200);
  const html = await page.text();
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  assert.ok(form, 'the consent page has a form');
  const fields = new URLSearchParams();
  for (const [, name, value] of form[2].matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)) {
    fields.append(name, value.replaceAll('&amp;', '&').replaceAll('&quot;', '"'));
  }
  const button = [...form[2].matchAll(/<button([^>]*)>([\s\S]*?)<\/button>/gi)]
    .find(([, , label]) => label.replace(/<[^>]+>/g, '').trim() === choice);
  assert.ok(button, `the consent page has a "${choice}" button`);
  const name = /name="([^"]+)"/.exec(button[1])?.[1];
  const value = /value="([^"]*)"/.exec(button[1])?.[1] ?? '';
  if (name) fields.append(name, value);
  const action = new URL(form[1].replaceAll('&amp;', '&'), authorizeUrl);
  const answer = await fetch(action, {
    method: 'POST', redirect: 'manual', body: fields.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(answer.status, 302, await answer.text());
  return new URL(answer.headers.get('location'));
}

// Runs the whole authorisation as a browser does; returns the callback's answer.
async function authorize(choice = 'Grant access') {
  const started = await api('POST', '/api/connections/bitbucket');
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const authorizeUrl = new URL(started.body.authorize_url);
  assert.equal(`${authorizeUrl.origin}${authorizeUrl.pathname}`, `${standin.webUrl}/site/oauth2/authorize`);
  assert.equal(authorizeUrl.searchParams.get('client_id'), clientId);
  assert.equal(authorizeUrl.searchParams.get('response_type'), 'code');
  assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.match(authorizeUrl.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  // The state is not a secret (the authorize URL carries it by design); the code is a credential.
  const back = await consent(authorizeUrl, choice);
  if (back.searchParams.get('code')) seen.add(back.searchParams.get('code'));
  assert.equal(`${back.origin}${back.pathname}`, `${relay.base}/oauth/bitbucket/callback`);
  const callback = await fetch(back, { redirect: 'manual' });
  answers.push(await callback.text());
  return { callback, url: back };
}

async function connect() {
  const { callback } = await authorize();
  assert.equal(callback.status, 303);
  const location = new URL(callback.headers.get('location'), relay.base);
  assert.equal(location.pathname, '/sources');
  return location.searchParams.get('connection');
}

async function source(connection, repository, webhook, events = { mode: 'push' }) {
  seen.add(webhook);
  return api('POST', '/api/endpoints', {
    destination_url: sink.webhook(webhook), events, source: { connection, repository },
  }, { showsSecret: true });
}

async function endpointIds() {
  return (await api('GET', '/api/endpoints')).body.map((endpoint) => endpoint.id);
}

describe('connect and disconnect a Bitbucket repository', () => {
  let connection;
  let created;

  test('the admin API starts an authorisation; the callback stores the account', async () => {
    connection = await connect();
    assert.ok(connection);
    const listed = await api('GET', '/api/connections');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.length, 1);
    const [first] = listed.body;
    assert.equal(first.id, connection);
    assert.equal(first.provider, 'bitbucket');
    assert.equal(first.status, 'ok');
    assert.equal(first.account.display_name, 'Ada Lovelace');
    assert.match(first.account.uuid, /^\{[0-9a-f-]{36}\}$/);
    const exchange = (await state()).token_requests.find((entry) => entry.grant_type === 'authorization_code');
    assert.ok(exchange, 'the code was exchanged at the token endpoint');
  });

  test('the callback refuses a replayed or unknown state, and a missing session at /connect/bitbucket', async () => {
    const { url } = await authorize();
    const replay = await fetch(url, { redirect: 'manual' });
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /already used|expired/);
    url.searchParams.set('state', 'not-a-state-this-relay-handed-out-0123456789');
    const unknown = await fetch(url, { redirect: 'manual' });
    assert.equal(unknown.status, 400);
    const anonymous = await fetch(`${relay.base}/connect/bitbucket`, { redirect: 'manual' });
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get('location'), '/sources?signin=connect');
    assert.equal((await api('GET', '/api/connections')).body.length, 1, 'the same account is one connection');
  });

  test('Deny at the consent page comes back to /sources saying so', async () => {
    const { callback, url } = await authorize('Deny');
    assert.equal(url.searchParams.get('error'), 'access_denied');
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.get('location'), '/sources?connect_error=access_denied');
  });

  test('repositories: only those the account administers, paged, searchable', async () => {
    const all = [];
    let page = null;
    let pages = 0;
    do {
      const query = page ? `?page=${encodeURIComponent(page)}` : '';
      const answer = await api('GET', `/api/connections/${connection}/repositories${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      all.push(...answer.body.values);
      page = answer.body.next;
      pages += 1;
    } while (page && pages < 20);
    assert.ok(pages >= 3, `several pages (${pages})`);
    const names = all.map((repository) => repository.full_name);
    assert.ok(names.includes('acme/relay-api'));
    assert.equal(new Set(names).size, names.length, 'no repository twice');
    assert.ok(!names.some((name) => name.startsWith('globex/')), 'no repository the account only writes to');
    const [relayApi] = all.filter((repository) => repository.full_name === 'acme/relay-api');
    assert.deepEqual(Object.keys(relayApi).sort(), ['full_name', 'is_private', 'name', 'url', 'uuid', 'workspace']);

    const first = await api('GET', `/api/connections/${connection}/repositories?q=service`);
    assert.equal(first.body.values.length, 10);
    assert.ok(first.body.next);
    const second = await api('GET', `/api/connections/${connection}/repositories?q=service&page=${encodeURIComponent(first.body.next)}`);
    const found = [...first.body.values, ...second.body.values];
    assert.ok(found.length >= 12);
    assert.equal(second.body.next, undefined, 'no next page is offered when no other workspace has a match');
    assert.ok(found.every((repository) => /service/i.test(repository.name)));

    const forged = await api('GET', `/api/connections/${connection}/repositories?page=${btoa(JSON.stringify({ w: 0, next: 'http://169.254.169.254/latest' }))}`);
    assert.equal(forged.status, 400, 'a cursor pointing elsewhere is refused');

    const requests = (await state()).requests;
    assert.ok(requests.length > 0);
    assert.ok(requests.every((request) => request.auth === 'bearer'), 'every API call carried a Bearer token, nothing else');
  });

  // The second security probe: "../user" made the relay call GET /2.0/user with the connection's token.
  test('a repository name with a part of dots alone is refused before Bitbucket is called', async () => {
    const before = (await state()).requests?.length ?? null;
    for (const repository of ['../user', 'acme/..', './relay-api', 'acme/.', '%2e%2e/user', 'acme/relay-api/..']) {
      const refused = await source(connection, repository, 'connect-dots');
      assert.equal(refused.status, 400, `${repository}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.field, 'source');
    }
    if (before !== null) assert.equal((await state()).requests.length, before, 'no request reached Bitbucket');
  });

  test('a source registers exactly one hook, with our URL, the events and a secret', async () => {
    created = await source(connection, 'acme/relay-api', 'connect-src1', { mode: 'custom', custom: ['repo:push', 'pullrequest:created'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    seen.add(created.body.secret);
    assert.match(created.body.secret, /^[0-9a-f]{64}$/);
    assert.equal(created.body.source.provider, 'bitbucket');
    assert.equal(created.body.source.repository, 'acme/relay-api');
    assert.equal(created.body.source.status, 'registered');
    assert.match(created.body.source.hook_uuid, /^\{[0-9a-f-]{36}\}$/);
    const hooks = await hooksOf('acme/relay-api');
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0].url, `${relay.base}/hooks/${created.body.id}`);
    assert.deepEqual([...hooks[0].events].sort(), ['pullrequest:created', 'repo:push']);
    assert.equal(hooks[0].secret, created.body.secret);
    assert.equal(hooks[0].uuid, created.body.source.hook_uuid);
    const read = await api('GET', `/api/endpoints/${created.body.id}`);
    assert.equal(read.body.state, 'active');
    assert.equal(read.body.secret, undefined);
  });

  test('a push in Bitbucket is verified and delivered', async () => {
    const pushed = await control('POST', '/_standin/repositories/acme/relay-api/push', { commits: 2 });
    assert.equal(pushed.deliveries.length, 1);
    assert.equal(pushed.deliveries[0].attempts.at(-1).status, 202);
    const got = await eventually('the message at Discord', () => sink.received('connect-src1').find((entry) => entry.answered === 200));
    assert.match(got.body.embeds[0].title, /acme\/relay-api/);
    const [logged] = (await api('GET', `/api/endpoints/${created.body.id}/deliveries`)).body;
    assert.equal(logged.event, 'repo:push');
    const full = await api('GET', `/api/deliveries/${logged.id}`);
    assert.match(full.body.request_headers['x-hub-signature'], /^sha256=[0-9a-f]{8}…$/);
    assert.equal(full.body.request_headers['x-event-key'], 'repo:push');
  });

  test('changing the events PUTs them to the hook', async () => {
    const changed = await api('PATCH', `/api/endpoints/${created.body.id}`, { events: { mode: 'push' } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const [hook] = await hooksOf('acme/relay-api');
    assert.deepEqual(hook.events, ['repo:push']);
    const puts = (await state()).requests.filter((request) => request.method === 'PUT' && request.path.includes('/hooks/'));
    assert.ok(puts.length >= 1);
  });

  test('rotation: the hook gets the new secret; the old one verifies inside the window only', async () => {
    const oldSecret = created.body.secret;
    const rotated = await api('POST', `/api/endpoints/${created.body.id}/secret`, undefined, { showsSecret: true });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    seen.add(rotated.body.secret);
    assert.notEqual(rotated.body.secret, oldSecret);
    assert.ok(rotated.body.previous_valid_until);
    const [hook] = await hooksOf('acme/relay-api');
    assert.equal(hook.secret, rotated.body.secret);
    // Each post is another event (the same bytes twice would be a replay, answered 200 and not delivered).
    const post = (secret) => {
      const body = JSON.stringify({ push: { changes: [] }, repository: { full_name: 'acme/relay-api' }, actor: {}, n: randomUUID() });
      return fetch(`${relay.base}/hooks/${created.body.id}`, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', 'x-event-key': 'repo:push', 'x-hub-signature': sign(secret, body) },
      });
    };
    assert.equal((await post(oldSecret)).status, 202, 'the previous secret, inside the window');
    assert.equal((await post(rotated.body.secret)).status, 202, 'the new secret');
    await new Promise((wait) => setTimeout(wait, (graceSeconds + 1) * 1000));
    assert.equal((await post(oldSecret)).status, 401, 'the previous secret, after the window');
    assert.equal((await post(rotated.body.secret)).status, 202);
    created.body.secret = rotated.body.secret;
  });

  test('an expired token is refreshed once, even when several requests need it at once', async () => {
    // A new authorisation whose access token expires at once; refreshes take a while to answer.
    await control('POST', '/_standin/config', { access_token_ttl: 1 });
    assert.equal(await connect(), connection, 'the same account keeps its connection');
    await control('POST', '/_standin/config', { access_token_ttl: 7200, token_delay_ms: 600 });
    const refreshesBefore = (await state()).token_requests.filter((entry) => entry.grant_type === 'refresh_token').length;
    const path = `/api/connections/${connection}/repositories`;
    const results = await Promise.all(Array.from({ length: 8 }, () => api('GET', path)));
    for (const result of results) assert.equal(result.status, 200, JSON.stringify(result.body));
    const after = await state();
    const refreshes = after.token_requests.filter((entry) => entry.grant_type === 'refresh_token');
    assert.equal(refreshes.length - refreshesBefore, 1, 'one refresh for eight requests');
    assert.deepEqual(after.violations, [], 'no two refreshes of one connection overlapped');
    await control('POST', '/_standin/config', { token_delay_ms: 0 });
    // The rotated refresh token was stored: the connection still works afterwards.
    assert.equal((await api('GET', path)).status, 200);
  });

  test('a 401 from the API refreshes the token and sends the call again', async () => {
    await control('POST', '/_standin/expire');
    const before = (await state()).token_requests.length;
    const answer = await api('GET', `/api/connections/${connection}/repositories`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const after = await state();
    assert.deepEqual(after.token_requests.slice(before).map((entry) => entry.grant_type), ['refresh_token']);
    assert.ok(after.requests.some((request) => request.status === 401), 'Bitbucket did answer 401 first');
  });

  test('invalid_request on refresh: the connection needs reconnecting, and says so', async () => {
    // Bitbucket's older answer to a dead refresh token is invalid_request (invalid_grant is covered below).
    await control('POST', '/_standin/config', { refresh_error: 'invalid_request' });
    await control('POST', '/_standin/revoke');
    const answer = await api('GET', `/api/connections/${connection}/repositories`);
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'connection_needs_reconnect');
    const [listed] = (await api('GET', '/api/connections')).body;
    assert.equal(listed.status, 'needs_reconnect');
    assert.equal((await api('GET', `/api/endpoints/${created.body.id}`)).body.state, 'needs_reconnect');
    await control('POST', '/_standin/config', { refresh_error: 'invalid_grant' });
    assert.equal(await connect(), connection);
    assert.equal((await api('GET', `/api/endpoints/${created.body.id}`)).body.state, 'active');
  });

  test('disconnect deletes the hook and the hook URL answers 410', async () => {
    const outcome = await api('POST', `/api/endpoints/${created.body.id}/disconnect`);
    assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
    assert.deepEqual(outcome.body.source, { status: 'removed' });
    assert.deepEqual(await hooksOf('acme/relay-api'), []);
    assert.ok((await state()).requests.some((request) => request.method === 'DELETE' && request.path.includes('/hooks/')));
    const gone = await fetch(`${relay.base}/hooks/${created.body.id}`, { method: 'POST', body: '{}', headers: { 'x-event-key': 'repo:push' } });
    assert.equal(gone.status, 410);
    const read = await api('GET', `/api/endpoints/${created.body.id}`);
    assert.equal(read.body.state, 'disconnected');
    assert.equal(read.body.source.status, 'removed');
  });

  test('Bitbucket refusals are answered in words, and leave no endpoint behind', async () => {
    const before = await endpointIds();
    const notAdmin = await source(connection, 'globex/portal', 'connect-refused');
    assert.equal(notAdmin.status, 403, JSON.stringify(notAdmin.body));
    assert.equal(notAdmin.body.code, 'bitbucket_not_admin');
    assert.match(notAdmin.body.reason, /not an administrator/);

    await control('POST', '/_standin/repositories/acme/billing-service/hooks/fill', { count: 50 });
    const full = await source(connection, 'acme/billing-service', 'connect-refused');
    assert.equal(full.status, 409, JSON.stringify(full.body));
    assert.equal(full.body.code, 'bitbucket_hook_limit');
    assert.equal((await hooksOf('acme/billing-service')).length, 50);

    await control('POST', '/_standin/fail', { method: 'POST', path: '/hooks$', status: 503, times: 1 });
    const down = await source(connection, 'acme/relay-api', 'connect-refused');
    assert.equal(down.status, 502, JSON.stringify(down.body));
    assert.equal(down.body.code, 'bitbucket_unavailable');

    await control('POST', '/_standin/fail', { method: 'POST', path: '/hooks$', status: 429, times: 1, retry_after: 30 });
    const limited = await source(connection, 'acme/relay-api', 'connect-refused');
    assert.equal(limited.status, 429, JSON.stringify(limited.body));
    assert.equal(limited.body.code, 'bitbucket_rate_limited');
    assert.equal(limited.headers.get('retry-after'), '30');

    const missing = await source(connection, 'acme/does-not-exist', 'connect-refused');
    assert.equal(missing.status, 404, JSON.stringify(missing.body));
    assert.equal(missing.body.code, 'bitbucket_repository_not_found');

    // A consumer without the webhook permission: the missing scope is named.
    await control('POST', '/_standin/config', { scopes: 'account repository pullrequest issue' });
    await connect();
    const noScope = await source(connection, 'acme/relay-api', 'connect-refused');
    assert.equal(noScope.status, 403, JSON.stringify(noScope.body));
    assert.equal(noScope.body.code, 'bitbucket_scope_missing');
    assert.deepEqual(noScope.body.required, ['webhook']);
    assert.match(noScope.body.reason, /Webhooks/);
    await control('POST', '/_standin/config', { scopes: 'account repository pullrequest issue webhook' });
    await connect();

    assert.deepEqual(await endpointIds(), before, 'no endpoint was left behind');
    assert.deepEqual(await hooksOf('acme/relay-api'), [], 'no hook was left behind');
  });

  test('a hook left behind is taken over by the next source of its repository, never duplicated', async () => {
    const first = await source(connection, 'acme/relay-api', 'connect-takeover');
    assert.equal(first.status, 201, JSON.stringify(first.body));
    seen.add(first.body.secret);
    const again = await source(connection, 'acme/relay-api', 'connect-takeover');
    assert.equal(again.status, 409, 'the same repository into the same channel twice');
    assert.equal(again.body.code, 'source_exists');
    await control('POST', '/_standin/fail', { method: 'DELETE', path: '/hooks/', status: 503, times: 1 });
    const left = await api('POST', `/api/endpoints/${first.body.id}/disconnect`);
    assert.equal(left.body.source.status, 'left_behind', JSON.stringify(left.body));
    assert.equal(left.body.source.reason, 'Bitbucket could not be reached (it answered 503); try again in a minute.');
    const next = await source(connection, 'acme/relay-api', 'connect-takeover');
    assert.equal(next.status, 201, JSON.stringify(next.body));
    seen.add(next.body.secret);
    const hooks = await hooksOf('acme/relay-api');
    assert.equal(hooks.length, 1, 'one hook, not two');
    assert.equal(hooks[0].uuid, first.body.source.hook_uuid, 'the left-behind hook, taken over with PUT');
    assert.equal(hooks[0].url, `${relay.base}/hooks/${next.body.id}`);
    assert.equal(hooks[0].secret, next.body.secret);
    assert.equal((await api('GET', `/api/endpoints/${first.body.id}`)).body.source.status, 'removed');
    assert.deepEqual((await api('POST', `/api/endpoints/${next.body.id}/disconnect`)).body.source, { status: 'removed' });
    assert.deepEqual(await hooksOf('acme/relay-api'), []);
  });

  test('a revoked consumer: disconnect leaves the hook behind with the steps; reconnecting removes it', async () => {
    const second = await source(connection, 'acme/relay-api', 'connect-src2');
    assert.equal(second.status, 201, JSON.stringify(second.body));
    seen.add(second.body.secret);
    assert.equal((await api('DELETE', `/api/connections/${connection}`)).status, 409, 'in use');
    await control('POST', '/_standin/revoke');
    const outcome = await api('POST', `/api/endpoints/${second.body.id}/disconnect`);
    assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
    assert.equal(outcome.body.source.status, 'left_behind');
    assert.match(outcome.body.source.steps, /Repository settings → Webhooks/);
    assert.ok(outcome.body.source.steps.includes(`/hooks/${second.body.id}`));
    assert.equal((await hooksOf('acme/relay-api')).length, 1, 'the hook is still at Bitbucket');
    const [listed] = (await api('GET', '/api/connections')).body;
    assert.equal(listed.status, 'needs_reconnect');
    assert.ok(listed.reason);
    const gone = await fetch(`${relay.base}/hooks/${second.body.id}`, { method: 'POST', body: '{}' });
    assert.equal(gone.status, 410);

    assert.equal(await connect(), connection, 'reconnecting restores the same connection');
    assert.equal((await api('GET', '/api/connections')).body[0].status, 'ok');
    await eventually('the left-behind hook to be removed', async () => (await hooksOf('acme/relay-api')).length === 0);
    const read = await eventually('the source to say removed', async () => {
      const current = await api('GET', `/api/endpoints/${second.body.id}`);
      return current.body.source.status === 'removed' ? current : null;
    });
    assert.equal(read.body.state, 'disconnected');
  });

  test('a connection without sources can be forgotten', async () => {
    const removed = await api('DELETE', `/api/connections/${connection}`);
    assert.equal(removed.status, 204);
    assert.deepEqual((await api('GET', '/api/connections')).body, []);
  });
});

describe('the Sources page\'s session', () => {
  const page = (path, init = {}) => fetch(`${relay.base}${path}`, { redirect: 'manual', ...init });
  let cookie;
  let csrf;

  test('a wrong token is refused; the right one starts an HttpOnly, SameSite=Strict session', async () => {
    const wrong = await page('/api/session', { method: 'POST', body: JSON.stringify({ token: 'not-the-admin-token-at-all' }) });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).code, 'token_wrong');
    const right = await page('/api/session', { method: 'POST', body: JSON.stringify({ token }) });
    assert.equal(right.status, 200);
    const setCookie = right.headers.get('set-cookie');
    assert.match(setCookie, /^dispatch_session=[A-Za-z0-9_-]{40,}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    assert.doesNotMatch(setCookie, /Secure/, 'plain http locally; Secure on https');
    cookie = setCookie.split(';')[0];
    seen.add(cookie.split('=')[1]);
    const answer = await right.json();
    csrf = answer.csrf;
    assert.equal(answer.bitbucket.configured, true);
    assert.equal(answer.bitbucket.callback_url, `${relay.base}/oauth/bitbucket/callback`);
    const read = await page('/api/session', { headers: { cookie } });
    assert.equal(read.status, 200);
    assert.equal((await read.json()).csrf, csrf);
  });

  test('with the cookie, reads need nothing more; changes need the CSRF header, from this origin', async () => {
    assert.equal((await page('/api/endpoints', { headers: { cookie } })).status, 200);
    const body = JSON.stringify({ name: 'csrf probe', destination_url: sink.webhook('connect-csrf'), events: { mode: 'push' } });
    const crossSite = await page('/api/endpoints', { method: 'POST', body, headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' } });
    assert.equal(crossSite.status, 403);
    assert.equal((await crossSite.json()).code, 'csrf_failed');
    const noToken = await page('/api/endpoints', { method: 'POST', body, headers: { cookie, origin: relay.base } });
    assert.equal(noToken.status, 403);
    const forgedToken = await page('/api/endpoints', { method: 'POST', body, headers: { cookie, origin: relay.base, 'x-dispatch-csrf': 'x'.repeat(32) } });
    assert.equal(forgedToken.status, 403);
    const fetchedCrossSite = await page('/api/endpoints', { method: 'POST', body, headers: { cookie, 'x-dispatch-csrf': csrf, 'sec-fetch-site': 'cross-site' } });
    assert.equal(fetchedCrossSite.status, 403);
    const good = await page('/api/endpoints', { method: 'POST', body, headers: { cookie, origin: relay.base, 'x-dispatch-csrf': csrf } });
    assert.equal(good.status, 201);
    seen.add((await good.json()).secret);
    const connect = await page('/connect/bitbucket', { headers: { cookie } });
    assert.equal(connect.status, 302);
    assert.ok(connect.headers.get('location').startsWith(`${standin.webUrl}/site/oauth2/authorize?client_id=${clientId}&response_type=code&state=`));
  });

  // A valid code and state with no cookie created a connection.
  test('an authorisation started in a browser finishes only in that browser (its SameSite=Lax binding cookie)', async () => {
    const start = async () => {
      const started = await page('/connect/bitbucket', { headers: { cookie } });
      assert.equal(started.status, 302);
      const binding = started.headers.get('set-cookie');
      assert.match(binding, /^dispatch_oauth=[A-Za-z0-9_-]{40,}; HttpOnly; SameSite=Lax; Path=\/; Max-Age=600$/);
      const back = await consent(new URL(started.headers.get('location')), 'Grant access');
      seen.add(back.searchParams.get('code'));
      return { back, binding: binding.split(';')[0] };
    };
    const carried = await start();
    const elsewhere = await fetch(carried.back, { redirect: 'manual' });
    answers.push(await elsewhere.clone().text());
    assert.equal(elsewhere.status, 400);
    assert.match(await elsewhere.text(), /started in another browser/);
    const forged = await start();
    const wrongBinding = await fetch(forged.back, { redirect: 'manual', headers: { cookie: carried.binding } });
    assert.equal(wrongBinding.status, 400);
    const mine = await start();
    const finished = await fetch(mine.back, { redirect: 'manual', headers: { cookie: mine.binding } });
    assert.equal(finished.status, 303);
    assert.match(finished.headers.get('location'), /^\/sources\?connection=/);
    assert.match(finished.headers.get('set-cookie'), /^dispatch_oauth=; .*Max-Age=0/);
  });

  test('sign-out ends the session', async () => {
    const out = await page('/api/session', { method: 'DELETE', headers: { cookie, origin: relay.base, 'x-dispatch-csrf': csrf } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie'), /^dispatch_session=; .*Max-Age=0/);
    assert.equal((await page('/api/endpoints', { headers: { cookie } })).status, 401);
    assert.equal((await page('/api/session', { headers: { cookie } })).status, 401);
  });

  test('repeated wrong tokens are slowed down: after five, every try waits, even with the right token', async () => {
    // As a client of its own (CF-Connecting-IP): a client held waits with the admin token too, bearer included,
    // and the suites after this one speak as the default client.
    const attempt = (value) => page('/api/session', {
      method: 'POST', body: JSON.stringify({ token: value }), headers: { 'cf-connecting-ip': '192.0.2.77' },
    });
    assert.equal((await attempt('the-first-wrong-token')).status, 401);
    assert.equal((await attempt(token)).status, 200);
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await attempt(`wrong-token-number-${i}`)).status);
    // (The wrong token of the first test was forgiven by the right one that followed it.)
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    const blocked = await attempt(token);
    assert.equal(blocked.status, 429);
    const seconds = Number(blocked.headers.get('retry-after'));
    assert.ok(seconds >= 1 && seconds <= 60, `Retry-After ${seconds}`);
    assert.equal((await blocked.json()).code, 'too_many_attempts');
  });
});

describe('the delivery log for the Sources page', () => {
  let endpoint;
  const body = (n) => Buffer.from(JSON.stringify({ push: { changes: [] }, repository: { full_name: `acme/log-${n}` }, actor: {} }));
  const post = (event, payload, secret = endpoint.secret) => fetch(endpoint.url, {
    method: 'POST', body: payload,
    headers: { 'content-type': 'application/json', 'x-event-key': event, 'x-hub-signature': sign(secret, payload) },
  });

  before(async () => {
    const created = await api('POST', '/api/endpoints', {
      name: 'log', destination_url: sink.webhook('connect-log'), events: { mode: 'custom', custom: ['repo:push', 'pullrequest:created'] },
    }, { showsSecret: true });
    endpoint = created.body;
    seen.add(endpoint.secret);
  });

  test('pages with a cursor, filters by status and event', async () => {
    for (let n = 0; n < 3; n += 1) assert.equal((await post('repo:push', body(n))).status, 202);
    assert.equal((await post('repo:fork', body(9))).status, 200);
    assert.equal((await post('repo:push', body(9), 'a-wrong-secret-entirely')).status, 401);
    const first = await api('GET', `/api/endpoints/${endpoint.id}/deliveries?limit=2`);
    assert.equal(first.body.length, 2);
    const cursor = first.headers.get('x-next-cursor');
    assert.ok(cursor);
    assert.match(first.headers.get('link'), /rel="next"/);
    const rest = await api('GET', `/api/endpoints/${endpoint.id}/deliveries?limit=10&cursor=${cursor}`);
    assert.equal(rest.body.length, 3);
    assert.equal(rest.headers.get('x-next-cursor'), null);
    const ids = [...first.body, ...rest.body].map((row) => row.id);
    assert.equal(new Set(ids).size, 5);
    const times = [...first.body, ...rest.body].map((row) => row.received_at);
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
    const ignored = await api('GET', `/api/endpoints/${endpoint.id}/deliveries?status=ignored`);
    assert.deepEqual(ignored.body.map((row) => row.event), ['repo:fork']);
    const pushes = await api('GET', `/api/endpoints/${endpoint.id}/deliveries?event=repo:push`);
    assert.equal(pushes.body.length, 4);
    assert.equal((await api('GET', `/api/endpoints/${endpoint.id}/deliveries?status=lost`)).status, 400);
    assert.equal((await api('GET', `/api/endpoints/${endpoint.id}/deliveries?cursor=%%%`)).status, 400);
  });

  test('the payload as received; a refused request kept no body', async () => {
    const rows = (await api('GET', `/api/endpoints/${endpoint.id}/deliveries`)).body;
    const accepted = rows.find((row) => row.verdict === 'deliver');
    const raw = await fetch(`${relay.base}/api/deliveries/${accepted.id}/payload`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(raw.status, 200);
    assert.match(Buffer.from(await raw.arrayBuffer()).toString(), /^\{"push":\{"changes":\[\]\},"repository":\{"full_name":"acme\/log-\d"\},"actor":\{\}\}$/);
    const refused = rows.find((row) => row.verdict === 'reject');
    const none = await fetch(`${relay.base}/api/deliveries/${refused.id}/payload`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(none.status, 410);
  });

  test('Send test event goes through the receive path and is marked as a test', async () => {
    const sent = await api('POST', `/api/endpoints/${endpoint.id}/test`, { event: 'pullrequest:created' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.answered, 202);
    assert.equal(sent.body.status, 'accepted');
    let last;
    const delivered = await eventually(() => `the test event at Discord (last seen: ${JSON.stringify(last)})`, async () => {
      last = (await api('GET', `/api/deliveries/${sent.body.delivery}`)).body;
      return last.status === 'delivered' ? last : null;
    });
    assert.equal(delivered.test, true);
    assert.equal(delivered.event, 'pullrequest:created');
    assert.match(delivered.title, /Pull request opened/);
    assert.match(delivered.request_headers['x-hub-signature'], /^sha256=[0-9a-f]{8}…$/);
    const ignored = await api('POST', `/api/endpoints/${endpoint.id}/test`, { event: 'repo:fork' });
    assert.equal(ignored.body.answered, 200);
    assert.equal(ignored.body.status, 'ignored');
    assert.equal((await api('POST', `/api/endpoints/${endpoint.id}/test`, { event: 'repo:nope' })).status, 400);
  });

  test('a delivery waiting on a backoff can be sent now; others cannot', async () => {
    sink.script('connect-log', [{ status: 500 }]);
    const payload = body(42);
    const accepted = await (await post('repo:push', payload)).json();
    const waiting = await eventually('the first attempt to fail', async () => {
      const row = (await api('GET', `/api/deliveries/${accepted.delivery}`)).body;
      return row.status === 'pending' && row.attempts === 1 ? row : null;
    });
    assert.ok(Date.parse(waiting.next_attempt_at) > Date.now(), 'it waits on a backoff');
    assert.equal(waiting.attempt_log[0].status, 500);
    assert.ok(Number.isInteger(waiting.attempt_log[0].duration_ms));
    const now = await api('POST', `/api/deliveries/${accepted.delivery}/retry`);
    assert.equal(now.status, 202);
    const done = await eventually('the retry to deliver', async () => {
      const row = (await api('GET', `/api/deliveries/${accepted.delivery}`)).body;
      return row.status === 'delivered' ? row : null;
    }, 8000);
    assert.equal(done.attempts, 2);
    assert.equal((await api('POST', `/api/deliveries/${accepted.delivery}/retry`)).status, 409);
  });
});

describe('secrets stay secret', () => {
  test('no token, code or secret appears in any answer or in the relay\'s log', async () => {
    const issued = (await state()).issued ?? [];
    for (const value of issued) seen.add(value);
    const hooks = (await state()).hooks;
    for (const list of Object.values(hooks)) for (const hook of list) if (hook.secret) seen.add(hook.secret);
    assert.ok(seen.size > 10, 'the test saw credentials to look for');
    const haystacks = [...answers.map((text, i) => [`answer ${i}`, text]), ['wrangler\'s log', relay.log]];
    for (const value of seen) {
      if (!value || value.length < 8) continue;
      for (const [where, text] of haystacks) {
        const at = text.indexOf(value);
        const context = () => `${text.slice(Math.max(0, at - 60), at)}<…>${text.slice(at + value.length, at + value.length + 20)}`;
        assert.ok(at < 0, `a credential leaked into ${where}: ${at < 0 ? '' : context()}`);
      }
    }
  });
});
