// script/server's helpers: the port check names who holds a busy port (through ss and through /proc), and
// the demo endpoint is made once: a later run never changes what the user changed, nor makes again what the
// user deleted.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { demoName, describe as describeDemo, ensureDemoEndpoint } from '../../../script/demo-endpoint.mjs';
import { busyPorts, holderFromProc, holderFromSs, portFree } from '../../../script/ports.mjs';
import { quietWrangler } from '../../../script/quiet-wrangler.mjs';
import { root } from '../helpers.mjs';

const run = promisify(execFile);

describe('port check', () => {
  let server;
  let port;
  before(async () => {
    server = createServer();
    await new Promise((done) => server.listen(0, '127.0.0.1', done));
    port = server.address().port;
  });
  after(() => server.close());

  test('a listening port is busy and a closed one free', async () => {
    assert.equal(await portFree(port), false);
    const spare = createServer();
    await new Promise((done) => spare.listen(0, '127.0.0.1', done));
    const sparePort = spare.address().port;
    await new Promise((done) => spare.close(done));
    assert.equal(await portFree(sparePort), true);
  });

  test('/proc names this process as the holder', () => {
    const holder = holderFromProc(port);
    assert.equal(holder.pid, process.pid);
    assert.match(holder.command, /node/);
  });

  test('ss names this process as the holder, when ss is installed', (t) => {
    const holder = holderFromSs(port);
    if (holder === null) return t.skip('ss is not installed');
    assert.equal(holder.pid, process.pid);
  });

  test('the command line says which port, which variable moves it and who holds it', async () => {
    const error = await run('node', [resolve(root, 'script/ports.mjs'), `DISPATCH_PORT=${port}:the relay`])
      .then(() => null, (failure) => failure);
    assert.equal(error?.code, 1);
    assert.match(error.stderr, new RegExp(`^server: port ${port} \\(the relay\\) is in use by pid ${process.pid} \\(.*node.*\\): ` +
      'stop it, or set DISPATCH_PORT to a free port\\n$'));
  });

  test('two names on one port are refused before anything is bound', async () => {
    assert.deepEqual(await busyPorts([{ name: 'A', port: 1, what: 'a' }, { name: 'B', port: 1, what: 'b' }]),
      ['B=1 (b) is the same port as A: give each its own']);
  });
});

// A fake admin API: endpoints in a Map, every call recorded.
function fakeRelay() {
  const endpoints = new Map();
  const calls = [];
  let next = 1;
  const server = createHttpServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    calls.push(`${request.method} ${request.url}`);
    const send = (status, value) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(value === undefined ? '' : JSON.stringify(value));
    };
    const base = `http://127.0.0.1:${server.address().port}`;
    const view = (e) => ({ ...e, url: `${base}/hooks/${e.id}`, secret: undefined });
    const url = new URL(request.url, base);
    const one = /^\/api\/endpoints\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/api/endpoints' && request.method === 'GET') {
      // Paged as the relay pages it: `limit` from 1 to 500 (default 100); this stand-in never has a second page.
      const limit = Number(url.searchParams.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) return send(400, { code: 'request_invalid', field: 'limit' });
      return send(200, [...endpoints.values()].slice(0, limit).map(view));
    }
    if (url.pathname === '/api/endpoints' && request.method === 'POST') {
      const input = JSON.parse(body);
      const endpoint = { id: `ep${next++}`, name: input.name, destination_url: input.destination_url, state: 'active', secret: 's3cret-demo-value' };
      endpoints.set(endpoint.id, endpoint);
      return send(201, { ...view(endpoint), secret: endpoint.secret });
    }
    if (one && request.method === 'GET') {
      return endpoints.has(one[1]) ? send(200, view(endpoints.get(one[1]))) : send(404, { code: 'not_found' });
    }
    return send(405, { code: 'method_not_allowed' });
  });
  return { server, endpoints, calls, listen: () => new Promise((done) => server.listen(0, '127.0.0.1', done)) };
}

