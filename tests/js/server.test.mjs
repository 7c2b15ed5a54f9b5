// script/server's helpers: the port check names who holds a busy port (through ss and through /proc), and
// the demo endpoint is made once: a later run never changes what the user changed, nor makes again what the
// user deleted.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { demoName, describe as describeDemo, ensureDemoEndpoint } from '../../script/demo-endpoint.mjs';
import { busyPorts, holderFromProc, holderFromSs, portFree } from '../../script/ports.mjs';
import { quietWrangler } from '../../script/quiet-wrangler.mjs';
import { root } from './helpers.mjs';

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
