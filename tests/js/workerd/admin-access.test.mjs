// Admin access against the second security probe, under `wrangler dev`: wrong bearer tokens are
// counted with sign-in's, a burst of guesses in parallel gets no more comparisons than the same guesses in
// a row, a ceiling for all clients together, sessions end with the admin token that made them and all at
// once on "sign out everywhere", the cookie's __Host- prefix on https, and refusals answered without waiting
// for a body that was declared and never sent.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';

import { withRelay } from '../relay.mjs';

const token = 'access-test-admin-token-0123456789';
const newToken = 'access-test-admin-token-rotated-9876';
const { relay } = withRelay({ token });

// A request as the client at `address` (Cloudflare's CF-Connecting-IP); each test speaks as its own client.
const from = (address, path, init = {}) => fetch(`${relay.base}${path}`, {
  redirect: 'manual', ...init, headers: { 'cf-connecting-ip': address, ...init.headers },
});
const bearer = (address, value) => from(address, '/api/endpoints', { headers: { authorization: `Bearer ${value}` } });
const signIn = (address, value, headers = {}) => from(address, '/api/session', {
  method: 'POST', body: JSON.stringify({ token: value }), headers,
});

describe('wrong tokens', () => {
  test('wrong bearer tokens are counted: after five, every token from that client waits, the right one too', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await bearer('198.51.100.1', `wrong-bearer-token-${i}`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    const blocked = await bearer('198.51.100.1', token);
    assert.equal(blocked.status, 429);
    assert.equal((await blocked.json()).code, 'too_many_attempts');
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    // Sign-in counts on the same row: the client is held there too.
    assert.equal((await signIn('198.51.100.1', token)).status, 429);
    // Another client is not held.
    assert.equal((await bearer('198.51.100.2', token)).status, 200);
  });

  test('an IPv6 client is counted by its /64: other addresses of the same prefix wait too', async () => {
    for (let i = 1; i <= 5; i += 1) await bearer(`2001:db8:77:1::${i.toString(16)}`, `wrong-v6-token-${i}`);
    assert.equal((await bearer('2001:db8:77:1:ffff::9', token)).status, 429);
    assert.equal((await bearer('2001:db8:77:2::1', token)).status, 200);
  });

  test('a burst of sixty guesses at once gets no more answers than five guesses in a row', async () => {
    // 59 wrong tokens and the right one in the middle, all at once from one client.
    const tokens = Array.from({ length: 60 }, (_, i) => (i === 30 ? token : `burst-wrong-token-${i}`));
    const answers = await Promise.all(tokens.map((value) => signIn('198.51.100.3', value)));
    const statuses = answers.map((answer) => answer.status);
    const let_through = statuses.filter((status) => status !== 429).length;
    // Each miss is counted in one statement before it is answered: the fifth and later are 429, and the right
    // token is let in only if it was among the first five, as it would be one by one.
    assert.ok(let_through <= 5, `answered ${let_through} tokens past the limit: ${statuses.join(' ')}`);
    assert.ok(statuses.filter((status) => status === 401).length <= 4, statuses.join(' '));
    assert.equal((await signIn('198.51.100.3', token)).status, 429);
  });

  describe('a relay of its own: the ceiling holds every client for a while', () => {
    const { relay: own } = withRelay({ token });

    test('past the ceiling for all clients together, every new token waits, while signed-in sessions go on', async () => {
      const session = await fetch(`${own.base}/api/session`, { method: 'POST', body: JSON.stringify({ token }) });
      assert.equal(session.status, 200);
      const cookie = session.headers.get('set-cookie').split(';')[0];
      // 200 wrong tokens from 50 addresses, four each (each address under its own limit).
      for (let round = 0; round < 4; round += 1) {
        const wave = Array.from({ length: 50 }, (_, i) => fetch(`${own.base}/api/endpoints`, {
          headers: { 'cf-connecting-ip': `203.0.113.${i + 1}`, authorization: `Bearer ceiling-wrong-${round}-${i}` },
        }).then((answer) => answer.status));
        const statuses = await Promise.all(wave);
        if (round < 3) assert.ok(statuses.every((status) => status === 401), statuses.join(' '));
      }
      const fresh = await fetch(`${own.base}/api/endpoints`, {
        headers: { 'cf-connecting-ip': '192.0.2.200', authorization: `Bearer ${token}` },
      });
      assert.equal(fresh.status, 429, 'a new client with the right token waits once everyone is over the ceiling');
      const signedIn = await fetch(`${own.base}/api/endpoints`, { headers: { cookie } });
      assert.equal(signedIn.status, 200, 'a session needs no token and is not held');
    });
  });
});

