// The `dispatch` command line on both builds: the same arguments give the same stdout, stderr and exit
// code from the native binary and from node wasm/cli.mjs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

import { haveShared, nativeCli, root, sharedDir, wasmPath } from '../helpers.mjs';

const work = mkdtempSync(join(tmpdir(), 'dispatch-cli-'));
const write = (name, text) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

const signedPayload = resolve(sharedDir, 'fixtures/bitbucket-cloud/jenkinsci__bitbucket-branch-source-plugin/impl_webhook_cloud__signed_payload.json');
const realSignature = 'sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035';
const realSecret = 'Gkvl$k$wyNpQAF42';
const ownPush = resolve(root, 'tests/vectors/bodies/push.json');

const endpoint = write('endpoint.json', JSON.stringify({ secret: realSecret, events: { mode: 'push' } }));
const headers = write('headers.json', JSON.stringify({ 'X-Event-Key': 'repo:push', 'X-Hub-Signature': realSignature }));
const twinHeaders = write('twin.json', JSON.stringify({ 'x-event-key': 'repo:push', 'x-hub-signature': `${realSignature.slice(0, -1)}6` }));
const badEndpoint = write('bad-endpoint.json', '{"secret":"x","events":{"mode":"custom","custom":["repo:nope"]}}');
const notJson = write('not.json', '{"a":\n  tru}');
const secretFile = write('secret.txt', `${realSecret}\n`);
const goodTemplate = write('good-template.json', JSON.stringify({
  content: '{{dispatch.actor}} pushed {{dispatch.commit_count}} to {{dispatch.branch}}',
  embeds: [{ title: '{{dispatch.repository}}', color: '{{dispatch.color}}' }],
}, null, 2));
// Over the 16 KiB a template may hold: refused as a whole.
const hugeTemplate = write('huge-template.json', JSON.stringify({ content: 'x'.repeat(17 * 1024) }));
const brokenTemplate = write('broken-template.json', '{\n  "content": "{{#dispatch.commits}}{{subject}}"\n}');

function runBoth(args, input) {
  const native = spawnSync(nativeCli, args, { input, encoding: 'utf8' });
  const wasm = spawnSync(process.execPath, [resolve(root, 'wasm/cli.mjs'), ...args], {
    input, encoding: 'utf8', env: { ...process.env, DISPATCH_WASM: wasmPath },
  });
  return { native, wasm };
}

function agree(name, args, { exit, stdout, stderr, input, needsShared = false } = {}) {
  test(name, { skip: needsShared && !haveShared ? '../shared is not beside the repository' : false }, () => {
    const { native, wasm } = runBoth(args, input);
    assert.equal(native.error, undefined, `native CLI did not run: ${native.error}`);
    assert.equal(wasm.stdout, native.stdout);
    assert.equal(wasm.stderr, native.stderr);
    assert.equal(wasm.status, native.status);
    assert.equal(native.status, exit);
    if (stdout) assert.match(native.stdout, stdout);
    if (stderr) assert.match(native.stderr, stderr);
  });
}

agree('verify: the real vector is valid', ['verify', '--secret', realSecret, '--signature', realSignature, signedPayload],
  { exit: 0, stdout: /"valid": true/, needsShared: true });
agree('verify: its ...a036 twin is refused', ['verify', '--secret', realSecret, '--signature', `${realSignature.slice(0, -1)}6`, signedPayload],
  { exit: 1, stdout: /"code": "signature_mismatch"/, needsShared: true });
agree('verify: secret from a file', ['verify', '--secret-file', secretFile, '--signature', realSignature, signedPayload],
  { exit: 0, needsShared: true });
// HMAC-SHA256('k', '{}') from `openssl dgst -sha256 -hmac k`.
agree('verify: body from standard input', ['verify', '--secret', 'k', '--signature', 'sha256=add853b103fbcc936a194f9eb15e29c4ff08af6e47d5d1bca4f20218e31e4fff', '-'],
  { exit: 0, input: '{}' });
