// Paths and loaders shared by the node test suites.

import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { instantiateCore } from '../../js-shim/core.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// dispatch-tools.wasm: the Worker's module plus the command line, Mustache and the heap probe the suites use.
export const wasmPath = process.env.DISPATCH_WASM ?? resolve(root, 'build/wasm/dispatch-tools.wasm');
// dispatch.wasm: what the Worker and the pages load.
export const productionWasmPath = resolve(root, 'build/wasm/dispatch.wasm');
export const nativeCli = process.env.DISPATCH_NATIVE ?? resolve(root, 'build/native/dispatch');
export const sharedDir = resolve(root, '../shared');
export const haveShared = existsSync(resolve(sharedDir, 'fixtures/bitbucket-cloud/index.json'));

export async function loadCore(path = wasmPath) {
  return instantiateCore(readFileSync(path));
}

// Returns the body bytes of a vector case, or null when it names a shared fixture that is not here.
export function vectorBody(test) {
  if ('body' in test) return new TextEncoder().encode(test.body);
  if ('body_base64' in test) return new Uint8Array(Buffer.from(test.body_base64, 'base64'));
  if ('body_file' in test) {
    const path = resolve(root, test.body_file);
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : null;
  }
  if (!('body_fill' in test)) return new Uint8Array(0); // a filter check has no body
  const { prefix = '', text, times, suffix = '' } = test.body_fill;
  return new TextEncoder().encode(prefix + text.repeat(times) + suffix);
}

// Returns every case the native/wasm comparison covers, in the order the native runner writes them:
// the cases of tests/vectors/*.json (sorted by file), then every shared fixture previewed under its event
// key and detected. Each is {name, endpoint?, headers?, event?, detect?, verify?, body (Uint8Array, or null
// when skipped), expected?}.
export function comparisonCases() {
  const cases = [];
  const files = readdirSync(resolve(root, 'tests/vectors')).filter((name) => name.endsWith('.json')).sort();
  for (const file of files) {
    const suite = JSON.parse(readFileSync(resolve(root, 'tests/vectors', file), 'utf8'));
    for (const vector of suite.tests) {
      cases.push({ ...vector, name: `${file}#${vector.name}`, body: vectorBody(vector) });
    }
  }
  if (!haveShared) return cases;
  const indexDir = resolve(sharedDir, 'fixtures/bitbucket-cloud');
  for (const { file, event_key: event } of JSON.parse(readFileSync(resolve(indexDir, 'index.json'), 'utf8'))) {
    const body = new Uint8Array(readFileSync(resolve(indexDir, file)));
    cases.push({ name: `shared:${file}`, event, body });
    cases.push({ name: `detect:${file}`, event, detect: true, body });
  }
  return cases;
}

// Runs one comparison case through a core and returns its raw JSON answer. Self-contained (it uses nothing
// but its arguments), so the Chromium suite runs this very function in the page: `runCase.toString()`.
export function runCase(core, { endpoint, headers, event, body, template, filters, detect, verify, selects, filter_check: filterCheck }) {
  if (endpoint) return core.handleText(endpoint, headers, body);
  if (selects) return core.selectsText(selects.endpoint, selects.event, body);
  if (filterCheck) {
    const { filters, ...value } = filterCheck;
    return core.filterCheckText(filters, value);
  }
  if (detect) return core.detectText(body);
  if (verify) return core.verifyText(verify.secret, verify.signature, body);
  // A template is its source text, or an object written out as the native runner writes it.
  const source = template === undefined || typeof template === 'string' ? template : JSON.stringify(template, null, 2);
  return core.renderText(event, body, source, { filters });
}

// Returns the comparison file's lines for cases and their raw answers (null for a skipped case).
export function comparisonLines(cases, answers) {
  const lines = cases.map((c, i) => `${c.name}\t${answers[i] ?? 'skipped'}`);
  if (!haveShared) lines.push('shared fixtures\tskipped');
  return lines.map((line) => `${line}\n`).join('');
}

// Polls `check` until it returns something truthy, and returns that; fails after `timeoutMs`, saying `what`
// (a text, or a function that words the last state seen).
export async function eventually(what, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((wait) => setTimeout(wait, 150));
  }
}

// The X-Hub-Signature Bitbucket sends for `body` under `secret`.
export const sign = (secret, body) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

// POSTs `body` (bytes) to a hook URL as Bitbucket does: signed with `secret`, under `event`, with a fresh
// X-Request-UUID. Returns {status, body} with the JSON answer.
export async function postHook(url, secret, event, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-event-key': event, 'x-request-uuid': randomUUID(),
      'x-hub-signature': sign(secret, body),
    },
    body,
  });
  return { status: response.status, body: await response.json() };
}

// A scratch D1 with the schema of migrations/, in Miniflare (the simulator wrangler dev runs, installed with
// wrangler): the store's statements run here as in the Worker, with times and rows chosen by the test.
// Returns {mf, db}; mf.dispose() when done.
export async function scratchD1() {
  const { Miniflare } = await import('miniflare'); // loaded only by the suites that use it
  const mf = new Miniflare({ modules: true, script: 'export default { fetch: () => new Response() }', d1Databases: { DB: 'scratch' } });
  const db = await mf.getD1Database('DB');
  for (const file of readdirSync(resolve(root, 'migrations')).filter((name) => name.endsWith('.sql')).sort()) {
    const text = readFileSync(resolve(root, 'migrations', file), 'utf8').replace(/--[^\n]*/g, '');
    for (const statement of text.split(/;\s*\n/).map((part) => part.trim()).filter(Boolean)) await db.prepare(statement).run();
  }
  return { mf, db };
}
