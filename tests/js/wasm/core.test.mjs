// The wasm boundary: errors as data, memory freed on every call, the instance reusable.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { loadCore, wasmPath } from '../helpers.mjs';

const core = await loadCore();
const secret = 'boundary-secret';
const endpoint = { secret, events: { mode: 'all' } };
const encoder = new TextEncoder();

function signed(key, text) {
  const body = encoder.encode(text);
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return { headers: { 'X-Event-Key': key, 'X-Hub-Signature': signature }, body };
}

test('a delivered event returns the outcome and the message', () => {
  const { headers, body } = signed('repo:fork', '{"repository":{"full_name":"a/b"},"actor":{"display_name":"Ann"},"fork":{}}');
  const outcome = core.handle(endpoint, headers, body);
  assert.equal(outcome.status, 202);
  assert.equal(outcome.message.embeds[0].title, '[a/b] Forked');
  assert.deepEqual(outcome.message.allowed_mentions, { parse: [] });
});

test('refusals are data, not exceptions', () => {
  assert.equal(core.handle(endpoint, {}, new Uint8Array()).code, 'signature_missing');
  assert.equal(core.handle({ events: { mode: 'all' } }, {}, new Uint8Array()).code, 'endpoint_invalid');
  assert.equal(core.handle(endpoint, { 'X-Hub-Signature': 7 }, new Uint8Array()).code, 'headers_invalid');
  const { headers, body } = signed('repo:push', '{"a":');
  assert.equal(core.handle(endpoint, headers, body).code, 'body_not_json');
});

test('an instance that trapped says it is unusable and refuses further calls', async () => {
  // A real trap needs memory exhaustion; an instance whose export traps stands in for it.
  const fresh = await loadCore();
  assert.equal(fresh.usable, true);
  const { Core, CoreFailure } = await import('../../../js-shim/core.mjs');
  const exports = {
    memory: new WebAssembly.Memory({ initial: 1 }),
    dispatch_alloc: () => 8,
    dispatch_free: () => {},
    dispatch_events: () => { throw new WebAssembly.RuntimeError('unreachable'); },
  };
  const trapped = new Core({ exports });
  assert.throws(() => trapped.events(), (error) => error instanceof CoreFailure && error.cause instanceof WebAssembly.RuntimeError);
  assert.equal(trapped.usable, false);
  assert.throws(() => trapped.events(), CoreFailure);
  // A stack overflow inside wasm surfaces as a RangeError, not a RuntimeError: it breaks the instance too,
  // since the stack pointer it leaves behind makes later calls fail.
  const overflowed = new Core({ exports: { ...exports, dispatch_events: () => { throw new RangeError('Maximum call stack size exceeded'); } } });
  assert.throws(() => overflowed.events(), (error) => error instanceof CoreFailure && error.cause instanceof RangeError);
  assert.equal(overflowed.usable, false);
});

test('an endpoint given with a key is compiled once and kept, the least recently used closed past 64', async () => {
  const fresh = await loadCore();
  const templated = { ...endpoint, template: { content: '{{dispatch.actor}} forked' } };
  const { headers, body } = signed('repo:fork', '{"repository":{"full_name":"a/b"},"actor":{"display_name":"Ann"},"fork":{}}');
  const plain = fresh.handleText(templated, headers, body);
  assert.equal(fresh.handleText(templated, headers, body, { key: 'e1:1' }), plain);
  assert.equal(fresh.handleText(templated, headers, body, { key: 'e1:1' }), plain);
  assert.equal(fresh.preparedCount, 1);
  const heap = fresh.heapInUse();
  for (let i = 0; i < 200; i += 1) fresh.handle(templated, headers, body, { key: `e${i}:2` });
  assert.equal(fresh.preparedCount, 64);
  for (let i = 0; i < 200; i += 1) fresh.handle(templated, headers, body, { key: `e${i}:2` });
  assert.ok(fresh.heapInUse() <= heap + 64 * 4096, 'closed endpoints give their memory back');
  // Settings that do not compile are answered as without a key.
  assert.equal(fresh.handle({ events: { mode: 'all' } }, headers, body, { key: 'bad' }).code, 'endpoint_invalid');
});

test('a decoded string is refused as a TypeError: the signature is over bytes', () => {
  assert.throws(() => core.handle(endpoint, {}, '{}'), TypeError);
});

test('10,000 calls leave the heap where it was', () => {
  const cases = [
    signed('repo:push', JSON.stringify({ repository: { full_name: 'a/b' }, pad: 'x'.repeat(20000) })),
    signed('repo:fork', '[]'),
    signed('repo:push', '{"broken":'),
    { headers: { 'X-Event-Key': 'repo:push', 'X-Hub-Signature': 'sha256=00' }, body: encoder.encode('{}') },
  ];
  for (const { headers, body } of cases) core.handle(endpoint, headers, body);  // warm up
  const heapBefore = core.heapInUse();
  const memoryBefore = core.memoryBytes();
  for (let i = 0; i < 10_000; i += 1) {
    const { headers, body } = cases[i % cases.length];
    core.handle(endpoint, headers, body);
  }
  assert.equal(core.heapInUse(), heapBefore);
  assert.equal(core.memoryBytes(), memoryBefore);
});