agree('verify: sha1 is refused', ['verify', '--secret', 'k', '--signature', 'sha1=abc', ownPush],
  { exit: 1, stdout: /algorithm_unsupported/ });
agree('handle: the real delivery is accepted', ['handle', '--endpoint', endpoint, '--headers', headers, signedPayload],
  { exit: 0, stdout: /"status": 202/, needsShared: true });
agree('handle: the twin signature is 401', ['handle', '--endpoint', endpoint, '--headers', twinHeaders, signedPayload],
  { exit: 1, stdout: /"status": 401/, needsShared: true });
agree('handle: a bad endpoint file is refused input', ['handle', '--endpoint', badEndpoint, '--headers', headers, ownPush],
  { exit: 1, stderr: /repo:nope/ });
agree('render: the project push payload', ['render', '--event', 'repo:push', ownPush], { exit: 0, stdout: /acme\/relay-api/ });
agree('render: an unknown event key renders generically', ['render', '--event', 'repo:from_the_future', ownPush],
  { exit: 0, stdout: /repo:from_the_future/ });
agree('render: not JSON, with line and column', ['render', '--event', 'repo:push', notJson],
  { exit: 1, stderr: /at line 2, column/ });
agree('template check: a good template', ['template', 'check', goodTemplate], { exit: 0, stdout: /"valid": true/ });
agree('template check: line and column of the fault', ['template', 'check', brokenTemplate],
  { exit: 1, stdout: /"line": 2,\s+"column": 15/ });
agree('template check: a fault of the whole template names no place', ['template', 'check', hugeTemplate],
  { exit: 1, stdout: /^(?![\s\S]*"line")[\s\S]*"code": "template_too_large"/ });
agree('render with a template', ['render', '--event', 'repo:push', '--template', goodTemplate, ownPush],
  { exit: 0, stdout: /pushed 2 to main/ });
agree('render with a broken template', ['render', '--event', 'repo:push', '--template', brokenTemplate, ownPush],
  { exit: 1, stderr: /never closed .* \(at line 2, column 15\)/ });
agree('events', ['events'], { exit: 0, stdout: /pullrequest:changes_request_created/ });
agree('codes', ['codes'], { exit: 0, stdout: /"code": "signature_mismatch",\n {4}"status": 401/ });
agree('help', ['help'], { exit: 0, stdout: /usage: dispatch/ });
agree('no command', [], { exit: 2, stderr: /no command given/ });
agree('a missing file', ['render', '--event', 'repo:push', join(work, 'absent.json')], { exit: 2, stderr: /no such file/ });
agree('a directory', ['render', '--event', 'repo:push', work], { exit: 2, stderr: /is a directory/ });

// Signing and sending, so nobody needs openssl to try the relay.
agree('sign: the X-Hub-Signature of a file', ['sign', '--secret', realSecret, ownPush],
  { exit: 0, stdout: /^sha256=[0-9a-f]{64}\n$/ });
agree('sign: the secret from a file, its newline dropped', ['sign', '--secret-file', secretFile, ownPush],
  { exit: 0, stdout: /^sha256=[0-9a-f]{64}\n$/ });
agree('events --json: the output is JSON already', ['events', '--json'], { exit: 2, stderr: /prints JSON already/ });
agree('an unknown option is named, not taken for one that needs a value', ['render', '--evnt', 'x', ownPush],
  { exit: 2, stderr: /render does not take --evnt/ });
agree('a file that is not JSON is refused input, not a usage error', ['handle', '--endpoint', notJson, '--headers', headers, ownPush],
  { exit: 1, stderr: /is not JSON/ });
