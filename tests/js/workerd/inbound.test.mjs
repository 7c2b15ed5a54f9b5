// The receive path under abuse, end to end in the real runtime (`wrangler dev`, local D1 and Queues, the
// Discord stand-in): a flood of refused requests is folded into a few log rows and cannot bury real
// deliveries; a replayed signed body is not delivered again; a body declared too large is refused at once;
// other methods, control characters in headers and the pages' security headers. On a scratch D1 (Miniflare,
// times chosen by the test): the replay window, retention, concurrent copies, and a core that throws.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { logEvent } from '../../../js-shim/log.mjs';
import { receive, recordedHeaders, replayWindowMs } from '../../../js-shim/receive.mjs';
import { purge, recordVerified } from '../../../js-shim/store.mjs';
import { eventually, root, scratchD1, sign } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'inbound-test-admin-token-0123456789';
const replayWindowSeconds = 4; // short, so the test sees a body become new again
const pushBody = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));
const { relay, sink } = withRelay({ token, sink: true, vars: { REPLAY_WINDOW_SECONDS: replayWindowSeconds } });

// Creates an endpoint delivering to the stand-in's webhook `webhookToken`.
async function endpoint(webhookToken, settings = {}) {
  const created = await relay.api('POST', '/api/endpoints', {
    name: `inbound ${webhookToken.split('-')[0]}`, destination_url: sink.webhook(webhookToken), events: { mode: 'all' }, ...settings,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

// A push body no other test sends (Bitbucket's bodies differ from one event to the next).
const freshBody = () => Buffer.from(JSON.stringify({ ...JSON.parse(pushBody), nonce: randomUUID() }));

// POSTs to /hooks/{endpoint}, signed with the endpoint's secret unless `signature` says otherwise (null: none).
async function hook(ep, { event = 'repo:push', body = freshBody(), uuid = randomUUID(), signature, headers = {} } = {}) {
  const sent = { 'content-type': 'application/json', 'x-request-uuid': uuid, 'x-attempt-number': '1', 'x-event-key': event };
  const given = signature === undefined ? sign(ep.secret, body) : signature;
  if (given !== null) sent['x-hub-signature'] = given;
  const response = await fetch(ep.url, { method: 'POST', headers: { ...sent, ...headers }, body });
  return { status: response.status, body: await response.json().catch(() => null) };
}

// Every row of an endpoint's log, page after page through the cursor.
async function wholeLog(ep, query = '', limit = 500) {
  const rows = [];
  let cursor = null;
  for (;;) {
    const search = new URLSearchParams(query);
    search.set('limit', String(limit));
    if (cursor) search.set('cursor', cursor);
    const page = await relay.api('GET', `/api/endpoints/${ep.id}/deliveries?${search}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    rows.push(...page.body);
    cursor = page.headers.get('x-next-cursor');
    if (!cursor) return rows;
  }
}

const sql = (query) => relay.sql(query);

// Sends `count` requests made by `make(i)` (fetch arguments), `concurrency` at a time; returns the statuses.
async function flood(count, concurrency, make) {
  const statuses = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const [url, init] = make(i);
      const response = await fetch(url, init);
      await response.arrayBuffer();
      statuses[i] = response.status;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

// Writes `text` on a raw socket to the relay; returns {firstByteMs, text} (what came back before `waitMs`).
function rawRequest(text, waitMs = 10_000) {
  const { port } = new URL(relay.base);
  return new Promise((done) => {
    const started = Date.now();
    let firstByteMs = null;
    let answer = '';
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      done({ firstByteMs, text: answer });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk) => {
      firstByteMs ??= Date.now() - started;
      answer += chunk;
      // One answer is enough: its headers and a Content-Length body.
      const [head, body = ''] = answer.split('\r\n\r\n');
      const length = /content-length:\s*(\d+)/i.exec(head);
      if (answer.includes('\r\n\r\n') && length && Buffer.byteLength(body) >= Number(length[1])) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

describe('a flood of refused requests (issue: anyone who knows a hook URL can flood its log)', () => {
  let ep;
  let real;
  const floodSize = 2000;
  const codes = ['signature_missing', 'signature_malformed', 'signature_mismatch'];

  before(async () => {
    ep = await endpoint('flood-token-abcdef');
    const first = await hook(ep);
    assert.equal(first.status, 202);
    const junk = 'x'.repeat(500);
    const started = Date.now();
    // Unsigned, malformed and wrongly signed in turn, each with 500 bytes of the sender's own text.
    const statuses = await flood(floodSize, 50, (i) => [ep.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'x-event-key': 'repo:fork', 'x-request-uuid': randomUUID(), 'x-junk': `${i}:${junk}`,
        ...(i % 3 === 1 ? { 'x-hub-signature': 'sha256=nothex' } : {}),
        ...(i % 3 === 2 ? { 'x-hub-signature': sign('not the secret', pushBody) } : {}),
      },
      body: pushBody,
    }]);
    const seconds = (Date.now() - started) / 1000;
    // What the relay said of an answer that was not 401, for the failure's message.
    const said = () => relay.log.split('\n').filter((line) => /"event":"(request_failed|core_failed)"/.test(line)).slice(0, 10).join('\n');
    assert.ok(statuses.every((status) => status === 401), `not all 401: ${[...new Set(statuses)]}\n${said()}`);
    const last = await hook(ep);
    assert.equal(last.status, 202);
    real = [first.body.delivery, last.body.delivery];
    // The first refusal of each code is written at once, the rest a batch every few seconds (refusals.mjs).
    await eventually('every refusal counted in the log', async () => (await sql(`SELECT sum(request_count) AS n FROM deliveries
      WHERE endpoint_id = '${ep.id}' AND verdict = 'reject'`))[0].n === floodSize);
    console.log(`# flood: ${floodSize} refused requests in ${seconds.toFixed(1)} s (${Math.round(floodSize / seconds)}/s)`);
  });

  test('the real deliveries, before and after the flood, are both on the first page', async () => {
    const page = (await relay.api('GET', `/api/endpoints/${ep.id}/deliveries`)).body;
    const ids = page.map((row) => row.id);
    for (const id of real) assert.ok(ids.includes(id), `delivery ${id} is not on the first page (${page.length} rows)`);
  });

  test('the flood wrote one row per refusal code (two if it crossed the hour), counting every request', async () => {
    const stored = await sql(`SELECT code, count(*) AS rows, sum(request_count) AS requests FROM deliveries
      WHERE endpoint_id = '${ep.id}' AND verdict = 'reject' GROUP BY code ORDER BY code`);
    console.log(`# flood rows: ${JSON.stringify(stored)}`);
    assert.deepEqual(stored.map((row) => row.code), [...codes].sort());
    for (const row of stored) assert.ok(row.rows <= 2, `${row.code}: ${row.rows} rows`);
    assert.equal(stored.reduce((sum, row) => sum + row.requests, 0), floodSize);
    assert.ok((await sql(`SELECT count(*) AS n FROM deliveries WHERE endpoint_id = '${ep.id}'`))[0].n <= 2 + 2 * codes.length);
  });

  test('a folded refusal shows its count, its first and last time, and the latest request', async () => {
    const refused = await wholeLog(ep, 'status=rejected');
    assert.equal(refused.reduce((sum, row) => sum + row.count, 0), floodSize);
    const missing = refused.find((row) => row.code === 'signature_missing');
    assert.ok(missing.count > 1);
    assert.ok(Date.parse(missing.last_seen_at) >= Date.parse(missing.received_at));
    assert.equal(missing.answered, 401);
    const full = (await relay.api('GET', `/api/deliveries/${missing.id}`)).body;
    assert.deepEqual([full.count, full.last_seen_at], [missing.count, missing.last_seen_at]);
    assert.match(full.request_headers['x-junk'], /^\d+:x{500}$/);
    // Accepted deliveries are rows of their own, each standing for one request.
    for (const id of real) assert.equal((await relay.api('GET', `/api/deliveries/${id}`)).body.count, 1);
  });

  test('the filters and the cursor still work', async () => {
    const all = await wholeLog(ep);
    const byPages = await wholeLog(ep, '', 1);
    assert.deepEqual(byPages.map((row) => row.id), all.map((row) => row.id));
    assert.equal(new Set(all.map((row) => row.id)).size, all.length);
    const pushes = await wholeLog(ep, 'event=repo:push');
    assert.deepEqual(pushes.map((row) => row.id).sort(), [...real].sort());
    const forks = await wholeLog(ep, 'event=repo:fork');
    assert.ok(forks.length >= codes.length && forks.every((row) => row.verdict === 'reject'));
    const refused = await wholeLog(ep, 'status=rejected');
    assert.ok(refused.every((row) => row.status === 'rejected'));
    assert.equal(refused.length + real.length, all.length);
  });

  test('a folded row that takes a new refusal is listed first again, above what arrived since its first request', async () => {
    const folded = (await wholeLog(ep, 'status=rejected')).find((row) => row.code === 'signature_missing');
    const later = await hook(ep);
    assert.equal(later.status, 202);
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}/deliveries?limit=1`)).body[0].id, later.body.delivery);
    const unsigned = await fetch(ep.url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-event-key': 'repo:push', 'x-request-uuid': randomUUID() }, body: pushBody,
    });
    assert.equal(unsigned.status, 401);
    const top = await eventually('the folded row on top again', async () => {
      const [first] = (await relay.api('GET', `/api/endpoints/${ep.id}/deliveries?limit=1`)).body;
      return first.id === folded.id && first.count > folded.count ? first : null;
    });
    assert.ok(Date.parse(top.last_seen_at) > Date.parse(folded.last_seen_at));
    real.push(later.body.delivery);
    // Paging by cursor still sees every row once.
    const all = await wholeLog(ep);
    assert.deepEqual((await wholeLog(ep, '', 1)).map((row) => row.id), all.map((row) => row.id));
  });
});

// The receive path keeps an endpoint for 5 s per isolate; a secret rotated through another isolate
// (here: written to D1 behind this one's back) must not be refused for that long.
describe('the endpoint cache', () => {
  test('a secret changed elsewhere verifies within a second or so: the refused signature reads the endpoint again', async () => {
    const ep = await endpoint('cache-token-abcdef');
    assert.equal((await hook(ep)).status, 202); // cached from here on
    const rotated = 'rotated-elsewhere-secret-0123456789';
    await sql(`UPDATE endpoints SET secret = '${rotated}', version = version + 1 WHERE id = '${ep.id}'`);
    const started = Date.now();
    const answer = await eventually('the new secret to verify', async () => {
      const sent = await hook({ ...ep, secret: rotated });
      return sent.status === 202 ? sent : null;
    }, 10_000);
    const waited = Date.now() - started;
    console.log(`# the new secret verified after ${waited} ms`);
    assert.equal(answer.body.status, 'accepted');
    assert.ok(waited < 4000, `the new secret was refused for ${waited} ms (the cache keeps an endpoint 5 s)`);
  });
});

describe('replays (issue: a captured signed body can be replayed without limit)', () => {
  test('the same body under a new X-Request-UUID is a replay: 200, not delivered, pointing at the original', async () => {
    const ep = await endpoint('replay-token-abcdef');
    const body = freshBody();
    const first = await hook(ep, { body });
    assert.equal(first.status, 202);
    const replays = [];
    for (let i = 0; i < 3; i += 1) replays.push(await hook(ep, { body }));
    for (const replay of replays) assert.deepEqual(replay, { status: 200, body: { status: 'duplicate', code: 'replay', delivery: first.body.delivery } });
    // Under another event key it is still the same signed bytes (or the core refuses the key the body
    // contradicts): never a delivery.
    const otherKey = await hook(ep, { body, event: 'pullrequest:created' });
    assert.ok(otherKey.status !== 202 && ['replay', 'event_key_mismatch'].includes(otherKey.body.code), JSON.stringify(otherKey));
    await eventually('the original to be delivered', async () => (await relay.api('GET', `/api/deliveries/${first.body.delivery}`)).body.status === 'delivered');
    await new Promise((wait) => setTimeout(wait, 1000));
    assert.equal(sink.received('replay-token-abcdef').length, 1);
    const log = await wholeLog(ep);
    assert.deepEqual(log.filter((row) => row.verdict !== 'reject').map((row) => row.code).sort(), ['accepted', 'replay']);
    const folded = log.find((row) => row.code === 'replay');
    assert.deepEqual([folded.verdict, folded.status, folded.answered, folded.count - (otherKey.body.code === 'replay' ? 1 : 0), folded.duplicate_of],
      ['ignore', 'ignored', 200, 3, first.body.delivery]);
    assert.match(folded.reason, new RegExp(`already received as delivery ${first.body.delivery}`));
  });

  test('ten copies of a body at once: one delivery, nine replays of it', async () => {
    const ep = await endpoint('race-token-abcdef');
    const body = freshBody();
    const answers = await Promise.all(Array.from({ length: 10 }, () => hook(ep, { body })));
    const accepted = answers.filter((answer) => answer.status === 202);
    assert.equal(accepted.length, 1, JSON.stringify(answers));
    const original = accepted[0].body.delivery;
    for (const answer of answers.filter((a) => a.status !== 202)) assert.deepEqual(answer.body, { status: 'duplicate', code: 'replay', delivery: original });
    await eventually('the delivery', () => sink.received('race-token-abcdef').length === 1);
    await new Promise((wait) => setTimeout(wait, 1000));
    assert.equal(sink.received('race-token-abcdef').length, 1);
    const log = await wholeLog(ep);
    assert.deepEqual(log.map((row) => [row.code === 'replay' ? 'replay' : 'first', row.count]).sort(), [['first', 1], ['replay', 9]]);
  });

  test('Bitbucket\'s own retry (same X-Request-UUID) is still a duplicate, folded into one row', async () => {
    const ep = await endpoint('retry-token-abcdef');
    const uuid = randomUUID();
    const body = freshBody();
    const first = await hook(ep, { body, uuid });
    const again = await hook(ep, { body, uuid });
    const other = await hook(ep, { uuid }); // same X-Request-UUID, other bytes: still Bitbucket's retry
    for (const answer of [again, other]) assert.deepEqual(answer, { status: 200, body: { status: 'duplicate', delivery: first.body.delivery } });
    const duplicates = (await wholeLog(ep)).filter((row) => row.code === 'duplicate');
    assert.equal(duplicates.length, 1);
    assert.deepEqual([duplicates[0].count, duplicates[0].duplicate_of], [2, first.body.delivery]);
    assert.match(duplicates[0].reason, new RegExp(`X-Request-UUID ${uuid} was already accepted as delivery ${first.body.delivery}`));
  });

  test('an ignored body is remembered too; after the window the same body is new again', async () => {
    const ep = await endpoint('window-token-abcdef', { events: { mode: 'custom', custom: ['repo:fork'] } });
    const body = freshBody();
    const ignored = await hook(ep, { body });
    assert.equal(ignored.body.status, 'ignored', JSON.stringify(ignored));
    const replayed = await hook(ep, { body });
    assert.equal(replayed.body.code, 'replay');
    assert.equal((await relay.api('PATCH', `/api/endpoints/${ep.id}`, { events: { mode: 'push' } })).status, 200);
    assert.equal((await sql(`SELECT count(*) AS n FROM seen_bodies WHERE endpoint_id = '${ep.id}'`))[0].n, 1);
    await new Promise((wait) => setTimeout(wait, replayWindowSeconds * 1000 + 500));
    const accepted = await hook(ep, { body });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  });

  test('REPLAY_WINDOW_SECONDS: a day unless set, 0 turns it off, nonsense is refused', () => {
    assert.equal(replayWindowMs({}), 86_400_000);
    assert.match(readFileSync(resolve(root, 'wrangler.toml'), 'utf8'), /^REPLAY_WINDOW_SECONDS = "86400"$/m);
    assert.equal(replayWindowMs({ REPLAY_WINDOW_SECONDS: '0' }), 0);
    for (const bad of ['', '-1', '1.5', 'a day']) assert.throws(() => replayWindowMs({ REPLAY_WINDOW_SECONDS: bad }), /REPLAY_WINDOW_SECONDS/);
  });
});

describe('a body declared over 1 MiB (issue: no answer for 60 s)', () => {
  const declared = (path, extra = '') => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`
    + `X-Event-Key: repo:push\r\n${extra}Content-Length: 2000000\r\n\r\n0123456789`;

  test('is answered 413 at once, though the rest of the body never comes', async () => {
    const ep = await endpoint('declared-token-abcdef');
    const answer = await rawRequest(declared(`/hooks/${ep.id}`));
    console.log(`# 413 after ${answer.firstByteMs} ms`);
    assert.ok(answer.firstByteMs !== null && answer.firstByteMs < 3000, `first byte after ${answer.firstByteMs} ms`);
    assert.match(answer.text, /^HTTP\/1\.1 413 /);
    assert.match(answer.text, /"code":"body_too_large"/);
    const [row] = await wholeLog(ep, 'status=rejected');
    assert.deepEqual([row.code, row.answered], ['body_too_large', 413]);
  });

  test('an unknown or disconnected endpoint answers at once too', async () => {
    const gone = await endpoint('gone-token-abcdef');
    assert.equal((await relay.api('PATCH', `/api/endpoints/${gone.id}`, { active: false })).status, 200);
    for (const [path, status] of [['/hooks/no-such-endpoint', 404], [`/hooks/${gone.id}`, 410]]) {
      const answer = await rawRequest(declared(path));
      assert.ok(answer.firstByteMs !== null && answer.firstByteMs < 3000, `${path}: first byte after ${answer.firstByteMs} ms`);
      assert.match(answer.text, new RegExp(`^HTTP/1\\.1 ${status} `));
    }
  });
});