test('a 1 MiB body is handled and its memory returned', () => {
  const pad = 'y'.repeat(1024 * 1024 - 10);
  const { headers, body } = signed('repo:push', `{"pad":"${pad}"}`);
  assert.equal(body.byteLength, 1024 * 1024);
  const before = core.heapInUse();
  assert.equal(core.handle(endpoint, headers, body).status, 202);
  assert.equal(core.heapInUse(), before);
});

test('the module imports only what core.mjs provides', async () => {
  const { wasmPath } = await import('../helpers.mjs');
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmPath)))
    .map(({ module, name }) => `${module}.${name}`).sort();
  // Anything more (fd_write, fd_close, clock_time_get …) means I/O or a clock crept into the core.
  assert.deepEqual(imports, ['env.emscripten_notify_memory_growth', 'wasi_snapshot_preview1.proc_exit']);
});

test('a template asking for 10^7 copies stops at its budget: the auto embed is sent, memory stays small', async () => {
  const fresh = await loadCore();
  const commits = Array.from({ length: 10 }, (_, i) => ({ hash: `${i}`.padEnd(40, 'a'), message: `m${i}`, author: { raw: 'a <a@x>' } }));
  const push = JSON.stringify({ actor: {}, repository: { full_name: 'a/b' }, push: { changes: [{ new: { type: 'branch', name: 'main' }, commits }] } });
  const content = `${'{{#dispatch.commits}}'.repeat(7)}0123456789abcdef${'{{/dispatch.commits}}'.repeat(7)}`;
  const { headers, body } = signed('repo:push', push);
  const before = fresh.memoryBytes();
  const outcome = fresh.handle({ ...endpoint, template: { content } }, headers, body);
  assert.equal(outcome.code, 'template_fallback');
  assert.match(outcome.reason, /rendering stopped/);
  assert.ok(outcome.message.embeds.length > 0);
  assert.ok(fresh.memoryBytes() - before < 16 * 1024 * 1024, `wasm memory grew by ${fresh.memoryBytes() - before} bytes`);
});

test('filters: the live check of one name, a payload\'s verdict, and a pull request\'s thread in the preview', () => {
  const filters = { branches: ['main', 'release/*', '!release/old*'], actors: ['!dependabot*'] };
  assert.deepEqual(core.filterCheck(filters, { branch: 'release/1.0+build' }), { code: 'passes', reason: 'branch release/1.0+build passes' });
  assert.deepEqual(core.filterCheck(filters, { branch: 'maintenance' }),
    { code: 'branch_filtered', reason: 'branch maintenance matches none of main, release/*' });
  assert.equal(core.filterCheck(filters, { actor: 'dependabot[bot]' }).code, 'actor_filtered');
  assert.deepEqual(core.filterCheck({ branches: ['!'] }, { branch: 'x' }).field, 'filters.branches');

  const push = readFileSync(new URL('../../vectors/bodies/push.json', import.meta.url));
  assert.deepEqual(core.selects({ events: { mode: 'push' }, filters: { branches: ['develop'] } }, 'repo:push', push),
    { code: 'branch_filtered', reason: 'branch main matches none of develop' });
  assert.equal(core.selects({ events: { mode: 'push' }, filters: { branches: ['develop'] } }, 'repo:push').code, 'selected');

  const pr = readFileSync(new URL('../../vectors/bodies/pr-changes-request.json', import.meta.url));
  const rendered = core.render('pullrequest:changes_request_created', pr, undefined, { thread: true });
  assert.equal(rendered.thread.name, '#42 Honour retry_after on 429');
  assert.equal(rendered.thread.card.embeds[0].title, '#42 Honour retry_after on 429');
  assert.equal(core.render('repo:push', push, undefined, { thread: true }).thread, undefined);
});

test('the warm-up takes each family through the whole pipeline and the Worker\'s call, and leaves nothing behind', async () => {
  const { instantiateCoreNow, warmUp, warmUpCodes } = await import('../../../js-shim/core.mjs');
  const fresh = instantiateCoreNow(new WebAssembly.Module(readFileSync(wasmPath)));
  const codes = ['accepted', 'accepted', 'accepted', 'accepted', 'signature_mismatch'];
  assert.deepEqual(warmUpCodes, codes);
  assert.deepEqual(warmUp(fresh), codes);
  // The first call may keep what the core builds once (a static's first use); after it, nothing more.
  const heap = fresh.heapInUse();
  assert.deepEqual(warmUp(fresh), codes);
  assert.equal(fresh.heapInUse(), heap);
  assert.equal(fresh.preparedCount, 0);
});