describe('demo endpoint', () => {
  const relay = fakeRelay();
  const sink = 'http://127.0.0.1:9';
  let base;
  before(async () => {
    await relay.listen();
    base = `http://127.0.0.1:${relay.server.address().port}`;
  });
  after(() => relay.server.close());
  const stateFile = join(mkdtempSync(join(tmpdir(), 'dispatch-demo-')), 'dispatch-demo.json');
  const options = () => ({ base, sink, token: 't'.repeat(20), stateFile });

  test('the first run creates it pointed at the stand-in and keeps its id and secret (0600)', async () => {
    const found = await ensureDemoEndpoint(options());
    assert.equal(found.endpoint.name, demoName);
    assert.equal(found.endpoint.destination_url, `${sink}/api/webhooks/1200000000000000001/demo-webhook-token`);
    assert.deepEqual(JSON.parse(readFileSync(stateFile, 'utf8')), { id: found.endpoint.id, secret: 's3cret-demo-value' });
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);
  });

  test('a later run only reads: what the user changed stays changed', async () => {
    const [endpoint] = relay.endpoints.values();
    endpoint.destination_url = 'https://discord.com/api/webhooks/1/••••••••oken';
    endpoint.state = 'disconnected';
    relay.calls.length = 0;
    const found = await ensureDemoEndpoint(options());
    assert.deepEqual(relay.calls, [`GET /api/endpoints/${endpoint.id}`]);
    assert.equal(found.secret, 's3cret-demo-value');
    const text = describeDemo({ base, sink, token: 'x', ...found });
    assert.match(text, /delivers to {5}https:\/\/discord\.com\/api\/webhooks\/1\/••••••••oken \(your change: script\/server leaves it alone\)/);
    assert.match(text, /\(disconnected: as you left it\)/);
  });

  test('one the user deleted is not made again', async () => {
    relay.endpoints.clear();
    relay.calls.length = 0;
    const found = await ensureDemoEndpoint(options());
    assert.equal(found.endpoint, null);
    assert.match(found.note, /no longer exists .*\n {2}for a new one: rm .*dispatch-demo\.json/);
    assert.equal(relay.calls.filter((call) => !call.startsWith('GET')).length, 0);
  });

  test('a lost state file: the endpoint of that name is adopted as it is, its secret not rotated', async () => {
    relay.endpoints.set('ep9', { id: 'ep9', name: demoName, destination_url: 'https://discord.com/x', state: 'active', secret: 'kept' });
    const other = join(mkdtempSync(join(tmpdir(), 'dispatch-demo-')), 'dispatch-demo.json');
    relay.calls.length = 0;
    const found = await ensureDemoEndpoint({ ...options(), stateFile: other });
    assert.equal(found.endpoint.id, 'ep9');
    assert.equal(found.secret, null);
    assert.deepEqual(relay.calls, ['GET /api/endpoints?limit=500']);
    assert.deepEqual(JSON.parse(readFileSync(other, 'utf8')), { id: 'ep9', secret: null });
  });

  test('another server on the port is named, not a SyntaxError', async () => {
    const html = createHttpServer((request, response) => response.end('<!doctype html><p>hello'));
    await new Promise((done) => html.listen(0, '127.0.0.1', done));
    const other = join(mkdtempSync(join(tmpdir(), 'dispatch-demo-')), 'dispatch-demo.json');
    try {
      await assert.rejects(
        ensureDemoEndpoint({ ...options(), base: `http://127.0.0.1:${html.address().port}`, stateFile: other }),
        /answered 200 with something that is not dispatch's JSON \("<!doctype html><p>hello"\): is another server on that port\?/);
    } finally {
      html.close();
    }
  });
});

// A hook that checks what the printed commands send as the relay would: the signature over the exact bytes,
// and a body it already received is a replay (answered 200 "duplicate", code "replay").
function fakeHook(secret) {
  const bodies = [];
  const server = createHttpServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    const given = Buffer.from(request.headers['x-hub-signature'] ?? '');
    const signed = given.length === expected.length && timingSafeEqual(given, expected);
    const replay = bodies.some((seen) => seen.equals(body));
    if (signed && !replay) bodies.push(body);
    response.writeHead(signed ? (replay ? 200 : 202) : 401, { 'content-type': 'application/json' });
    response.end(JSON.stringify(!signed ? { status: 'rejected', code: 'signature_mismatch' }
      : replay ? { status: 'duplicate', code: 'replay' } : { status: 'accepted', delivery: `d${bodies.length}` }));
  });
  return { server, bodies, listen: () => new Promise((done) => server.listen(0, '127.0.0.1', done)) };
}

