// The wasm core in a real browser (Debian's Chromium, driven by playwright-core): the page compiles
// dispatch.wasm with compileStreaming, and every comparison case runs there; the raw answers must equal the
// native build's byte for byte.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { comparisonCases, comparisonLines, root, runCase, wasmPath } from '../js/helpers.mjs';

const chromiumPath = process.env.DISPATCH_CHROMIUM ?? '/usr/bin/chromium';
const nativePath = process.env.DISPATCH_VECTORS_NATIVE ?? resolve(root, 'build/native/vectors-native.txt');
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
// Only what the page needs is served.
const served = { '/js-shim/core.mjs': resolve(root, 'js-shim/core.mjs'), '/build/wasm/dispatch.wasm': wasmPath,
  '/core-page.html': resolve(root, 'tests/e2e/core-page.html') };

let server;
let browser;
let page;
const consoleErrors = [];

before(async () => {
  server = createServer((request, response) => {
    const file = served[new URL(request.url, 'http://x').pathname];
    if (!file || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] }).end(readFileSync(file));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await page.goto(`http://127.0.0.1:${server.address().port}/core-page.html`);
  await page.waitForFunction(() => document.title === 'dispatch core: ready', null, { timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('the page loads the core without console errors', async () => {
  const milliseconds = await page.evaluate(() => window.loadMilliseconds);
  assert.ok(milliseconds > 0);
  assert.deepEqual(consoleErrors, []);
});

test('every comparison case answers in Chromium exactly as in the native build', async () => {
  const cases = comparisonCases();
  const transfer = cases.map((c) => ({ ...c, body: c.body === null ? null : Buffer.from(c.body).toString('base64') }));
  // The same runner as node's (helpers.mjs), run in the page.
  const answers = await page.evaluate(({ list, runner }) => {
    const run = (0, eval)(`(${runner})`);
    return list.map((c) => (c.body === null ? null
      : run(window.core, { ...c, body: Uint8Array.from(atob(c.body), (ch) => ch.charCodeAt(0)) })));
  }, { list: transfer, runner: runCase.toString() });
  assert.ok(existsSync(nativePath), `${nativePath} missing: run the Catch2 vectors first`);
  const native = readFileSync(nativePath, 'utf8').split('\n');
  const browserLines = comparisonLines(cases, answers).split('\n');
  const at = native.findIndex((line, i) => line !== browserLines[i]);
  assert.equal(at, -1, `first difference at line ${at + 1}:\n native:  ${native[at]?.slice(0, 300)}\n browser: ${browserLines[at]?.slice(0, 300)}`);
  assert.equal(browserLines.length, native.length);
  assert.deepEqual(consoleErrors, []);
});

test('the browser core refuses a decoded string: signatures are over bytes', async () => {
  const message = await page.evaluate(() => {
    try {
      window.core.handle({ secret: 's', events: { mode: 'all' } }, {}, '{}');
      return 'accepted';
    } catch (error) {
      return error.name;
    }
  });
  assert.equal(message, 'TypeError');
});