agree('send: a URL it cannot use', ['send', 'ftp://x', '--secret', realSecret, '--event', 'repo:push', ownPush],
  { exit: 2, stderr: /http:\/\/ or https:\/\// });

test('sign matches what the relay checks, and send POSTs as Bitbucket does from both builds', async () => {
  const { createServer } = await import('node:http');
  const { createHmac } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  const received = [];
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(received.length === 1 ? 202 : 401, { 'content-type': 'application/json' });
      response.end('{"status":"accepted"}');
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${server.address().port}/hooks/demo`;
  const body = readFileSync(ownPush);
  const expected = `sha256=${createHmac('sha256', realSecret).update(body).digest('hex')}`;
  const { spawn } = await import('node:child_process');
  const run = (command, args) => new Promise((done) => {
    const child = spawn(command, args);
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.on('close', (status) => done({ status, out }));
  });
  assert.equal((await run(nativeCli, ['sign', '--secret', realSecret, ownPush])).out, `${expected}\n`);
  const args = ['send', url, '--secret', realSecret, '--event', 'repo:push', ownPush];
  const native = await run(nativeCli, args);
  const wasm = await run(process.execPath, [resolve(root, 'wasm/cli.mjs'), ...args]);
  server.close();
  assert.equal(native.status, 0);
  assert.match(native.out, /^HTTP 202 \(X-Request-UUID \{[0-9a-f-]{36}\}\)\n\{"status":"accepted"\}\n$/);
  assert.equal(wasm.status, 1, 'the second answer is 401: exit 1');
  assert.match(wasm.out, /^HTTP 401 /);
  for (const { headers: sent, body: bytes } of received) {
    assert.equal(sent['x-hub-signature'], expected);
    assert.equal(sent['x-event-key'], 'repo:push');
    assert.equal(sent['content-type'], 'application/json');
    assert.match(sent['x-request-uuid'], /^\{[0-9a-f-]{36}\}$/);
    assert.deepEqual(bytes, body);
  }
});

// What `send` refuses before sending, and what it makes of answers and failures. Both builds run at
// once against servers in this process (so spawnSync, which would stop them answering, is not used), and must
// print the same (the X-Request-UUID aside) and exit alike.
async function sendBoth(args) {
  const { spawn } = await import('node:child_process');
  const run = (command, argv) => new Promise((done) => {
    const child = spawn(command, argv, { env: { ...process.env, DISPATCH_WASM: wasmPath } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
  const [native, wasm] = await Promise.all([
    run(nativeCli, args), run(process.execPath, [resolve(root, 'wasm/cli.mjs'), ...args]),
  ]);
  const uuidless = (text) => text.replace(/\{[0-9a-f-]{36}\}/g, '{UUID}');
  assert.equal(uuidless(wasm.stdout), uuidless(native.stdout));
  assert.equal(wasm.stderr, native.stderr);
  assert.equal(wasm.status, native.status);
  return native;
}

// Starts an HTTP server answering every request with `status` and `body`; returns {url, received, close}.
async function answering(status, body) {
  const { createServer } = await import('node:http');
  const received = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received.push(request.headers);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/hooks/demo`, port, received, close: () => server.close() };
}

// Starts a raw TCP server that does `onSocket(socket)` with each connection.
async function rawServer(onSocket) {
  const { createServer } = await import('node:net');
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return {
    port, url: `http://127.0.0.1:${port}/hooks/demo`,
    close: () => { for (const socket of sockets) socket.destroy(); server.close(); },
  };
}

const sendArgs = (url, event, ...extra) => ['send', url, '--secret', realSecret, '--event', event, ...extra, ownPush];

test('send refuses an event key dispatch does not know before sending, naming the nearest', async () => {
  const server = await answering(202, '{"status":"accepted"}');
  try {
    const refused = await sendBoth(sendArgs(server.url, 'repo:psuh'));
    assert.equal(refused.status, 2);
    assert.equal(refused.stdout, '');
    assert.equal(refused.stderr, 'dispatch: repo:psuh is not an event key dispatch knows; did you mean repo:push? '
      + '(dispatch events lists them; --anyway sends it as it is)\n');
    assert.equal(server.received.length, 0, 'nothing was sent');
    const anyway = await sendBoth(sendArgs(server.url, 'repo:psuh', '--anyway'));
    assert.equal(anyway.status, 0);
    assert.equal(server.received.length, 2);
    for (const headers of server.received) assert.equal(headers['x-event-key'], 'repo:psuh');
  } finally {
    server.close();
  }
});

test('a replay or duplicate answer exits 1 and says that nothing was delivered again', async () => {
  const replay = await answering(200, '{"status":"duplicate","code":"replay","delivery":"d-1"}');
  const duplicate = await answering(200, '{"status":"duplicate","delivery":"d-2"}');
  try {
    const again = await sendBoth(sendArgs(replay.url, 'repo:push'));
    assert.equal(again.status, 1);
    assert.match(again.stdout, /^HTTP 200 \(X-Request-UUID \{[0-9a-f-]{36}\}\)\n\{"status":"duplicate","code":"replay","delivery":"d-1"\}\n$/);
    assert.equal(again.stderr, 'dispatch: send: not delivered again: the relay already received these exact bytes '
      + '(delivery d-1), whatever the X-Request-UUID, and refuses a replay within its replay window; send other bytes '
      + 'to deliver again\n');
    const same = await sendBoth(sendArgs(duplicate.url, 'repo:push'));
    assert.equal(same.status, 1);
    assert.equal(same.stderr, 'dispatch: send: not delivered again: the relay already received this X-Request-UUID '
      + '(delivery d-2)\n');
  } finally {
    replay.close();
    duplicate.close();
  }
});

test('send refuses a Discord webhook URL up front, and explains Discord\'s 50006 answer', async () => {
  const purpose = 'send posts a Bitbucket payload, signed, to a dispatch hook URL (.../hooks/{endpoint}), which then '
    + 'delivers it to Discord; a Discord webhook URL belongs in that endpoint\'s destination_url\n';
  const upFront = await sendBoth(sendArgs('https://discord.com/api/webhooks/123/secret-token', 'repo:push'));
  assert.equal(upFront.status, 2);
  assert.equal(upFront.stderr, `dispatch: send: that is a Discord webhook URL; ${purpose}`);
  const discord = await answering(400, '{"message": "Cannot send an empty message", "code": 50006}');
  try {
    const answered = await sendBoth(sendArgs(discord.url, 'repo:push'));
    assert.equal(answered.status, 1);
    assert.match(answered.stdout, /^HTTP 400 /);
    assert.equal(answered.stderr, 'dispatch: send: Discord answered "Cannot send an empty message" (code 50006): '
      + `this URL leads to Discord, not to dispatch; ${purpose}`);
  } finally {
    discord.close();
  }
});

test('a send that gets no answer names the host and what failed', async () => {
  // A port nothing listens on: taken, then let go.
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise((done) => probe.listen(0, '127.0.0.1', done));
  const closedPort = probe.address().port;
  await new Promise((done) => probe.close(done));
  const refused = await sendBoth(sendArgs(`http://127.0.0.1:${closedPort}/hooks/demo`, 'repo:push'));
  assert.equal(refused.status, 2);
  assert.equal(refused.stderr, `dispatch: send: cannot reach 127.0.0.1:${closedPort}: connection refused\n`);

  const silent = await rawServer(() => {});
  const hungUp = await rawServer((socket) => socket.once('data', () => socket.destroy()));
  const notHttp = await rawServer((socket) => socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n')));
  try {
    const started = Date.now();
    const timedOut = await sendBoth(sendArgs(silent.url, 'repo:push', '--timeout', '1'));
    assert.equal(timedOut.status, 2);
    assert.equal(timedOut.stderr, `dispatch: send: no answer from 127.0.0.1:${silent.port} within 1 s (timed out)\n`);
    assert.ok(Date.now() - started < 10_000, 'it gave up after the --timeout asked for');
    const closed = await sendBoth(sendArgs(hungUp.url, 'repo:push'));
    assert.equal(closed.status, 2);
    assert.equal(closed.stderr, `dispatch: send: 127.0.0.1:${hungUp.port} closed the connection without an answer\n`);
    const garbled = await sendBoth(sendArgs(notHttp.url, 'repo:push'));
    assert.equal(garbled.status, 2);
    assert.equal(garbled.stderr, `dispatch: send: 127.0.0.1:${notHttp.port} answered something that is not HTTP\n`);
  } finally {
    silent.close();
    hungUp.close();
    notHttp.close();
  }
});