describe('the printed walkthrough works as printed', () => {
  const secret = 'printed-walkthrough-secret-0123456789';
  const hook = fakeHook(secret);
  let text;
  before(async () => {
    await hook.listen();
    const url = `http://127.0.0.1:${hook.server.address().port}/hooks/ep1`;
    text = describeDemo({
      base: 'http://127.0.0.1:8787', sink: 'http://127.0.0.1:8789', token: 'tok',
      endpoint: { id: 'ep1', url, destination_url: 'http://127.0.0.1:8789/api/webhooks/1200000000000000001/demo-webhook-token', state: 'active' },
      secret, note: null,
    });
  });
  after(() => hook.server.close());

  // The indented command lines that follow `heading`, as a shell script.
  const commands = (heading) => {
    const lines = text.slice(text.indexOf(heading)).split('\n').slice(1);
    const start = lines.findIndex((line) => line.startsWith('  '));
    const end = lines.findIndex((line, index) => index > start && !line.startsWith('  '));
    return lines.slice(start, end).join('\n');
  };

  test('the sample curl sends a new, correctly signed push each time it is run: never a replay', async () => {
    const script = commands('Send a signed sample push');
    assert.match(script, /^ {2}body=\$\(node script\/sample-push\.mjs\)\n {2}curl /);
    const first = await run('bash', ['-c', script], { cwd: root });
    const second = await run('bash', ['-c', script], { cwd: root });
    assert.match(first.stdout, /"status":"accepted"/);
    assert.match(second.stdout, /"status":"accepted"/, 'the second run of the printed curl was refused or a replay');
    assert.equal(hook.bodies.length, 2);
    const pushed = JSON.parse(hook.bodies[1].toString());
    assert.match(pushed.push.changes[0].commits[0].message, /^Fix the retry window for 429s\n[\s\S]*\n\nSample sent \d{4}-\d\d-\d\d /);
  });

  test('the dispatch command line sends a new sample too', { skip: !existsSync(resolve(root, 'build/wasm/dispatch-tools.wasm')) && 'build/wasm is not built' }, async () => {
    const script = commands('or with the dispatch command');
    assert.match(script, /node script\/sample-push\.mjs --forced \| node wasm\/cli\.mjs send /);
    const sent = await run('bash', ['-c', script], { cwd: root, env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
    assert.match(sent.stdout, /^HTTP 202 /);
  });

  test('the command for a real channel has a placeholder nobody can take for a URL, which the relay refuses', () => {
    assert.doesNotMatch(text, /discord\.com\/api\/webhooks\/…/);
    assert.match(commands('To see it in a real channel'), /"destination_url": "<your Discord webhook URL>"/);
  });
});

describe('wrangler dev output', () => {
  // What wrangler 4.46 prints offline, in the order it prints it.
  const offline = [
    '',
    ' ⛅️ wrangler 4.46.0 (update available 4.164.0)',
    '──────────────────────────────────────────────',
    '[wrangler:warn] Unable to fetch the `Request.cf` object! Falling back to a default placeholder...',
    'Error: getaddrinfo ENOTFOUND workers.cloudflare.com',
    '    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26)',
    '\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1mScheduled Workers are not automatically triggered during local development.\x1b[0m',
    '',
    '  To manually trigger a scheduled event, run:',
    '    curl "http://127.0.0.1:undefined/cdn-cgi/handler/scheduled"',
    '  For more details, see https://developers.cloudflare.com/workers/configuration/cron-triggers/',
    '',
    '',
    '⎔ Starting local server...',
    '[wrangler:warn] Unable to fetch the `Request.cf` object! Falling back to a default placeholder...',
    'Error: getaddrinfo ENOTFOUND workers.cloudflare.com',
    '    at GetAddrInfoReqWrap.callbackTrampoline (node:internal/async_hooks:130:17)',
    '[wrangler:info] Ready on http://127.0.0.1:8787',
  ];

  test('offline: no stack traces, no update note, no cron note with an undefined port; the rest as it came', () => {
    const filter = quietWrangler();
    assert.deepEqual(offline.flatMap(filter), [
      '',
      ' ⛅️ wrangler 4.46.0',
      '──────────────────────────────────────────────',
      '[wrangler:warn] offline: request.cf is a placeholder (dispatch does not read it)',
      '⎔ Starting local server...',
      '[wrangler:info] Ready on http://127.0.0.1:8787',
    ]);
  });
});
