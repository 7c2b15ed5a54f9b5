// What the Chromium suites share: Debian's Chromium on a fresh profile, console errors collected, screenshots at
// 1400 and 390 px (checked not to scroll sideways at 390), and waits for a view or a condition.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { randomBytes } from 'node:crypto';

import { chromium } from 'playwright-core';

import { root } from '../js/helpers.mjs';
import { startFixture } from '../js/relay.mjs';

export const chromiumPath = process.env.DISPATCH_CHROMIUM ?? '/usr/bin/chromium';
export const artifacts = resolve(root, 'build/artifacts');
export const wide = { width: 1400, height: 1000 };
export const narrow = { width: 390, height: 844 };

// Starts Chromium headless on a fresh profile (no cookie or cache from an earlier run). Returns the context.
export async function launchChromium(name) {
  mkdirSync(artifacts, { recursive: true });
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), `dispatch-${name}-chromium-`)), {
    executablePath: chromiumPath,
    viewport: wide,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// Collects the console errors and uncaught exceptions of the pages it watches, except the failed loads of
// `expectedFailure` (HTTP answers the page expects and handles, which Chromium logs as errors all the same).
export function consoleWatch(expectedFailure) {
  const errors = [];
  const watch = (target) => {
    target.on('console', (message) => {
      if (message.type() === 'error' && !expectedFailure.test(message.text())) errors.push(`${target.url()}: ${message.text()}`);
    });
    target.on('pageerror', (error) => errors.push(`${target.url()}: ${error}`));
    return target;
  };
  return { errors, watch };
}

// Saves `target` as build/artifacts/{name}-1400.png and -390.png (the whole page, or what the window shows, or
// the `element` alone), and checks the narrow one does not scroll sideways.
export async function shots(name, target, { fullPage = true, element = null } = {}) {
  const take = (path) => (element ? target.locator(element).first().screenshot({ path }) : target.screenshot({ path, fullPage }));
  await target.setViewportSize(wide);
  await take(resolve(artifacts, `${name}-1400.png`));
  await target.setViewportSize(narrow);
  await target.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const overflow = await target.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await take(resolve(artifacts, `${name}-390.png`));
  await target.setViewportSize(wide);
  assert.equal(overflow, 0, `${name}: the page scrolls sideways by ${overflow} px at 390 px wide`);
}

// Waits until the Sources page has drawn the view `name` (it marks <html data-view>).
export async function view(target, name) {
  // 30 s, as Playwright waits for an element: on a loaded 2-core machine a page (its wasm compiled, its requests
  // answered by a busy relay) can take longer than 15 s to draw.
  await target.waitForFunction((wanted) => document.documentElement.dataset.view === wanted, name, { timeout: 30_000 });
}

// Polls `check` every 250 ms until it returns something truthy (returned), or fails naming `what`.
export async function until(check, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((wait) => setTimeout(wait, 250));
  }
}

// Starts what the Sources page runs against, as script/server runs it (tests/js/relay.mjs startFixture): the
// Discord stand-in, the Bitbucket stand-in with an OAuth consumer (`clientId`, `clientSecret`) whose callback is
// the relay's, and the relay under `wrangler dev` with admin `token` and `vars`. Returns {relay, standin, sink,
// close()}.
export function startSourcesRelay({ token, clientId, clientSecret, vars = {} }) {
  return startFixture({
    token, sink: true, bitbucket: { clientId, clientSecret },
    vars: ({ base, standin }) => ({
      BITBUCKET_CLIENT_ID: clientId, BITBUCKET_CLIENT_SECRET: clientSecret, SECRETS_KEY: randomBytes(32).toString('base64'),
      BITBUCKET_OAUTH_BASE: standin.webUrl, BITBUCKET_API_BASE: standin.apiUrl, PUBLIC_BASE_URL: base, ...vars,
    }),
  });
}
