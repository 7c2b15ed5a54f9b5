// The Bitbucket stand-in (script/bitbucket-standin.mjs), driven through HTTP only: what real Bitbucket
// refuses, it must refuse, with Bitbucket's status and shape.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import { startBitbucketStandin } from '../../../script/bitbucket-standin.mjs';

const clientId = 'test-consumer';
const clientSecret = 'test-consumer-secret';
const callbackUrl = 'http://127.0.0.1:9/oauth/bitbucket/callback';

let standin;
before(async () => {
  standin = await startBitbucketStandin({ clientId, clientSecret, callbackUrl });
});
after(() => standin.close());
beforeEach(() => standin.control('POST', '/_standin/reset'));

const basic = (id = clientId, secret = clientSecret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = 'application/x-www-form-urlencoded';

async function tokenRequest(fields, { auth = basic(), contentType = form, body } = {}) {
  const answer = await fetch(`${standin.webUrl}/site/oauth2/access_token`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(auth ? { authorization: auth } : {}) },
    body: body ?? new URLSearchParams(fields).toString(),
  });
  return { status: answer.status, body: await answer.json() };
}

// Grants access on the consent page and returns the code from the redirect.
async function grantCode(params = {}) {
  const { status, location } = await standin.consent(standin.authorizeUrl({ state: 's1', ...params }));
  assert.equal(status, 302);
  return new URL(location).searchParams.get('code');
}

async function connect(params) {
  const answer = await tokenRequest({ grant_type: 'authorization_code', code: await grantCode(params) });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

const refresh = (refreshToken) => tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });

async function api(token, method, path, body, headers = {}) {
  const target = path.startsWith('http') ? path : `${standin.apiUrl}${path}`;
  const answer = await fetch(target, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  return { status: answer.status, headers: answer.headers, body: text ? JSON.parse(text) : null };
}

const hookBody = (overrides = {}) => ({
  description: 'dispatch', url: 'https://relay.example.com/hooks/ep_1', active: true, secret: 's3cret', events: ['repo:push'],
  ...overrides,
});

describe('authorize', () => {
  test('refuses an unknown client_id, a foreign redirect_uri and another response_type with a page, never a redirect', async () => {
    for (const params of [
      { client_id: 'nobody', response_type: 'code', state: 'x' },
      { client_id: clientId, response_type: 'code', state: 'x', redirect_uri: 'https://evil.example/cb' },
      { client_id: clientId, response_type: 'token', state: 'x' },
      { response_type: 'code' },
    ]) {
      const answer = await fetch(`${standin.webUrl}/site/oauth2/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });
      assert.equal(answer.status, 400, JSON.stringify(params));
      assert.equal(answer.headers.get('location'), null);
      assert.match(answer.headers.get('content-type'), /text\/html/);
      assert.doesNotMatch(await answer.text(), /Grant access/);
    }
  });

  test('the consent page names the consumer, the signed-in user and the scopes in words', async () => {
    const url = new URL(standin.authorizeUrl({ state: 'x"<y>' }));
    const html = await (await fetch(url)).text();
    const action = /<form method="post" action="([^"]*)">/.exec(html)[1];
    assert.equal(action.replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&'), url.pathname + url.search);
    assert.match(html, /dispatch/);
    assert.match(html, /Ada Lovelace/);
    assert.match(html, /Read and modify your repositories' webhooks/);
    assert.match(html, /<button type="submit" name="decision" value="grant">Grant access<\/button>/);
    assert.match(html, /<button type="submit" name="decision" value="deny">Deny<\/button>/);
    await standin.control('POST', '/_standin/login', { user: 'grace' });
    assert.match(await (await fetch(standin.authorizeUrl())).text(), /Grace Hopper/);
  });

  test('grant redirects to the callback with a code and the state echoed exactly', async () => {
    const state = 'a b&c=d/é+%';
    const { status, location } = await standin.consent(standin.authorizeUrl({ state }));
    assert.equal(status, 302);
    const target = new URL(location);
    assert.equal(`${target.origin}${target.pathname}`, callbackUrl);
    assert.equal(target.searchParams.get('state'), state);
    assert.match(target.searchParams.get('code'), /^[A-Za-z0-9]{10,}$/);
    const { authorisations } = await standin.state();
    assert.deepEqual(authorisations.map(({ user, status: how }) => [user, how]), [['ada', 'granted']]);
  });

  test('without a state, the redirect has none; a redirect_uri under the callback is honoured', async () => {
    const plain = await standin.consent(standin.authorizeUrl());
    assert.equal(new URL(plain.location).searchParams.has('state'), false);
    const deeper = `${callbackUrl}/extra?keep=1`;
    const { location } = await standin.consent(standin.authorizeUrl({ redirect_uri: deeper, state: 'z' }));
    const target = new URL(location);
    assert.equal(target.pathname, '/oauth/bitbucket/callback/extra');
    assert.equal(target.searchParams.get('keep'), '1');
    assert.equal(target.searchParams.get('state'), 'z');
  });

  test('deny redirects with error=access_denied, a description and the state', async () => {
    const { status, location } = await standin.consent(standin.authorizeUrl({ state: 'st-9' }), 'deny');
    assert.equal(status, 302);
    const target = new URL(location);
    assert.equal(target.searchParams.get('error'), 'access_denied');
    assert.ok(target.searchParams.get('error_description'));
    assert.equal(target.searchParams.get('state'), 'st-9');
    assert.equal(target.searchParams.has('code'), false);
  });

  test('a consent form cannot be posted without the page that issued it, nor twice', async () => {
    const url = standin.authorizeUrl({ state: 'x' });
    const forged = await fetch(url, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': form }, body: 'decision=grant&csrfmiddlewaretoken=nope',
    });
    assert.equal(forged.status, 400);
    assert.equal(forged.headers.get('location'), null);
    const html = await (await fetch(url)).text();
    const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)[1];
    const post = () => fetch(url, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': form },
      body: new URLSearchParams({ csrfmiddlewaretoken: csrf, decision: 'grant' }).toString(),
    });
    assert.equal((await post()).status, 302);
    assert.equal((await post()).status, 400);
  });
});

describe('token endpoint', () => {
  test('a code works once; a second use, an unknown code and a missing code are invalid_grant', async () => {
    const code = await grantCode();
    const first = await tokenRequest({ grant_type: 'authorization_code', code });
    assert.equal(first.status, 200);
    const invalid = { error: 'invalid_grant', error_description: 'The authorization code is invalid or expired.' };
    assert.deepEqual(await tokenRequest({ grant_type: 'authorization_code', code }), { status: 400, body: invalid });
    assert.deepEqual(await tokenRequest({ grant_type: 'authorization_code', code: 'made-up' }), { status: 400, body: invalid });
    assert.deepEqual(await tokenRequest({ grant_type: 'authorization_code' }), { status: 400, body: invalid });
  });

  test('refuses a JSON body as Bitbucket does', async () => {
    const code = await grantCode();
    const answer = await tokenRequest(undefined, {
      contentType: 'application/json', body: JSON.stringify({ grant_type: 'authorization_code', code }),
    });
    assert.deepEqual(answer, { status: 400, body: { error: 'invalid_grant', error_description: 'Unsupported grant type: None' } });
    assert.equal((await tokenRequest({ grant_type: 'authorization_code', code })).status, 200, 'the refused request did not use the code');
  });

  test('refuses wrong or missing client credentials with 401 invalid_client', async () => {
    const code = await grantCode();
    for (const options of [{ auth: basic(clientId, 'wrong') }, { auth: basic('other', clientSecret) }, { auth: null }]) {
      const answer = await tokenRequest({ grant_type: 'authorization_code', code }, options);
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'invalid_client');
      assert.equal(typeof answer.body.error_description, 'string');
    }
    const inBody = await tokenRequest({ grant_type: 'authorization_code', code, client_id: clientId, client_secret: 'wrong' }, { auth: null });
    assert.equal(inBody.status, 401);
  });

  test('client credentials work by HTTP Basic and in the body', async () => {
    const code = await grantCode();
    const byBasic = await tokenRequest({ grant_type: 'authorization_code', code });
    const byBody = await tokenRequest(
      { grant_type: 'authorization_code', code: await grantCode(), client_id: clientId, client_secret: clientSecret }, { auth: null },
    );
    assert.equal(byBasic.status, 200);
    assert.equal(byBody.status, 200);
    const { token_requests: log, issued } = await standin.state();
    assert.deepEqual(log.map((entry) => entry.client_auth), ['basic', 'body']);
    for (const value of [code, byBasic.body.access_token, byBody.body.refresh_token]) assert.ok(issued.includes(value), 'state lists what it issued');
  });

  test('answers long tokens in Bitbucket\'s shape; scope or scopes by switch; unknown grant types refused', async () => {
    const tokens = await connect();
    assert.deepEqual(Object.keys(tokens).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'state', 'token_type']);
    assert.ok(tokens.access_token.length > 2500, `access token of ${tokens.access_token.length} characters`);
    assert.ok(tokens.refresh_token.length >= 50);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.expires_in, 7200);
    assert.equal(tokens.scope, 'account repository pullrequest issue webhook');
    assert.equal(tokens.state, 'authorization_code');
    await standin.control('POST', '/_standin/config', { scope_key: 'scopes', access_token_ttl: 2 });
    const refreshed = await refresh(tokens.refresh_token);
    assert.equal(refreshed.body.scopes, 'account repository pullrequest issue webhook');
    assert.equal(refreshed.body.scope, undefined);
    assert.equal(refreshed.body.expires_in, 2);
    assert.equal(refreshed.body.state, 'refresh_token');
    assert.deepEqual(await tokenRequest({ grant_type: 'password' }),
      { status: 400, body: { error: 'invalid_grant', error_description: 'Unsupported grant type: password' } });
  });

  test('refresh tokens rotate; the old one works inside the grace period', async () => {
    const tokens = await connect();
    const first = await refresh(tokens.refresh_token);
    assert.equal(first.status, 200);
    assert.notEqual(first.body.refresh_token, tokens.refresh_token);
    assert.notEqual(first.body.access_token, tokens.access_token);
    const again = await refresh(tokens.refresh_token);
    assert.equal(again.status, 200, 'inside the default 600 s grace');
    assert.notEqual(again.body.refresh_token, first.body.refresh_token);
    assert.equal((await refresh(first.body.refresh_token)).status, 200);
  });

  test('with no grace, a used refresh token fails; unknown ones fail; invalid_request by switch', async () => {
    await standin.control('POST', '/_standin/config', { refresh_grace_seconds: 0 });
    const tokens = await connect();
    const next = await refresh(tokens.refresh_token);
    assert.equal(next.status, 200);
    const invalid = { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh_token' } };
    assert.deepEqual(await refresh(tokens.refresh_token), invalid);
    assert.deepEqual(await refresh('not-a-token'), invalid);
    assert.equal((await refresh(next.body.refresh_token)).status, 200);
    await standin.control('POST', '/_standin/config', { refresh_error: 'invalid_request' });
    assert.deepEqual(await refresh('not-a-token'), { status: 400, body: { error: 'invalid_request', error_description: 'Invalid refresh_token' } });
  });

  test('two refreshes of one connection at once are recorded as a violation; one after the other are not', async () => {
    const tokens = await connect();
    const other = await connect();
    await standin.control('POST', '/_standin/config', { token_delay_ms: 150 });
    const next = await refresh(tokens.refresh_token);
    await refresh(next.body.refresh_token);
    await Promise.all([refresh(tokens.refresh_token), refresh(other.refresh_token)]);
    assert.deepEqual((await standin.state()).violations, [], 'sequential refreshes, or two connections at once, are fine');
    await Promise.all([refresh(tokens.refresh_token), refresh(next.body.refresh_token)]);
    const { violations, token_requests: log } = await standin.state();
    assert.equal(violations.length, 1);
    assert.equal(violations[0].kind, 'overlapping_refresh');
    assert.equal(violations[0].chain, log[0].chain);
    for (const entry of log) assert.ok(entry.started_at && entry.ended_at && entry.grant_type);
  });

  test('revoking stops every token until a new authorisation; a revoked consumer is invalid_client', async () => {
    const tokens = await connect();
    await standin.control('POST', '/_standin/revoke');
    assert.deepEqual((await api(tokens.access_token, 'GET', '/user')).body, { type: 'error', error: { message: 'Invalid access token' } });
    assert.equal((await refresh(tokens.refresh_token)).body.error, 'invalid_grant');
    const fresh = await connect();
    assert.equal((await api(fresh.access_token, 'GET', '/user')).status, 200);
    await standin.control('POST', '/_standin/config', { consumer_revoked: true });
    const refused = await refresh(fresh.refresh_token);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');
    assert.equal((await api(fresh.access_token, 'GET', '/user')).status, 401);
  });
});

describe('REST authentication and scopes', () => {
  test('an expired access token is 401 with Bitbucket\'s message; refreshing gives a working one', async () => {
    const tokens = await connect();
    await standin.control('POST', '/_standin/expire');
    const expired = await api(tokens.access_token, 'GET', '/user');
    assert.equal(expired.status, 401);
    assert.deepEqual(expired.body, { type: 'error', error: { message: 'Access token expired. Use your refresh token to obtain a new access token.' } });
    const next = await refresh(tokens.refresh_token);
    assert.equal((await api(next.body.access_token, 'GET', '/user')).status, 200);
  });

  test('only a Bearer header authenticates: the access_token query parameter is refused', async () => {
    const { access_token: token } = await connect();
    const query = await api(null, 'GET', `/user?access_token=${encodeURIComponent(token)}`);
    assert.equal(query.status, 401);
    assert.equal(query.body.type, 'error');
    assert.equal((await api(null, 'GET', '/user')).status, 401);
    assert.equal((await api('made-up', 'GET', '/user')).status, 401);
    assert.equal((await api(null, 'GET', '/user', undefined, { authorization: 'Basic YWRhOnB3' })).status, 401);
    const { requests } = await standin.state();
    assert.deepEqual(requests.map((entry) => [entry.auth, entry.status]), [['query', 401], ['none', 401], ['bearer', 401], ['basic', 401]]);
    assert.doesNotMatch(JSON.stringify(requests), new RegExp(token.slice(0, 40)), 'the log keeps no token');
  });

  test('a missing scope is 403 with detail.granted and detail.required', async () => {
    await standin.control('POST', '/_standin/config', { scopes: 'account repository' });
    const { access_token: token } = await connect();
    const hooks = await api(token, 'GET', '/repositories/acme/relay-api/hooks');
    assert.deepEqual(hooks, {
      status: 403, headers: hooks.headers,
      body: {
        type: 'error',
        error: {
          message: 'Your credentials lack one or more required privilege scopes.',
          detail: { granted: ['account', 'repository'], required: ['webhook'] },
        },
      },
    });
  });

  test('a hook needs the scope of each selected event family', async () => {
    await standin.control('POST', '/_standin/config', { scopes: 'account repository webhook' });
    const { access_token: token } = await connect();
    const created = await api(token, 'POST', '/repositories/acme/relay-api/hooks', hookBody({ events: ['repo:push', 'pullrequest:created', 'issue:created'] }));
    assert.equal(created.status, 403);
    assert.deepEqual(created.body.error.detail.required.sort(), ['issue', 'pullrequest', 'repository', 'webhook']);
    assert.equal((await api(token, 'POST', '/repositories/acme/relay-api/hooks', hookBody())).status, 201);
    await standin.control('POST', '/_standin/config', { scopes: 'account webhook' });
    const narrow = (await connect()).access_token;
    assert.equal((await api(narrow, 'GET', '/repositories/acme')).status, 403);
    assert.equal((await api(narrow, 'GET', '/user')).status, 200);
  });
});

describe('REST reads', () => {
  test('GET /user and /user/workspaces (with administrator=true)', async () => {
    const { access_token: token } = await connect();
    const user = (await api(token, 'GET', '/user')).body;
    assert.equal(user.type, 'user');
    assert.equal(user.display_name, 'Ada Lovelace');
    assert.equal(user.nickname, 'ada');
    assert.match(user.uuid, /^\{[0-9a-f-]{36}\}$/);
    assert.ok(user.account_id && user.links.html.href && user.links.avatar.href);
    const all = (await api(token, 'GET', '/user/workspaces')).body;
    assert.deepEqual(all.values.map((access) => [access.workspace.slug, access.administrator]),
      [['acme', false], ['ada-lovelace', true], ['globex', false]]);
    assert.equal(all.values[0].type, 'workspace_access');
    assert.equal(all.values[0].workspace.type, 'workspace');
    const admin = (await api(token, 'GET', '/user/workspaces?administrator=true')).body;
    assert.deepEqual(admin.values.map((access) => access.workspace.slug), ['ada-lovelace']);
  });

  test('the seed is the same at every start', async () => {
    const { access_token: token } = await connect();
    const other = await startBitbucketStandin({ clientId, clientSecret, callbackUrl });
    try {
      const code = new URL((await other.consent(other.authorizeUrl())).location).searchParams.get('code');
      const answer = await fetch(`${other.webUrl}/site/oauth2/access_token`, {
        method: 'POST', headers: { authorization: basic(), 'content-type': form }, body: `grant_type=authorization_code&code=${code}`,
      });
      const otherToken = (await answer.json()).access_token;
      const mine = (await api(token, 'GET', '/repositories/acme/relay-api')).body;
      const theirs = await (await fetch(`${other.apiUrl}/repositories/acme/relay-api`, { headers: { authorization: `Bearer ${otherToken}` } })).json();
      assert.equal(theirs.uuid, mine.uuid);
      assert.equal(theirs.workspace.uuid, mine.workspace.uuid);
    } finally {
      await other.close();
    }
  });

  test('role=admin with q pages through absolute next links on the api origin', async () => {
    const { access_token: token } = await connect();
    const q = encodeURIComponent('name ~ "SERVICE"');
    const first = await api(token, 'GET', `/repositories/acme?role=admin&q=${q}`);
    assert.equal(first.status, 200);
    assert.equal(first.body.pagelen, 10);
    assert.equal(first.body.page, 1);
    assert.equal(first.body.values.length, 10);
    assert.ok(first.body.size >= 12);
    const next = new URL(first.body.next);
    assert.equal(next.origin, new URL(standin.apiUrl).origin);
    assert.equal(next.searchParams.get('page'), '2');
    assert.equal(next.searchParams.get('role'), 'admin');
    const second = await api(token, 'GET', first.body.next);
    assert.equal(second.body.next, undefined);
    assert.ok(second.body.previous);
    const names = [...first.body.values, ...second.body.values].map((repo) => repo.full_name);
    assert.equal(names.length, first.body.size);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.every((name) => name.includes('service')));
    assert.ok(!names.includes('acme/legacy-service'), 'write-only repositories are not role=admin');
    const repo = first.body.values[0];
    assert.equal(repo.type, 'repository');
    assert.equal(repo.links.html.href, `https://bitbucket.org/${repo.full_name}`);
    assert.equal(repo.workspace.slug, 'acme');
    assert.equal(repo.mainbranch.name, 'main');
    assert.match(repo.uuid, /^\{[0-9a-f-]{36}\}$/);
  });

  test('listings: the whole admin set, contributor, sort, AND/OR, and what is refused', async () => {
    const { access_token: token } = await connect();
    const admin = (await api(token, 'GET', '/repositories/acme?role=admin&pagelen=100')).body;
    assert.ok(admin.values.length >= 20);
    assert.ok(admin.values.some((repo) => repo.full_name === 'acme/relay-api'));
    const contributor = (await api(token, 'GET', '/repositories/acme?role=contributor&pagelen=100')).body;
    assert.ok(contributor.size >= 25);
    assert.ok(contributor.values.some((repo) => repo.full_name === 'acme/legacy-service'));
    assert.equal((await api(token, 'GET', '/repositories/globex?role=admin')).body.size, 0);
    const sorted = (await api(token, 'GET', '/repositories/acme?role=admin&sort=-name&pagelen=3')).body;
    assert.deepEqual(sorted.values.map((repo) => repo.name), ['web-app', 'user-service', 'shipping-service']);
    const either = encodeURIComponent('full_name ~ "relay" AND (name ~ "api" OR name ~ "worker")');
    assert.deepEqual((await api(token, 'GET', `/repositories/acme?q=${either}`)).body.values.map((repo) => repo.name), ['relay-api', 'relay-worker']);
    for (const bad of ['name ~ service', 'nom ~ "x"', 'name ~ "x" AND', "name ~ 'x'"]) {
      const refused = await api(token, 'GET', `/repositories/acme?q=${encodeURIComponent(bad)}`);
      assert.equal(refused.status, 400, bad);
      assert.equal(refused.body.type, 'error');
      assert.equal(typeof refused.body.error.message, 'string');
    }
    assert.equal((await api(token, 'GET', '/repositories/acme?pagelen=101')).status, 400);
    assert.equal((await api(token, 'GET', '/repositories/acme?pagelen=0')).status, 400);
    assert.equal((await api(token, 'GET', '/repositories/acme?role=boss')).status, 400);
    assert.equal((await api(token, 'GET', '/repositories/acme?sort=stars')).status, 400);
  });

  test('unknown repositories, workspaces and paths are 404 in Bitbucket\'s shape', async () => {
    const { access_token: token } = await connect();
    const repo = await api(token, 'GET', '/repositories/acme/relay-api');
    assert.equal(repo.status, 200);
    assert.equal(repo.body.full_name, 'acme/relay-api');
    assert.deepEqual(await api(token, 'GET', '/repositories/acme/nope').then((a) => [a.status, a.body]),
      [404, { type: 'error', error: { message: 'Repository acme/nope not found' } }]);
    assert.equal((await api(token, 'GET', '/repositories/nope')).status, 404);
    assert.equal((await api(token, 'GET', '/repositories/acme/nope/hooks')).status, 404);
    assert.equal((await api(token, 'GET', '/teams/acme')).status, 404);
  });

  test('the two listeners refuse each other\'s paths', async () => {
    const { access_token: token } = await connect();
    const onWeb = await fetch(`${standin.webUrl}/2.0/user`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(onWeb.status, 404);
    const apiOrigin = new URL(standin.apiUrl).origin;
    assert.equal((await fetch(`${apiOrigin}/site/oauth2/authorize?client_id=${clientId}&response_type=code`)).status, 404);
    assert.equal((await fetch(`${apiOrigin}/_standin/state`)).status, 404);
  });
});

describe('hooks', () => {
  let token;
  beforeEach(async () => {
    ({ access_token: token } = await connect());
  });
  const hooksPath = '/repositories/acme/relay-api/hooks';

  test('create, read (braced, URL-encoded or bare), update, delete; the secret is never answered', async () => {
    const created = await api(token, 'POST', hooksPath, hookBody({ events: ['repo:push', 'issue:created', 'repo:push'] }));
    assert.equal(created.status, 201);
    const hook = created.body;
    assert.match(hook.uuid, /^\{[0-9a-f-]{36}\}$/);
    assert.equal(created.headers.get('location'), `${standin.apiUrl}${hooksPath}/${encodeURIComponent(hook.uuid)}`);
    assert.equal(hook.links.self.href, created.headers.get('location'));
    assert.equal(hook.type, 'webhook_subscription');
    assert.equal(hook.subject_type, 'repository');
    assert.equal(hook.subject.full_name, 'acme/relay-api');
    assert.deepEqual(hook.events, ['issue:created', 'repo:push']);
    assert.equal(hook.secret_set, true);
    assert.equal(hook.skip_cert_verification, false);
    assert.equal(hook.active, true);
    assert.ok(hook.created_at);
    assert.equal('secret' in hook, false);

    const bareUuid = hook.uuid.slice(1, -1);
    for (const uid of [encodeURIComponent(hook.uuid), bareUuid, hook.uuid]) {
      const read = await api(token, 'GET', `${hooksPath}/${uid}`);
      assert.equal(read.status, 200, uid);
      assert.equal(read.body.uuid, hook.uuid);
    }
    const listed = await api(token, 'GET', hooksPath);
    assert.deepEqual(listed.body.values.map((value) => value.uuid), [hook.uuid]);
    assert.doesNotMatch(JSON.stringify(listed.body), /s3cret/);

    const renamed = await api(token, 'PUT', `${hooksPath}/${encodeURIComponent(hook.uuid)}`, { description: 'renamed' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.description, 'renamed');
    assert.equal(renamed.body.url, hook.url);
    assert.deepEqual(renamed.body.events, hook.events);
    assert.equal(renamed.body.secret_set, true, 'an omitted secret is kept');
    let stored = (await standin.state()).hooks['acme/relay-api'][0];
    assert.equal(stored.secret, 's3cret');
    await api(token, 'PUT', `${hooksPath}/${bareUuid}`, { secret: 'n3w', events: ['pullrequest:created'] });
    stored = (await standin.state()).hooks['acme/relay-api'][0];
    assert.equal(stored.secret, 'n3w');
    assert.deepEqual(stored.events, ['pullrequest:created']);
    const cleared = await api(token, 'PUT', `${hooksPath}/${bareUuid}`, { secret: null, active: false });
    assert.equal(cleared.body.secret_set, false);
    assert.equal(cleared.body.active, false);

    assert.equal((await api(token, 'DELETE', `${hooksPath}/${encodeURIComponent(hook.uuid)}`)).status, 204);
    assert.equal((await api(token, 'DELETE', `${hooksPath}/${encodeURIComponent(hook.uuid)}`)).status, 404);
    assert.equal((await api(token, 'GET', `${hooksPath}/${bareUuid}`)).status, 404);
    assert.equal((await api(token, 'PUT', `${hooksPath}/${bareUuid}`, { active: true })).status, 404);
  });

  test('validation: url, events, description, as Bitbucket answers them', async () => {
    const refused = async (body) => {
      const answer = await api(token, 'POST', hooksPath, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.type, 'error');
      return answer.body.error;
    };
    assert.deepEqual((await refused(hookBody({ url: 'not a url' }))).fields, { url: ['Enter a valid URL.'] });
    assert.deepEqual((await refused(hookBody({ url: 'ftp://relay.example.com/x' }))).fields, { url: ['Enter a valid URL.'] });
    assert.ok((await refused(hookBody({ events: [] }))).fields.events);
    assert.match((await refused(hookBody({ events: ['repo:push', 'repo:teleport'] }))).fields.events[0], /repo:teleport/);
    assert.ok((await refused(hookBody({ description: undefined }))).fields.description);
    assert.ok((await refused(hookBody({ description: 'x'.repeat(256) }))).fields.description);
    assert.ok((await refused(hookBody({ active: 'yes' }))).fields.active);
    const put = await api(token, 'POST', hooksPath, hookBody());
    const bad = await api(token, 'PUT', `${hooksPath}/${encodeURIComponent(put.body.uuid)}`, { url: 'nope' });
    assert.equal(bad.status, 400);
    assert.deepEqual((await standin.state()).hooks['acme/relay-api'].map((hook) => hook.url), [hookBody().url]);
  });

  test('a user with write access only is refused 403 without a scope detail', async () => {
    for (const [method, path, body] of [
      ['GET', '/repositories/globex/portal/hooks'],
      ['POST', '/repositories/globex/portal/hooks', hookBody()],
      ['POST', '/repositories/acme/legacy-service/hooks', hookBody()],
    ]) {
      const answer = await api(token, method, path, body);
      assert.equal(answer.status, 403, path);
      assert.match(answer.body.error.message, /admin/);
      assert.equal(answer.body.error.detail, undefined);
    }
    await standin.control('POST', '/_standin/login', { user: 'grace' });
    const { access_token: grace } = await connect();
    assert.equal((await api(grace, 'POST', '/repositories/globex/portal/hooks', hookBody())).status, 201);
    assert.equal((await api(grace, 'GET', '/repositories/acme/relay-api/hooks')).status, 404, 'grace cannot see acme');
  });

  test('at most 50 hooks per repository', async () => {
    const filled = await standin.control('POST', '/_standin/repositories/acme/relay-api/hooks/fill', { count: 49 });
    assert.equal(filled.hooks, 49);
    assert.equal((await api(token, 'POST', hooksPath, hookBody())).status, 201);
    const refused = await api(token, 'POST', hooksPath, hookBody());
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /50/);
    const page = await api(token, 'GET', `${hooksPath}?pagelen=100`);
    assert.equal(page.body.size, 50);
    assert.equal(page.body.values.length, 50);
  });

  test('the repository\'s web page lists its webhooks, as Repository settings → Webhooks does', async () => {
    assert.equal((await api(token, 'POST', hooksPath, hookBody())).status, 201);
    const page = await fetch(`${standin.webUrl}/acme/relay-api`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<h1>acme\/relay-api<\/h1>/);
    assert.ok(html.includes(hookBody().url.replaceAll('&', '&amp;')));
    assert.equal((await fetch(`${standin.webUrl}/acme/no-such-repository`)).status, 404);
    assert.equal((await fetch(`${standin.apiUrl.replace('/2.0', '')}/acme/relay-api`)).status, 404, 'not on the API host');
  });
});

describe('failure injection', () => {
  test('429 with Retry-After, then 503, then normal answers', async () => {
    const { access_token: token } = await connect();
    await standin.control('POST', '/_standin/fail', { path: '/hooks$', method: 'POST', status: 429, retry_after: 7 });
    await standin.control('POST', '/_standin/fail', { path: '^/2\\.0/user$', status: 503, times: 2 });
    const limited = await api(token, 'POST', '/repositories/acme/relay-api/hooks', hookBody());
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.equal(limited.body.type, 'error');
    assert.match(limited.body.error.message, /[Rr]ate limit/);
    assert.equal((await api(token, 'POST', '/repositories/acme/relay-api/hooks', hookBody())).status, 201);
    assert.equal((await api(token, 'GET', '/user')).status, 503);
    const down = await api(token, 'GET', '/user');
    assert.equal(down.status, 503);
    assert.equal(down.body.type, 'error');
    assert.equal((await api(token, 'GET', '/user')).status, 200);
  });

  test('the token endpoint can fail too', async () => {
    const tokens = await connect();
    await standin.control('POST', '/_standin/fail', { listener: 'web', path: 'access_token', status: 500 });
    assert.equal((await refresh(tokens.refresh_token)).status, 500);
    assert.equal((await refresh(tokens.refresh_token)).status, 200);
  });
});

describe('delivery', () => {
  let receiver;
  let received;
  let script;
  before(async () => {
    receiver = createServer(async (request, response) => {
      const chunks = [];
      for await (const chunk of request) chunks.push(chunk);
      received.push({ path: request.url, headers: request.headers, bytes: Buffer.concat(chunks) });
      const status = script.shift() ?? 202;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status }));
    });
    await new Promise((ready) => receiver.listen(0, '127.0.0.1', ready));
  });
  after(() => new Promise((done) => receiver.close(done)));
  let token;
  beforeEach(async () => {
    received = [];
    script = [];
    ({ access_token: token } = await connect());
  });
  const target = (name) => `http://127.0.0.1:${receiver.address().port}/hooks/${name}`;
  const makeHook = async (overrides) => (await api(token, 'POST', '/repositories/acme/relay-api/hooks', hookBody(overrides))).body;

  test('a push is signed and POSTed with Bitbucket\'s headers to every active hook that selected it', async () => {
    const signed = await makeHook({ url: target('signed'), secret: 'shh' });
    await makeHook({ url: target('unsigned'), secret: null });
    await makeHook({ url: target('inactive'), active: false });
    await makeHook({ url: target('issues'), events: ['issue:created'] });
    const answer = await standin.control('POST', '/_standin/repositories/acme/relay-api/push', { commits: 7, message: 'Fix it' });
    assert.equal(answer.event, 'repo:push');
    assert.deepEqual(answer.deliveries.map((d) => new URL(d.url).pathname).sort(), ['/hooks/signed', '/hooks/unsigned']);
    assert.deepEqual(received.map((r) => r.path).sort(), ['/hooks/signed', '/hooks/unsigned']);
    for (const delivery of answer.deliveries) {
      assert.deepEqual(delivery.attempts.map((attempt) => attempt.status), [202]);
      assert.equal(delivery.attempts[0].body, '{"status":202}');
    }

    const one = received.find((r) => r.path === '/hooks/signed');
    const { headers } = one;
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['user-agent'], 'Bitbucket-Webhooks/2.0');
    assert.equal(headers['x-event-key'], 'repo:push');
    assert.equal(headers['x-hook-uuid'], signed.uuid.slice(1, -1));
    assert.match(headers['x-request-uuid'], /^[0-9a-f-]{36}$/);
    assert.equal(headers['x-attempt-number'], '1');
    assert.equal(headers['x-hub-signature'], `sha256=${createHmac('sha256', 'shh').update(one.bytes).digest('hex')}`);
    assert.equal(received.find((r) => r.path === '/hooks/unsigned').headers['x-hub-signature'], undefined);
    assert.notEqual(received[0].headers['x-request-uuid'], received[1].headers['x-request-uuid']);

    const payload = JSON.parse(one.bytes.toString('utf8'));
    assert.equal(payload.actor.display_name, 'Ada Lovelace');
    assert.equal(payload.repository.full_name, 'acme/relay-api');
    assert.equal(payload.repository.links.html.href, 'https://bitbucket.org/acme/relay-api');
    assert.equal(payload.repository.workspace.slug, 'acme');
    const [change] = payload.push.changes;
    assert.equal(change.new.type, 'branch');
    assert.equal(change.new.name, 'main');
    assert.match(change.new.target.hash, /^[0-9a-f]{40}$/);
    assert.match(change.new.target.message, /^Fix it/);
    assert.equal(change.new.target.author.user.nickname, 'ada');
    assert.equal(change.old.name, 'main');
    assert.equal(change.created, false);
    assert.equal(change.truncated, true, 'seven commits, five listed');
    assert.equal(change.commits.length, 5);
    assert.equal(change.commits[0].hash, change.new.target.hash, 'newest first');
    assert.ok(change.links.html.href && change.links.diff.href && change.links.commits.href);

    received = [];
    await standin.control('POST', '/_standin/repositories/acme/relay-api/push', { branch: 'feature/x', author: 'Someone <s@example.com>' });
    const created = JSON.parse(received[0].bytes.toString('utf8')).push.changes[0];
    assert.equal(created.old, null);
    assert.equal(created.created, true);
    assert.equal(created.new.target.author.raw, 'Someone <s@example.com>');
    assert.equal(created.new.target.author.user, undefined);
  });

  test('a 5xx is retried at once, twice at most, with the same X-Request-UUID', async () => {
    await makeHook({ url: target('flaky') });
    script = [500, 502, 503];
    const answer = await standin.control('POST', '/_standin/repositories/acme/relay-api/push', {});
    assert.deepEqual(answer.deliveries[0].attempts.map((attempt) => attempt.status), [500, 502, 503]);
    assert.deepEqual(received.map((r) => r.headers['x-attempt-number']), ['1', '2', '3']);
    assert.equal(new Set(received.map((r) => r.headers['x-request-uuid'])).size, 1);
    assert.equal(new Set(received.map((r) => r.bytes.toString('utf8'))).size, 1, 'the same bytes each time');

    received = [];
    script = [503, 200];
    const recovered = await standin.control('POST', '/_standin/repositories/acme/relay-api/push', {});
    assert.deepEqual(recovered.deliveries[0].attempts.map((attempt) => attempt.status), [503, 200]);
    assert.equal(received.length, 2);
  });

  test('a 4xx is final', async () => {
    await makeHook({ url: target('gone') });
    script = [410];
    const answer = await standin.control('POST', '/_standin/repositories/acme/relay-api/push', {});
    assert.deepEqual(answer.deliveries[0].attempts.map((attempt) => attempt.status), [410]);
    assert.equal(received.length, 1);
  });

  test('a network error is retried like a 5xx', async () => {
    const closed = createServer();
    await new Promise((ready) => closed.listen(0, '127.0.0.1', ready));
    const { port } = closed.address();
    await new Promise((done) => closed.close(done));
    await makeHook({ url: `http://127.0.0.1:${port}/hooks/nowhere` });
    const answer = await standin.control('POST', '/_standin/repositories/acme/relay-api/push', {});
    const { attempts } = answer.deliveries[0];
    assert.equal(attempts.length, 3);
    assert.ok(attempts.every((attempt) => attempt.status === null && attempt.error));
  });

  test('other events: a built payload, a sample, or the payload given as is', async () => {
    await makeHook({ url: target('all'), events: ['pullrequest:created', 'issue:created', 'repo:fork'] });
    const pr = await standin.control('POST', '/_standin/repositories/acme/relay-api/events', { event: 'pullrequest:created' });
    assert.equal(pr.deliveries.length, 1);
    const prPayload = JSON.parse(received[0].bytes.toString('utf8'));
    assert.equal(received[0].headers['x-event-key'], 'pullrequest:created');
    assert.equal(prPayload.repository.full_name, 'acme/relay-api');
    assert.ok(prPayload.pullrequest.id && prPayload.pullrequest.title && prPayload.pullrequest.links.html.href);
    await standin.control('POST', '/_standin/repositories/acme/relay-api/events', { event: 'issue:created' });
    assert.ok(JSON.parse(received[1].bytes.toString('utf8')).issue.title);
    const given = { anything: ['as', 'is'], n: 1 };
    await standin.control('POST', '/_standin/repositories/acme/relay-api/events', { event: 'repo:fork', payload: given });
    assert.deepEqual(JSON.parse(received[2].bytes.toString('utf8')), given);
    const none = await standin.control('POST', '/_standin/repositories/acme/relay-api/events', { event: 'repo:updated' });
    assert.deepEqual(none.deliveries, []);
    assert.equal(received.length, 3);
  });
});

describe('a state file', () => {
  test('keeps issued tokens, hooks and branch heads across a restart, as Bitbucket would', async () => {
    const original = standin;
    const file = join(mkdtempSync(join(tmpdir(), 'standin-state-')), 'state.json');
    try {
      standin = await startBitbucketStandin({ clientId, clientSecret, callbackUrl, stateFile: file });
      const tokens = await connect();
      assert.equal((await api(tokens.access_token, 'POST', '/repositories/acme/relay-api/hooks', hookBody())).status, 201);
      await standin.close();
      assert.equal(statSync(file).mode & 0o777, 0o600, 'the file holds tokens and secrets: owner only');
      standin = await startBitbucketStandin({ clientId, clientSecret, callbackUrl, stateFile: file });
      const hooks = await api(tokens.access_token, 'GET', '/repositories/acme/relay-api/hooks');
      assert.equal(hooks.status, 200);
      assert.deepEqual(hooks.body.values.map((hook) => hook.url), [hookBody().url]);
      const renewed = await refresh(tokens.refresh_token);
      assert.equal(renewed.status, 200, 'the refresh token still works');
    } finally {
      await standin.close();
      standin = original;
    }
  });
});