describe('sessions', () => {
  describe('a relay of its own whose public URL is https', () => {
    const { relay: own } = withRelay({ token, vars: { PUBLIC_BASE_URL: 'https://dispatch.example.com' } });

    test('the cookie is __Host- prefixed and Secure when the public URL is https', async () => {
      const answer = await fetch(`${own.base}/api/session`, { method: 'POST', body: JSON.stringify({ token }) });
      assert.equal(answer.status, 200);
      const setCookie = answer.headers.get('set-cookie');
      assert.match(setCookie, /^__Host-dispatch_session=[A-Za-z0-9_-]{40,}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200; Secure$/);
      const cookie = setCookie.split(';')[0];
      assert.equal((await fetch(`${own.base}/api/session`, { headers: { cookie } })).status, 200);
      // The same value under the unprefixed name (a cookie a subdomain could set) is not a session here.
      const unprefixed = cookie.replace('__Host-', '');
      assert.equal((await fetch(`${own.base}/api/session`, { headers: { cookie: unprefixed } })).status, 401);
    });
  });

  test('"sign out everywhere" ends every session, in every browser', async () => {
    const sessions = [];
    for (const address of ['192.0.2.11', '192.0.2.12']) {
      const answer = await signIn(address, token);
      assert.equal(answer.status, 200);
      sessions.push({ cookie: answer.headers.get('set-cookie').split(';')[0], csrf: (await answer.json()).csrf });
    }
    const [mine, other] = sessions;
    const withoutCsrf = await from('192.0.2.11', '/api/sessions/revoke', { method: 'POST', headers: { cookie: mine.cookie, origin: relay.base } });
    assert.equal(withoutCsrf.status, 403);
    const revoked = await from('192.0.2.11', '/api/sessions/revoke', {
      method: 'POST', headers: { cookie: mine.cookie, origin: relay.base, 'x-dispatch-csrf': mine.csrf },
    });
    assert.equal(revoked.status, 200);
    assert.ok((await revoked.json()).revoked >= 2);
    assert.match(revoked.headers.get('set-cookie'), /^dispatch_session=; .*Max-Age=0/);
    for (const { cookie } of sessions) {
      assert.equal((await from('192.0.2.13', '/api/session', { headers: { cookie } })).status, 401);
    }
    assert.equal(other.cookie === mine.cookie, false);
    // Scripts revoke with the admin token.
    assert.equal((await from('192.0.2.13', '/api/sessions/revoke', { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status, 200);
  });

  test('a session ends when ADMIN_TOKEN changes', async () => {
    const answer = await signIn('192.0.2.21', token);
    const cookie = answer.headers.get('set-cookie').split(';')[0];
    const csrf = (await answer.json()).csrf;
    assert.equal((await from('192.0.2.21', '/api/session', { headers: { cookie } })).status, 200);
    await relay.kill();
    await relay.start({ ADMIN_TOKEN: newToken });
    assert.equal((await bearer('192.0.2.22', newToken)).status, 200, 'the relay runs with the new token');
    assert.equal((await from('192.0.2.21', '/api/session', { headers: { cookie } })).status, 401);
    const create = await from('192.0.2.21', '/api/endpoints', {
      method: 'POST', headers: { cookie, origin: relay.base, 'x-dispatch-csrf': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'after rotation', destination_url: 'https://discord.com/api/webhooks/1/x', events: { mode: 'push' } }),
    });
    assert.equal(create.status, 401);
  });
});

// Sends a request that declares `declared` bytes of body and sends `sent`, then waits for the status line.
// Returns {status, ms}, or {status: null} if nothing came within `giveUpMs`.
function shortBody(path, headers, declared, sent, giveUpMs = 8000) {
  const { hostname, port } = new URL(relay.base);
  return new Promise((done) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let text = '';
    const timer = setTimeout(() => { socket.destroy(); done({ status: null, ms: Date.now() - started }); }, giveUpMs);
    socket.on('data', (chunk) => {
      text += chunk;
      const line = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (line) {
        clearTimeout(timer);
        socket.destroy();
        done({ status: Number(line[1]), ms: Date.now() - started });
      }
    });
    socket.on('error', () => {});
    const head = [`POST ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, `Content-Length: ${declared}`,
      'Content-Type: application/json', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), '', ''];
    socket.write(head.join('\r\n') + 'x'.repeat(sent));
  });
}

describe('refusals do not wait for a body that never comes', () => {
  test('401, 404 and 405 under /api/ answer within seconds though 1 MB was declared and 10 bytes sent', async () => {
    for (const [path, headers, expected] of [
      ['/api/endpoints', {}, 401],
      ['/api/endpoints', { authorization: 'Bearer wrong-but-counted-elsewhere' }, 401],
      ['/api/nothing-here', {}, 404],
      ['/api/events', { authorization: `Bearer ${newToken}` }, 405],
    ]) {
      const answer = await shortBody(path, { 'cf-connecting-ip': '192.0.2.31', ...headers }, 1_000_000, 10);
      assert.equal(answer.status, expected, `${path}: ${JSON.stringify(answer)}`);
      assert.ok(answer.ms < 5000, `${path} took ${answer.ms} ms`);
    }
  });

  test('a sign-in that declares more than a token needs is refused at once', async () => {
    const answer = await shortBody('/api/session', { 'cf-connecting-ip': '192.0.2.32' }, 100_000, 10);
    assert.equal(answer.status, 413);
    assert.ok(answer.ms < 5000, `took ${answer.ms} ms`);
  });
});
