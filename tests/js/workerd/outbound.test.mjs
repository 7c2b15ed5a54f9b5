// The outbound side under the real runtime (`wrangler dev`): what dispatch does with a destination's answer
// and where it refuses to send. A destination answering 100 MB, redirects, private addresses, a non-Discord
// answer, one hanging destination in a queue batch, and a sweep of hundreds of overdue deliveries.
// Everything goes through HTTP; the hostile destinations are a local server of this file.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, root, sign } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'outbound-test-admin-token-0123456789';
// One sweep per start (SWEEP_INTERVAL_SECONDS), so the recovery test sees what a single sweep does.
const vars = {
  RETRY_BASE_SECONDS: 1, RETRY_MAX_SECONDS: 2, MAX_FAILURES: 3, DESTINATION_TIMEOUT_SECONDS: 15,
  SWEEP_GRACE_SECONDS: 1, SWEEP_INTERVAL_SECONDS: 3600,
};
const pushBody = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));
const hugeBytes = 100 * 1024 * 1024;

const { relay, sink } = withRelay({ token, sink: true, vars });
let hostile;

// A destination that misbehaves on purpose. Each path is one behaviour; `seen` counts requests by path,
// `huge` records how much of a 100 MB answer was written before the caller hung up.
function startHostile() {
  const seen = new Map();
  const huge = [];
  const server = createServer(async (request, response) => {
    for await (const chunk of request) void chunk;
    const { pathname } = new URL(request.url, 'http://hostile');
    seen.set(pathname, (seen.get(pathname) ?? 0) + 1);
    if (pathname.endsWith('/huge') || pathname.endsWith('/huge-text')) {
      const json = pathname.endsWith('/huge');
      const record = { written: 0, closedEarly: false, done: false };
      huge.push(record);
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'text/plain' });
      response.on('close', () => { record.closedEarly = !response.writableFinished; });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      if (json) {
        response.write('{"id":"1","x":"');
        record.written += 15;
      }
      while (record.written < hugeBytes && !response.destroyed) {
        record.written += chunk.length;
        if (!response.write(chunk)) {
          await new Promise((drained) => {
            const done = () => {
              response.off('drain', done);
              response.off('close', done);
              drained();
            };
            response.on('drain', done);
            response.on('close', done);
          });
        }
      }
      if (!response.destroyed) response.end(json ? '"}' : '');
      record.done = true;
      return;
    }
    if (pathname === '/r307') {
      response.writeHead(307, { location: '/target' });
      return response.end();
    }
    if (pathname === '/r302') {
      response.writeHead(302, { location: `http://127.0.0.1:${server.address().port}/target?from=302` });
      return response.end();
    }
    if (pathname === '/chatty') {
      // Not Discord: a long text answer with control characters in it.
      response.writeHead(200, { 'content-type': 'text/plain' });
      return response.end(`ok\u0000\u001b[31m${'\u0007noise '.repeat(1000)}`);
    }
    if (pathname === '/refuses') {
      response.writeHead(400, { 'content-type': 'application/json' });
      return response.end(JSON.stringify({ message: `refused ${'x'.repeat(3000)}`, code: 1 }));
    }
    if (pathname.startsWith('/api/webhooks/')) {
      // Discord-shaped: a webhook path and a JSON answer, larger than what is kept.
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify({ id: '42', content: 'y'.repeat(10_000) }));
    }
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('fine');
  });
  return new Promise((ready) => {
    server.listen(0, '127.0.0.1', () => {
      const base = `http://127.0.0.1:${server.address().port}`;
      ready({
        url: (path) => `${base}${path}`, seen: (path) => seen.get(path) ?? 0, huge,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
      });
    });
  });
}

before(async () => {
  hostile = await startHostile();
});

after(() => hostile?.close());

async function hook(endpoint, body = pushBody) {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-event-key': 'repo:push', 'x-request-uuid': randomUUID(),
      'x-hub-signature': sign(endpoint.secret, body),
    },
    body,
  });
  assert.equal(response.status, 202);
  return (await response.json()).delivery;
}