describe('other methods (issue: 405s are not recorded and say nothing)', () => {
  test('GET is 405 with Allow: POST and a JSON reason, or a small strict page for a browser; both are logged', async () => {
    const ep = await endpoint('get-token-abcdef');
    const plain = await fetch(ep.url);
    assert.equal(plain.status, 405);
    assert.equal(plain.headers.get('allow'), 'POST');
    assert.deepEqual(await plain.json(), { code: 'method_not_allowed', reason: 'this is a dispatch webhook URL: Bitbucket POSTs its events here' });

    const browser = await fetch(ep.url, { headers: { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' } });
    assert.equal(browser.status, 405);
    assert.equal(browser.headers.get('allow'), 'POST');
    assert.match(browser.headers.get('content-type'), /^text\/html/);
    assert.equal(browser.headers.get('x-content-type-options'), 'nosniff');
    const csp = browser.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(await browser.text(), /This is a dispatch webhook URL: Bitbucket POSTs its events here\./);

    await fetch(ep.url, { method: 'PUT', body: 'x' });
    const row = await eventually('the three refusals counted', async () => {
      const [folded] = await wholeLog(ep);
      return folded?.count === 3 ? folded : null;
    });
    assert.deepEqual([row.code, row.answered, row.verdict, row.count], ['method_not_allowed', 405, 'reject', 3]);
    assert.equal(row.reason, 'this is a dispatch webhook URL: Bitbucket POSTs its events here');
  });
});

describe('headers as the log records them', () => {
  test('recordedHeaders keeps every value on one line', () => {
    const kept = recordedHeaders([['x-a', 'one\r\nx-injected: two'], ['x-b', 'bare\rcr\nlf\u0000nul\ttab'],
      ['x-hub-signature', `sha256=${'ab'.repeat(32)}`], ['cookie', 'session=secret']]);
    assert.deepEqual(kept, {
      'x-a': 'one\ufffd\ufffdx-injected: two', 'x-b': 'bare\ufffdcr\ufffdlf\ufffdnul\ttab', 'x-hub-signature': 'sha256=abababab…',
    });
  });

  test('CR or LF inside a header on the wire never reaches a recorded value', async () => {
    const ep = await endpoint('crlf-token-abcdef');
    const request = (header) => `POST /hooks/${ep.id} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Event-Key: repo:push\r\n${header}\r\n`
      + 'Content-Length: 2\r\n\r\n{}';
    // A folded line (obs-fold), a bare CR and a bare LF inside a value. Each is refused by the HTTP layer
    // (400) or reaches the Worker as an unsigned request (401), whose headers the log row then shows. A
    // parser may read a bare CR as a line end, making "x-injected-cr" a header of its own: no more than the
    // sender could send outright. What matters is that no recorded name or value holds a line break.
    const answers = [];
    for (const header of ['X-Folded: one\r\n x-injected-fold: two', 'X-Cr: one\rx-injected-cr: two', 'X-Lf: one\nx-injected-lf: two']) {
      const line = (await rawRequest(request(header), 5000)).text.split('\r\n')[0];
      answers.push(line);
      assert.match(line, /^HTTP\/1\.1 (400|401) /, answers.join(' | '));
      if (!line.includes(' 401 ')) continue;
      const [row] = await wholeLog(ep);
      const { request_headers: headers } = (await relay.api('GET', `/api/deliveries/${row.id}`)).body;
      for (const [name, value] of Object.entries(headers)) {
        assert.ok(!/[\r\n]/.test(name) && !/[\r\n]/.test(value), `${name}: ${JSON.stringify(value)}`);
      }
    }
    console.log(`# CR/LF in header values: ${answers.join(' | ')}`);
  });

  test('/preview and /sources are served with a strict CSP and nosniff (web/_headers)', async () => {
    for (const path of ['/preview', '/sources']) {
      const response = await fetch(`${relay.base}${path}`);
      assert.equal(response.status, 200, path);
      await response.arrayBuffer();
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/, path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    }
  });
});

describe('log lines (issue: hook_accepted and hook_ignored lose their name)', () => {
  test('logEvent\'s name survives a field called event', (t) => {
    const lines = [];
    t.mock.method(console, 'log', (line) => lines.push(line));
    logEvent('hook_accepted', { endpoint: 'e', event: 'repo:push', key: 'repo:push' });
    assert.deepEqual(JSON.parse(lines[0]), { event: 'hook_accepted', endpoint: 'e', key: 'repo:push' });
    assert.ok(lines[0].startsWith('{"event":"hook_accepted"'));
  });

  test('the Worker\'s lines for an accepted and an ignored hook carry their names and the event key', async () => {
    const ep = await endpoint('names-token-abcdef');
    const forksOnly = await endpoint('forks-token-abcdef', { events: { mode: 'custom', custom: ['repo:fork'] } });
    const accepted = await hook(ep);
    const ignored = await hook(forksOnly);
    assert.deepEqual([accepted.status, ignored.status], [202, 200]);
    const lines = () => relay.log.split('\n').filter((line) => line.startsWith('{"event":')).map((line) => JSON.parse(line));
    const ours = () => lines().filter((line) => [ep.id, forksOnly.id].includes(line.endpoint)
      && ['hook_accepted', 'hook_ignored'].includes(line.event));
    await eventually('both lines', () => ours().length === 2);
    assert.deepEqual(ours().map((line) => [line.event, line.key]), [['hook_accepted', 'repo:push'], ['hook_ignored', 'repo:push']]);
  });
});

// A scratch D1 (helpers.mjs) with one endpoint whose secret is stored plain.
async function scratchEndpointD1() {
  const { mf, db } = await scratchD1();
  const now = Date.now();
  await db.prepare(`INSERT INTO endpoints (id, name, secret, events, destination_url, created_at, updated_at)
    VALUES ('ep1', 'scratch', 'plain-secret-0123456789', '{"mode":"all"}', 'https://discord.com/api/webhooks/1/x', ?, ?)`)
    .bind(now, now).run();
  return { mf, db };
}

describe('the store and the receive path on a scratch D1', () => {
  let mf;
  let db;
  before(async () => {
    ({ mf, db } = await scratchEndpointD1());
  });
  after(() => mf?.dispose());

  const verified = (at, extra = {}) => ({
    id: randomUUID(), endpoint_id: 'ep1', request_uuid: randomUUID(), event: 'repo:push', verdict: 'deliver', code: 'accepted',
    reason: 'r', answered: 202, status: 'pending', next_attempt_at: at, received_at: at, body: new Uint8Array([1]), ...extra,
  });

  test('a remembered body is a replay until its window ends, then new again; retention forgets it', async () => {
    const t0 = 1_800_000_000_000;
    const seen = (at) => ({ sha256: 'ab'.repeat(32), until: at + 60_000 });
    const first = await recordVerified(db, verified(t0), seen(t0));
    assert.equal(first.duplicate, undefined);
    const replay = await recordVerified(db, verified(t0 + 59_999), seen(t0 + 59_999));
    assert.deepEqual([replay.id, replay.duplicate, replay.count], [first.id, 'replay', 1]);
    const later = await recordVerified(db, verified(t0 + 60_000), seen(t0 + 60_000));
    assert.equal(later.duplicate, undefined);
    assert.notEqual(later.id, first.id);
    assert.equal((await purge(db, t0 + 60_000, 1e12, 1e12)).seen_bodies, 0);
    assert.equal((await purge(db, t0 + 120_000, 1e12, 1e12)).seen_bodies, 1);
    assert.equal((await db.prepare('SELECT count(*) AS n FROM seen_bodies').first()).n, 0);
  });

  test('two copies at once: one recorded, the other its replay', async () => {
    const at = Date.now();
    const sha256 = 'cd'.repeat(32);
    const results = await Promise.all([0, 1].map(() => recordVerified(db, verified(at), { sha256, until: at + 60_000 })));
    const recorded = results.filter((result) => !result.duplicate);
    assert.equal(recorded.length, 1);
    assert.deepEqual(results.find((result) => result.duplicate), { id: recorded[0].id, duplicate: 'replay', record: results.find((r) => r.duplicate).record, count: 1 });
  });

  test('a core that throws is recorded as a refusal, core_failed, and answered 503 (issue: core failures are not recorded)', async (t) => {
    t.mock.method(console, 'log', () => {});
    const failing = async () => { throw new Error('dispatch core aborted (exit 134)'); };
    const request = () => new Request('https://relay.example/hooks/ep1', {
      method: 'POST', headers: { 'x-event-key': 'repo:push', 'x-hub-signature': 'sha256=00' }, body: '{}',
    });
    for (let i = 0; i < 2; i += 1) {
      const answer = await receive(request(), { DB: db }, failing, 'ep1');
      assert.equal(answer.status, 503);
      assert.deepEqual(await answer.json(), {
        status: 'rejected', code: 'core_failed', reason: 'dispatch could not check this request just now; Bitbucket will try again',
      });
    }
    const { results } = await db.prepare(`SELECT verdict, status, answered, request_count FROM deliveries
      WHERE code = 'core_failed'`).all();
    assert.deepEqual(results, [{ verdict: 'reject', status: 'rejected', answered: 503, request_count: 2 }]);
  });
});