async function endpoint(destination, name = 'outbound') {
  const created = await relay.api('POST', '/api/endpoints', { name, destination_url: destination, events: { mode: 'all' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

const delivery = async (id) => (await relay.api('GET', `/api/deliveries/${id}`)).body;
const settled = (id, status, timeoutMs) => eventually(`delivery ${id} to be ${status}`, async () => {
  const current = await delivery(id);
  return current.status === status ? current : null;
}, timeoutMs);

// The workerd process under the wrangler started by relay.mjs (wrangler runs detached: its pid is the group).
function workerdPid() {
  const parents = new Map();
  const names = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const under = (pid) => {
    for (let at = parents.get(pid); at !== undefined && at > 1; at = parents.get(at)) if (at === relay.process.pid) return true;
    return false;
  };
  return [...names].find(([pid, name]) => name.startsWith('workerd') && under(pid))?.[0];
}

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

describe('a destination\'s answer', () => {
  test('a 100 MB answer is not read: at most 4 KiB is kept, the rest cancelled, workerd does not grow', async (t) => {
    const pid = workerdPid();
    assert.ok(pid, 'no workerd process under wrangler');
    // A first delivery warms the consumer up, so its own start is not counted.
    await settled(await hook(await endpoint(hostile.url('/warm'))), 'delivered');
    const baseline = rssKiB(pid);
    let peak = baseline;
    const watch = setInterval(() => { peak = Math.max(peak, rssKiB(pid)); }, 20);
    try {
      const discordShaped = await endpoint(hostile.url('/api/webhooks/1/huge'));
      const done = await settled(await hook(discordShaped), 'delivered', 60_000);
      assert.ok(done.attempt_log.length === 1);
      const kept = (await relay.api('GET', `/api/deliveries/${done.id}`)).body;
      const keptText = typeof kept.response === 'string' ? kept.response : JSON.stringify(kept.response);
      assert.ok(Buffer.byteLength(keptText) <= 4096, `kept ${Buffer.byteLength(keptText)} bytes`);
      const text = await endpoint(hostile.url('/huge-text'));
      const plain = await settled(await hook(text), 'delivered', 60_000);
      assert.ok(String(plain.response).length <= 200);
      await eventually('the destination to see its connections closed', () => hostile.huge.length === 2 && hostile.huge.every((r) => r.done));
    } finally {
      clearInterval(watch);
    }
    for (const record of hostile.huge) {
      assert.ok(record.closedEarly, 'the destination wrote its whole answer');
      assert.ok(record.written < hugeBytes / 4, `the destination wrote ${record.written} bytes`);
    }
    const grown = (peak - baseline) / 1024;
    t.diagnostic(`workerd peak RSS +${grown.toFixed(1)} MB; the destination wrote ${hostile.huge.map((r) => r.written).join(' and ')} bytes`);
    assert.ok(grown < 30, `workerd grew by ${grown.toFixed(1)} MB`);
  });

  test('a redirect is a failure with its reason, never followed, not retried', async () => {
    for (const path of ['/r307', '/r302']) {
      const ep = await endpoint(hostile.url(path));
      const failed = await settled(await hook(ep), 'failed');
      const status = Number(path.slice(2));
      assert.equal(failed.attempts, 1);
      assert.equal(failed.response_status, status);
      assert.match(failed.last_error, new RegExp(`^${status} from the destination: a redirect to 127\\.0\\.0\\.1:\\d+; dispatch does not follow redirects$`));
      assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status, 'ok');
    }
    // Each attempt has settled on the 3xx itself: a redirect followed would have been inside that attempt.
    assert.equal(hostile.seen('/target'), 0, 'a redirect was followed');
  });

  test('a non-Discord answer keeps its status and a short text excerpt; a Discord-shaped one up to 4 KiB', async () => {
    const chatty = await settled(await hook(await endpoint(hostile.url('/chatty'))), 'delivered');
    assert.equal(chatty.response_status, 200);
    assert.equal(typeof chatty.response, 'string');
    assert.ok(chatty.response.length <= 200, `kept ${chatty.response.length} characters`);
    assert.ok(chatty.response.startsWith('ok'));
    assert.doesNotMatch(chatty.response, /[\u0000-\u001f\u007f]/);
    for (const entry of chatty.attempt_log) assert.ok((entry.answer ?? '').length <= 200);

    const refused = await settled(await hook(await endpoint(hostile.url('/refuses'))), 'failed');
    assert.equal(refused.response_status, 400);
    assert.ok(JSON.stringify(refused.response).length <= 220, 'a non-Discord JSON answer was kept whole');
    assert.ok(refused.last_error.length <= 300, `last_error is ${refused.last_error.length} characters`);

    const discord = await settled(await hook(await endpoint(hostile.url('/api/webhooks/7/shaped'))), 'delivered');
    const kept = typeof discord.response === 'string' ? discord.response : JSON.stringify(discord.response);
    assert.ok(kept.length > 200 && Buffer.byteLength(kept) <= 4096, `kept ${kept.length} characters`);
    assert.equal(discord.message_id, '42'); // read past the kept 4 KiB (up to 64 KiB) to find Discord's id
  });
});

test('one hanging destination does not hold up the rest of its queue batch', async () => {
  const hanging = await endpoint(sink.webhook('batch-hang-token'));
  sink.script('batch-hang-token', [{ hang_ms: 9000 }]);
  const others = [];
  for (let i = 0; i < 4; i += 1) others.push(await endpoint(sink.webhook(`batch-quick-${i}-token`)));
  const started = Date.now();
  const held = await hook(hanging);
  const quick = [];
  for (const ep of others) quick.push(await hook(ep));
  await Promise.all(quick.map((id) => settled(id, 'delivered', 30_000)));
  const quickMs = Date.now() - started;
  assert.ok(quickMs < 6000, `the others took ${quickMs} ms behind a 9 s hang`);
  assert.ok(sink.arrivals('batch-hang-token') === 1 && sink.received('batch-hang-token').length === 0, 'the hang was not in flight');
  await settled(held, 'delivered', 30_000);
});

// Five hanging destinations held every other endpoint's delivery for the whole timeout, each time.
test('hanging destinations hold the others only once: then a short timeout and one lane for them all', async () => {
  const hangs = [];
  for (let i = 0; i < 5; i += 1) {
    const token = `lane-hang-${i}-token`;
    sink.script(token, Array.from({ length: 8 }, () => ({ hang_ms: 40_000 })));
    hangs.push(await endpoint(sink.webhook(token)));
  }
  // First contact: each POST waits out DESTINATION_TIMEOUT_SECONDS (15 s), and the destination is slow since.
  // Each body its own (the same bytes again would be a replay).
  let sent = 0;
  const fresh = () => Buffer.concat([pushBody, Buffer.alloc((sent += 1), ' ')]);
  const first = await Promise.all(hangs.map((ep) => hook(ep, fresh())));
  await Promise.all(first.map((id) => eventually(`delivery ${id} to time out`, async () => {
    const row = (await relay.api('GET', `/api/deliveries/${id}`)).body;
    return row.attempts >= 1 && row.status !== 'sending' ? row : null;
  }, 40_000)));
  const timedOut = (await relay.api('GET', `/api/deliveries/${first[0]}`)).body;
  assert.match(timedOut.attempt_log?.[0]?.error ?? timedOut.last_error ?? '', /no answer within 15 s/);

  const quick = [];
  for (let i = 0; i < 4; i += 1) quick.push(await endpoint(sink.webhook(`lane-quick-${i}-token`)));
  const started = Date.now();
  const again = [];
  for (const ep of hangs) again.push(await hook(ep, fresh()));
  const others = [];
  for (const ep of quick) others.push(await hook(ep, fresh()));
  await Promise.all(others.map((id) => settled(id, 'delivered', 30_000)));
  const quickMs = Date.now() - started;
  console.log(`# beside five slow destinations, four others delivered in ${quickMs} ms`);
  assert.ok(quickMs < 8000, `the others took ${quickMs} ms beside five destinations known to hang`);
  // A slow destination's next POST gives up after 5 s, not 15.
  const slowAttempt = await eventually('a slow destination\'s next attempt', async () => {
    const row = (await relay.api('GET', `/api/deliveries/${again[0]}`)).body;
    return (row.attempt_log ?? []).find((entry) => /no answer within/.test(entry.error ?? '')) ?? null;
  }, 40_000);
  assert.match(slowAttempt.error, /no answer within 5 s/);
  // Their deliveries go with them, so that the sweep below counts only its own.
  for (const ep of hangs) assert.equal((await relay.api('DELETE', `/api/endpoints/${ep.id}`)).status, 204);
});

test('one sweep re-enqueues every overdue delivery, a page at a time', async () => {
  const ep = await endpoint(sink.webhook('sweep-token'), 'sweep');
  await relay.kill();
  const count = 450;
  const old = Date.now() - 60 * 60 * 1000;
  const sql = join(relay.state, 'overdue.sql');
  writeFileSync(sql, `INSERT INTO deliveries (id, endpoint_id, event, verdict, code, reason, answered, status,
      next_attempt_at, message, received_at, updated_at)
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
    SELECT printf('overdue-%04d', i), '${ep.id}', 'repo:push', 'deliver', 'accepted', 'inserted by the test', 202,
      'pending', ${old} + i, json_object('content', 'overdue ' || i), ${old}, ${old} FROM n;`);
  await relay.sql({ file: sql });
  const logBefore = relay.log.length;
  await relay.start();
  await eventually(() => `${count} messages at the stand-in, ${sink.received('sweep-token').length} so far`,
    () => sink.received('sweep-token').length >= count, 120_000);
  const sweeps = [...relay.log.slice(logBefore).matchAll(/"event":"sweep","requeued":(\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(sweeps, [count]);
  assert.equal(new Set(sink.received('sweep-token').map((item) => item.body.content)).size, count);
});

describe('private and local destinations', () => {
  test('the address check knows loopback, private, CGNAT, link-local, IPv6 and local names in every spelling', async () => {
    const { destinationRefusal } = await import('../../../js-shim/shared/destination.mjs');
    const production = {};
    const refused = ['https://127.0.0.1/', 'https://127.9.9.9/', 'https://10.0.0.1/', 'https://172.16.0.1/',
      'https://172.31.255.255/', 'https://192.168.1.1/', 'https://100.64.0.1/', 'https://100.127.255.254/',
      'https://169.254.169.254/latest/meta-data/', 'https://0.0.0.0/', 'https://0.1.2.3/', 'https://[::1]/', 'https://[::]/',
      'https://[fc00::1]/', 'https://[fd12:3456::1]/', 'https://[fe80::1]/', 'https://[febf::1]/',
      'https://[::ffff:127.0.0.1]/', 'https://[::ffff:10.0.0.1]/', 'https://[::ffff:169.254.169.254]/',
      'https://[0:0:0:0:0:ffff:7f00:1]/', 'https://localhost/', 'https://LOCALHOST./', 'https://a.b.localhost/',
      'https://db.internal/', 'https://metadata.google.internal/computeMetadata/v1/', 'https://printer.local/',
      'http://2130706433/', 'https://2130706433/', 'https://0x7f000001/', 'https://0x7f.0.0.1/', 'https://0177.0.0.1/',
      'https://127.1/', 'https://0/', 'https://017700000001/', 'https://0xa9.0xfe.0xa9.0xfe/', 'https://3232235777/',
      'http://127.0.0.1:8789/api/webhooks/1/x', 'http://[::1]:8789/', 'https://[fec0::1]/'];
    for (const url of refused) assert.ok(destinationRefusal(url, production), `${url} was allowed`);
    const allowed = ['https://discord.com/api/webhooks/1/x', 'https://8.8.8.8/', 'https://172.32.0.1/', 'https://172.15.255.255/',
      'https://100.128.0.1/', 'https://100.63.255.255/', 'https://169.253.0.1/', 'https://[2001:db8::1]/',
      'https://internal.example.com/', 'https://localhost.example.com/', 'https://[::ffff:8.8.8.8]/'];
    for (const url of allowed) assert.equal(destinationRefusal(url, production), null, url);
    assert.match(destinationRefusal('https://169.254.169.254/', production), /points to 169\.254\.169\.254, which is a link-local address/);
    assert.match(destinationRefusal('http://discord.com/api/webhooks/1/x', production), /https/);

    const local = { ALLOW_LOCAL_DESTINATIONS: 'true' };
    for (const url of ['http://127.0.0.1:8789/api/webhooks/1/x', 'http://localhost:1/', 'http://[::1]:2/', 'https://10.0.0.1/']) {
      assert.equal(destinationRefusal(url, local), null, url);
    }
    assert.match(destinationRefusal('http://10.0.0.1/', local), /plain http only to this machine/);
    assert.match(destinationRefusal('http://discord.com/', local), /https/);
  });

  test('refused at save and again before each POST, unless ALLOW_LOCAL_DESTINATIONS is "true"', async () => {
    // Saved while local destinations are allowed; the configuration then changes under it.
    const saved = await endpoint(sink.webhook('private-token'), 'private');
    await relay.kill();
    await relay.start({ ALLOW_LOCAL_DESTINATIONS: 'false' });
    const failed = await settled(await hook(saved), 'failed');
    assert.equal(failed.attempts, 0, 'nothing was sent, so no attempt is counted');
    assert.deepEqual(failed.attempt_log, []);
    assert.match(failed.last_error, /^not sent: destination_url points to 127\.0\.0\.1, which is a loopback address/);
    // The delivery settled as not sent: the attempt that would have reached the stand-in was never made.
    assert.equal(sink.arrivals('private-token'), 0);

    const spellings = ['http://127.0.0.1:9/api/webhooks/1/x', 'https://2130706433/', 'https://0x7f000001/', 'https://0177.0.0.1/',
      'https://[::ffff:127.0.0.1]/', 'https://169.254.169.254/', 'https://metadata.google.internal/', 'https://a.localhost/',
      'https://10.1.2.3/', 'https://[fd00::1]/', 'https://100.100.100.200/'];
    for (const url of spellings) {
      const answer = await relay.api('POST', '/api/endpoints', { name: 'n', destination_url: url, events: { mode: 'all' } });
      assert.equal(answer.status, 400, url);
      assert.equal(answer.body.field, 'destination_url', url);
      assert.match(answer.body.reason, /^destination_url (must|is|points)/, url);
    }
    const patched = await relay.api('PATCH', `/api/endpoints/${saved.id}`, { destination_url: 'https://[::1]/' });
    assert.equal(patched.status, 400);
    assert.equal(patched.body.field, 'destination_url');
    const fine = await relay.api('POST', '/api/endpoints', { name: 'n', destination_url: 'https://discord.com/api/webhooks/1/abc', events: { mode: 'all' } });
    assert.equal(fine.status, 201);
  });
});
