// The Sources page in real Chromium (Debian's, driven by playwright-core), served by the relay under
// `wrangler dev` beside the Bitbucket stand-in and the Discord stand-in, as script/server runs them. One
// user's afternoon, as numbered steps in order (each builds on what the ones before it made): sign in (a wrong
// token first), connect a repository through Bitbucket's consent page, find it on the search's second page,
// choose custom events and filters (checked live: "Would this pass?"), send to the Discord stand-in only after
// saying so, create; a push in Bitbucket shows up in Recent deliveries with its message drawn, a push to a
// branch the filters leave out as ignored; open it, redeliver, send a test event, change the filters and pull
// request threads, rotate the secret, disconnect. Then the refusals (a cross-site POST without the CSRF token),
// the headers, the hand-made way, the time to first render with 50 sources and a 500-delivery log, and Sign
// out everywhere (a second browser's session ended too). Screenshots at 1400 and 390 px go to
// build/artifacts/sources-*.png.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { root, sign } from '../js/helpers.mjs';
import { artifacts, consoleWatch, launchChromium, narrow, shots as takeShots, startSourcesRelay, until, view as viewDrawn } from './chromium.mjs';

const token = 'sources-test-admin-token-0123456789';
const clientId = 'dispatch-sources-test';
const clientSecret = 'sources-test-consumer-secret-0123456789';

let fixture;
let relay;
let standin;
let sink;
let context;
let page;
let crossSite;
// What the scenario made, for the steps after it.
const made = {};
// The walkthrough's steps, numbered in the order they run (each builds on what the ones before it made); they
// are registered as the tests of one describe at the end of this file.
const steps = [];
const step = (number, name, ...rest) => steps.push({ number, name, rest });

// HTTP answers the page expects and handles (a wrong token, a refused forgery): Chromium logs each failed
// fetch as a console error, which is not a fault of the page.
const expectedFailure = /^Failed to load resource: the server responded with a status of (401|403|404|409|429)\b/;
const { errors: consoleErrors, watch } = consoleWatch(expectedFailure);
const shots = (name, target = page, options = {}) => takeShots(`sources-${name}`, target, options);
const view = (name, target = page) => viewDrawn(target, name);

async function signedFetch(endpoint, event, body, secret) {
  const bytes = Buffer.from(JSON.stringify(body));
  const signature = sign(secret, bytes);
  const response = await fetch(`${relay.base}/hooks/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-event-key': event, 'x-hub-signature': signature, 'x-request-uuid': randomUUID() },
    body: bytes,
  });
  await response.arrayBuffer();
  return response.status;
}

before(async () => {
  // A failed attempt waits 30–60 s, so "Retry now" is always clicked inside the backoff.
  fixture = await startSourcesRelay({ token, clientId, clientSecret, vars: { RETRY_BASE_SECONDS: '60' } });
  ({ relay, standin, sink } = fixture);
  // Another origin on the same machine: a page there is cross-origin (and, on 127.0.0.1, same-site, so the
  // session cookie does travel: only the CSRF token and the Origin check stand in the way).
  crossSite = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>elsewhere</title><p>another site</p>');
  });
  await new Promise((done) => crossSite.listen(0, '127.0.0.1', done));
  // A fresh profile each run: no cookie or cache from an earlier one.
  context = await launchChromium('sources');
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.base });
  page = context.pages()[0] ?? await context.newPage();
  watch(page);
});

after(async () => {
  await context?.close();
  await fixture?.close();
  await new Promise((done) => (crossSite ? crossSite.close(done) : done()));
});

step(1, 'the pages are served with a Content-Security-Policy that allows no inline script, and / leads to /sources', async () => {
  for (const path of ['/sources', '/preview', '/sources.mjs']) {
    const response = await fetch(`${relay.base}${path}`);
    await response.arrayBuffer();
    assert.equal(response.status, 200, path);
    const policy = response.headers.get('content-security-policy') ?? '';
    const scripts = /script-src ([^;]*)/.exec(policy)?.[1] ?? '';
    assert.match(scripts, /'self'/, `${path}: ${policy}`);
    assert.doesNotMatch(scripts, /'unsafe-inline'|'unsafe-eval'/, `${path}: ${policy}`);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  }
  await page.goto(`${relay.base}/`);
  await page.waitForURL(`${relay.base}/sources`);
  const html = await (await fetch(`${relay.base}/sources`)).text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'an inline event handler');
});

step(2, 'sign in: a wrong token is refused with the reason, the right one opens the empty list', async () => {
  await page.goto(`${relay.base}/sources`);
  await page.getByLabel('Admin token').waitFor();
  await shots('sign-in');
  await page.getByLabel('Admin token').fill('not-the-token-at-all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.signin-message .notice.error').waitFor();
  assert.match(await page.textContent('.signin-message'), /That is not the admin token/);
  await shots('sign-in-wrong');
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await view('list');
  assert.match(await page.textContent('main'), /No sources yet/);
  assert.equal(await page.isVisible('#sign-out'), true);
  const cookies = await context.cookies(relay.base);
  const session = cookies.find((cookie) => cookie.name === 'dispatch_session');
  assert.ok(session, 'no session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.ok(session.expires > Date.now() / 1000, 'the session cookie must expire');
  await shots('empty');
});

step(3, 'connect: Bitbucket\'s consent, a repository on the search\'s second page, custom events, the Discord stand-in\'s webhook as Discord\'s, created', async () => {
  await page.getByRole('link', { name: 'Connect Bitbucket' }).first().click();
  await page.getByRole('button', { name: 'Grant access' }).click();
  await page.waitForURL(/\/sources\?connection=/);
  made.connection = new URL(page.url()).searchParams.get('connection');
  await page.locator('#repo-list li').first().waitFor();
  await shots('connect-repositories');

  await page.getByLabel('Search repositories').fill('service');
  await until(async () => (await page.textContent('.more-row p')).includes('matching “service”'), 'the search for "service"');
  const firstPage = await page.locator('#repo-list li').count();
  assert.equal(firstPage, 10);
  await page.getByRole('button', { name: 'More repositories' }).click();
  await until(async () => (await page.locator('#repo-list li').count()) > firstPage, 'the second page');
  const names = await page.$$eval('#repo-list input', (inputs) => inputs.map((input) => input.value));
  assert.ok(names.every((name) => name.includes('service')), names.join(', '));
  const repository = names.at(-1);
  made.repository = repository;
  await page.locator(`#repo-list input[value="${repository}"]`).check();
  await shots('connect-second-page');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(/step=events/);
  await page.getByLabel(/Custom/).check();
  for (const key of ['repo:push', 'pullrequest:created', 'pullrequest:fulfilled']) {
    await page.locator(`.event-groups input[value="${key}"]`).check();
  }
  assert.match(await page.textContent('.event-picker .field-status'), /3 of \d+ events chosen/);
  // The stepper says what the step holds as it changes, not what it held when the step was opened.
  const eventsSummary = page.locator('.steps li[aria-current="step"] .sub');
  assert.equal(await eventsSummary.textContent(), 'Repository: Push · Pull Request: Created, Merged');
  await shots('connect-events');

  // Filters: a pattern the core refuses is marked at its list and keeps the step; "Would this pass?" answers
  // as a name is typed, with the core's reason.
  const filters = page.locator('.filters-field');
  const list = (label) => filters.locator('.filter-list', { has: page.getByLabel(label, { exact: true }) });
  await filters.getByLabel('Branches', { exact: true }).fill('main\nrelease/*');
  assert.equal(await eventsSummary.textContent(), 'Repository: Push · Pull Request: Created, Merged · filtered');
  await filters.getByLabel('Actors', { exact: true }).fill('!');
  await until(async () => /lone "!"/.test(await list('Actors').locator('.field-status').textContent()), 'the lone "!" marked at Actors');
  assert.match(await list('Actors').locator('.field-status').textContent(), /^Holds a lone "!" \(pattern 1\); write the pattern to exclude after it$/);
  assert.equal(await filters.getByLabel('Actors', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await filters.locator('.try-result').textContent(), 'Fix the actors above first.');
  await page.getByRole('button', { name: 'Continue' }).click();
  assert.match(page.url(), /step=events/, 'filters the relay would refuse must not pass the step');
  assert.match(await page.textContent('.step-form .notice.error'), /Actors: Holds a lone "!"/);
  await shots('connect-filters-refused');
  await filters.getByLabel('Actors', { exact: true }).fill('');
  await list('Actors').getByRole('button', { name: '!dependabot*' }).click();
  assert.equal(await filters.getByLabel('Actors', { exact: true }).inputValue(), '!dependabot*');
  assert.equal(await filters.getByLabel('Actors', { exact: true }).getAttribute('aria-invalid'), 'false');

  const tryName = filters.getByLabel('Would this pass?');
  const tried = async (name, expected) => {
    await tryName.fill(name);
    await until(async () => (await filters.locator('.try-result').textContent()) === expected, `"${expected}" for ${name}`);
  };
  await tried('feature/login', '✕ Filtered out: branch feature/login matches none of main, release/*.');
  await tried('release/2.0', '✓ Branch release/2.0 passes.');
  await filters.getByLabel('Branch, tag or actor').selectOption('actor');
  await tried('dependabot[bot]', '✕ Filtered out: actor dependabot[bot] matches !dependabot*.');
  await filters.getByLabel('Branch, tag or actor').selectOption('tag');
  await tried('v2.1.0', '✓ Tag v2.1.0 passes (no tag filter).');
  await filters.getByLabel('Branch, tag or actor').selectOption('branch');
  await tried('feature/login', '✕ Filtered out: branch feature/login matches none of main, release/*.');
  assert.equal(await page.getByLabel('One live thread per pull request').isChecked(), false);
  await shots('connect-filters');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(/step=destination/);
  const destinationInput = page.getByLabel('Discord webhook URL');
  const destinationStatus = page.locator('.destination-field .field-status');
  const anyway = page.getByLabel('Not a Discord webhook: send to this URL anyway');
  // Another service's URL passes only once the user says so.
  await destinationInput.fill('https://hooks.example.com/services/relay');
  await page.getByRole('button', { name: 'Continue' }).click();
  assert.match(page.url(), /step=destination/, 'a non-Discord URL must not pass unticked');
  assert.match(await destinationStatus.textContent(), /not a Discord webhook URL/);
  await anyway.check();
  assert.match(await destinationStatus.textContent(), /will POST Discord's message format/);
  // A Discord address that is no webhook (the placeholder script/server once printed) is refused, ticked or not,
  // by the rule the API applies too.
  await destinationInput.fill('https://discord.com/api/webhooks/…');
  assert.equal(await anyway.isVisible(), false);
  assert.match(await destinationStatus.textContent(), /is a Discord address but not a webhook URL/);
  const refusedByApi = await relay.api('POST', '/api/endpoints', { name: 'placeholder', destination_url: 'https://discord.com/api/webhooks/…', events: { mode: 'push' } });
  assert.equal(refusedByApi.status, 400);
  assert.match(refusedByApi.body.reason, /is a Discord address but not a webhook URL/);
  // The Discord stand-in's webhook URL, as script/server prints it, is a Discord webhook here: the relay allows
  // local destinations (ALLOW_LOCAL_DESTINATIONS), and the page asks it which rule holds.
  const destination = sink.webhook('sources-test-token-abcdefghij');
  made.sinkToken = 'sources-test-token-abcdefghij';
  await destinationInput.fill(destination);
  assert.equal(await destinationStatus.textContent(), '✓ The local Discord stand-in\'s webhook 1200000000000000001.');
  assert.equal(await anyway.isVisible(), false);
  await shots('connect-destination');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(/step=template/);
  await page.locator('.template-field .dc-message').waitFor();
  await page.getByLabel(/My own template/).check();
  await page.locator('.template-field textarea').waitFor();
  await page.waitForFunction(() => document.querySelector('.template-field .status.ok'));
  await shots('connect-template');
  await page.getByLabel(/Auto-formatted embeds/).check();
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(/step=review/);
  assert.match(await page.textContent('.summary'), /Filtersbranches main, release\/\* · actors !dependabot\*/);
  assert.match(await page.textContent('.summary'), /Pull requestsEach event is its own message/);
  await shots('connect-review');
  await page.getByRole('button', { name: 'Create source' }).click();
  await page.waitForURL(/\/sources\?endpoint=/);
  await page.locator('.notice.created').waitFor();
  made.endpoint = new URL(page.url()).searchParams.get('endpoint');
  const created = await page.textContent('.notice.created');
  assert.match(created, new RegExp(`${repository} is connected`));

  const { hooks } = await standin.control('GET', '/_standin/state');
  const registered = hooks[repository];
  assert.equal(registered.length, 1);
  assert.equal(registered[0].url, `${relay.base}/hooks/${made.endpoint}`);
  assert.deepEqual([...registered[0].events].sort(), ['pullrequest:created', 'pullrequest:fulfilled', 'repo:push']);
  assert.ok(created.includes(registered[0].uuid), 'the page shows the hook uuid');
  assert.ok(created.includes(`${relay.base}/hooks/${made.endpoint}`), 'the page shows the hook URL');
  made.secret = registered[0].secret;
  const { body: saved } = await relay.api('GET', `/api/endpoints/${made.endpoint}`);
  assert.deepEqual(saved.filters, { branches: ['main', 'release/*'], actors: ['!dependabot*'] });
  assert.equal(saved.threads, null);
  assert.match(await page.textContent('.title-block'), /Filters: branches main, release\/\* · actors !dependabot\*/);
  await shots('created');
});

step(4, 'a push in Bitbucket shows up in Recent deliveries; opened, its headers, payload and message as Discord draws it', async () => {
  const [slugWorkspace, slug] = made.repository.split('/');
  const pushed = await standin.control('POST', `/_standin/repositories/${slugWorkspace}/${slug}/push`, { message: 'Honour retry_after on 429s' });
  assert.equal(pushed.deliveries[0].attempts.at(-1).status, 202);
  const row = page.locator('.delivery', { hasText: 'repo:push' }).first();
  await row.waitFor({ timeout: 15_000 });
  await until(async () => (await row.getAttribute('class')).includes('status-delivered'), 'the push to be delivered');
  const received = await until(() => sink.received(made.sinkToken).length > 0 && sink.received(made.sinkToken), 'Discord to receive it');
  const title = received[0].body.embeds[0].title;
  assert.equal((await row.locator('.row-title').textContent()).trim(), title);

  await row.locator('.delivery-row').click();
  await row.locator('.dc-title').waitFor();
  assert.equal(await row.locator('.dc-title').first().textContent(), title);
  const headers = Object.fromEntries(await row.locator('table.headers tr').evaluateAll((trs) => trs.map((tr) => [tr.cells[0].textContent.toLowerCase(), tr.cells[1].textContent])));
  assert.equal(headers['x-event-key'], 'repo:push');
  assert.ok(headers['x-hub-signature'], 'the signature header is listed');
  assert.doesNotMatch(headers['x-hub-signature'], /^sha256=[0-9a-f]{64}$/, 'the signature must be masked');
  const payload = await row.locator('details.payload pre').textContent();
  assert.equal(JSON.parse(payload).repository.full_name, made.repository);
  assert.match(payload, /\n {2}"/, 'the payload is pretty-printed');
  assert.match(await row.locator('.attempts').textContent(), /HTTP 200/);
  assert.match(page.url(), /delivery=/, 'the opened delivery is in the URL');
  await shots('delivery-open');

  // The link of an opened delivery opens it again on a fresh page.
  const shared = await context.newPage();
  watch(shared);
  await shared.goto(page.url());
  await shared.locator('.delivery-row[aria-expanded="true"]').waitFor();
  await shared.locator('.delivery-detail:not([hidden]) .dc-title').waitFor();
  await shared.close();
});

step(5, 'Redeliver queues the same body again as a new delivery', async () => {
  const row = page.locator('.delivery', { has: page.locator('.delivery-row[aria-expanded="true"]') });
  await row.getByRole('button', { name: 'Redeliver' }).click();
  await row.locator('.action-result .notice.ok').waitFor();
  const again = page.locator('.delivery', { has: page.locator('.tag', { hasText: 'redelivery' }) }).first();
  await again.waitFor({ timeout: 15_000 });
  await until(async () => (await again.getAttribute('class')).includes('status-delivered'), 'the redelivery to be delivered');
  assert.equal(sink.received(made.sinkToken).length, 2);
});

step(6, 'a push to a branch the filters leave out is logged as ignored, branch_filtered, with the core\'s reason; Discord gets nothing', async () => {
  const [workspace, slug] = made.repository.split('/');
  const before = sink.received(made.sinkToken).length;
  const pushed = await standin.control('POST', `/_standin/repositories/${workspace}/${slug}/push`, { branch: 'feature/login', message: 'Try the new login' });
  assert.equal(pushed.deliveries[0].attempts.at(-1).status, 200);
  const row = page.locator('.delivery', { hasText: 'branch_filtered' }).first();
  await row.waitFor({ timeout: 15_000 });
  assert.match(await row.getAttribute('class'), /status-ignored/);
  await row.locator('.delivery-row').click();
  await row.locator('.facts').waitFor();
  assert.match(await row.locator('.facts').textContent(), /Reasonbranch feature\/login matches none of main, release\/\*/);
  assert.match(await row.textContent(), /the source's filters leave this branch or tag out/);
  assert.match(await row.textContent(), /The body of an ignored event is not kept/);
  await shots('delivery-filtered');
  await row.locator('.delivery-row').click();
  assert.equal(sink.received(made.sinkToken).length, before);
});

step(7, 'Send test event: a signed sample goes through the receive path and shows up in the log', async () => {
  await page.getByLabel('Test event').selectOption('pullrequest:created');
  await page.getByRole('button', { name: 'Send test event' }).click();
  await page.locator('.test-result .notice.ok').waitFor();
  assert.match(await page.textContent('.test-result'), /Test pullrequest:created: Accepted \(202\)/);
  const row = page.locator('.delivery', { has: page.locator('.tag', { hasText: 'test' }) }).first();
  await row.waitFor({ timeout: 15_000 });
  assert.match(await row.textContent(), /pullrequest:created/);
  await until(async () => (await row.getAttribute('class')).includes('status-delivered'), 'the test event to be delivered');
  await shots('deliveries');

  // The filters narrow the log, and say so when nothing matches.
  await page.getByLabel('Event', { exact: true }).selectOption('pullrequest:created');
  await until(async () => (await page.locator('.delivery').count()) === 1, 'the event filter');
  assert.match(page.url(), /event=pullrequest%3Acreated/);
  await page.getByLabel('Status', { exact: true }).selectOption('failed');
  await page.locator('.empty-log:not([hidden])').waitFor();
  assert.match(await page.textContent('.empty-log'), /No delivery matches these filters/);
  await page.getByRole('button', { name: 'Show every delivery' }).click();
  await until(async () => (await page.locator('.delivery').count()) >= 3, 'every delivery again');
});

step(8, 'Retry now: a delivery waiting on a backoff after Discord failed is sent at once', async () => {
  // Nothing else is on its way to Discord, so the scripted failure meets this delivery.
  await until(async () => (await relay.api('GET', `/api/endpoints/${made.endpoint}/deliveries?status=pending`)).body.length === 0, 'the log to settle');
  sink.script(made.sinkToken, [{ status: 500 }]);
  await page.getByLabel('Test event').selectOption('repo:push');
  await page.getByRole('button', { name: 'Send test event' }).click();
  await page.locator('.test-result .notice.ok').waitFor();
  const row = page.locator('.delivery', { has: page.locator('.tag', { hasText: 'test' }) }).first();
  await until(async () => (await row.getAttribute('class')).includes('status-pending') && /1 attempt/.test(await row.textContent()), 'a failed first attempt');
  await row.locator('.delivery-row').click();
  await row.getByRole('button', { name: 'Retry now' }).click();
  await row.locator('.action-result .notice.ok').waitFor();
  await until(async () => (await row.getAttribute('class')).includes('status-delivered'), 'the retry to be delivered', 15_000);
  await until(async () => /#2/.test(await row.locator('.attempts').textContent()), 'the second attempt in the opened delivery');
  const attempts = await row.locator('.attempts').textContent();
  assert.match(attempts, /HTTP 500/);
  assert.match(attempts, /HTTP 200/);
  await shots('retried');
});

step(9, 'Repeated refusals are one entry in the log: ×N, last at …', async () => {
  const unsigned = () => fetch(`${relay.base}/hooks/${made.endpoint}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-event-key': 'repo:push' }, body: '{}',
  }).then((response) => response.status);
  for (let i = 0; i < 3; i += 1) assert.equal(await unsigned(), 401);
  // The first is written at once, the two after it a few seconds later, together (js-shim/refusals.mjs).
  let folded;
  await until(async () => {
    const { body: refused } = await relay.api('GET', `/api/endpoints/${made.endpoint}/deliveries?status=rejected`);
    folded = refused.find((item) => item.code === 'signature_missing');
    return folded?.count >= 3;
  }, 'the three refusals counted');
  const row = page.locator(`.delivery[data-id="${folded.id}"]`);
  await until(async () => /^×\d+, last at \d/.test(await row.locator('.tag.folded').textContent({ timeout: 1000 }).catch(() => '')), 'the folded row');
  await until(async () => (await row.locator('.tag.folded').textContent()).startsWith(`×${folded.count},`), 'the count to be current');
  assert.match(await row.textContent(), /signature_missing/);
  await row.locator('.delivery-row').click();
  await row.locator('.facts').waitFor();
  assert.match(await row.locator('.facts').textContent(), new RegExp(`Requests${folded.count}, the first at .*, the last at `));
  await row.locator('.delivery-row').click();
});

step(10, 'Settings: a template in the preview\'s editor, its fault marked where the core finds it, saved, then dropped', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.waitForURL(/tab=settings/);
  await page.locator('.template-field .dc-message').waitFor();
  await shots('settings');
  await page.getByLabel(/My own template/).check();
  const editor = page.locator('.template-field textarea');
  await editor.fill('{\n  "content": "{{#dispatch.commits}}x"\n}\n');
  await page.locator('.template-field .status.error').waitFor();
  assert.match(await page.textContent('.template-field .status'), /^Line 2, column \d+: .*never closed/);
  assert.equal(await page.textContent('.template-field .gutter .error-line'), '2');
  assert.equal(await editor.getAttribute('aria-invalid'), 'true');
  await shots('template-error');
  await page.getByRole('button', { name: 'Save changes' }).click();
  assert.match(await page.textContent('.save-result'), /does not render/, 'a failing template is not saved');

  const template = '{"content": "{{dispatch.actor}} pushed to {{dispatch.branch}}"}';
  await editor.fill(template);
  await page.locator('.template-field .status.ok').waitFor();
  assert.match(await page.locator('.template-field .dc-content').textContent(), /pushed to main/);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice.ok').waitFor();
  assert.equal((await relay.api('GET', `/api/endpoints/${made.endpoint}`)).body.template, template);

  await page.getByLabel(/Auto-formatted embeds/).check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice.ok', { hasText: 'auto-formatted' }).waitFor();
  assert.equal((await relay.api('GET', `/api/endpoints/${made.endpoint}`)).body.template ?? null, null);
});

step(11, 'Settings: a template for some events, drawn on a sample of their family, refused while it fails, saved beside the default, then removed', async () => {
  const section = page.locator('.event-templates');
  const picker = section.getByLabel('Events for another template');
  assert.deepEqual(await picker.locator('option').allTextContents(), [
    'Every repository event (repo:*)', 'Every pull request event (pullrequest:*)', 'Repository push (repo:push)',
    'Pull request created (pullrequest:created)', 'Pull request merged (pullrequest:fulfilled)',
  ], 'the families and the events the source selects');
  await picker.selectOption('pullrequest:fulfilled');
  await section.getByRole('button', { name: 'Add a template' }).click();
  const row = section.locator('.event-template');
  assert.equal(await row.locator('legend').textContent(), 'Pull request merged (pullrequest:fulfilled)');
  await row.locator('.dc-message').waitFor();
  // No merge among the samples: the drawing uses the pull request samples, never a push.
  const samples = await row.getByLabel('Drawn for the sample').locator('option').allTextContents();
  assert.ok(samples.length > 0 && samples.every((text) => text.includes('(pullrequest:')), samples.join(', '));
  assert.equal(await picker.locator('option[value="pullrequest:fulfilled"]').count(), 0, 'an event is offered once');
  // An event taken out of the selection keeps its template, and the row says nothing uses it.
  const merged = page.locator('.event-groups input[value="pullrequest:fulfilled"]');
  assert.equal(await row.locator('.unused').isVisible(), false);
  await merged.uncheck();
  await row.locator('.unused').waitFor();
  await merged.check();
  await row.locator('.unused').waitFor({ state: 'hidden' });

  const editor = row.locator('textarea');
  await editor.fill('{"content": "{{#pullrequest}}"}');
  await row.locator('.status.error').waitFor();
  await page.getByRole('button', { name: 'Save changes' }).click();
  assert.match(await page.textContent('.save-result'), /does not render/, 'a failing template is not saved');

  const text = '{"content": "Merged: {{pullrequest.title}}"}';
  await editor.fill(text);
  await row.locator('.status.ok').waitFor();
  assert.match(await row.locator('.dc-content').textContent(), /^Merged: \S/);
  await shots('settings-event-template', page, { element: '.event-templates' });
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice.ok', { hasText: 'Templates for some events: pullrequest:fulfilled.' }).waitFor();
  const saved = (await relay.api('GET', `/api/endpoints/${made.endpoint}`)).body;
  assert.deepEqual(saved.templates, { 'pullrequest:fulfilled': text });
  assert.equal(saved.template ?? null, null, 'the default is untouched');

  // Drawn again from what was saved, then removed.
  await page.reload();
  await page.locator('.event-template textarea').waitFor();
  assert.equal(await page.locator('.event-template textarea').inputValue(), text);
  await page.locator('.event-template').getByRole('button', { name: 'Remove' }).click();
  assert.equal(await page.locator('.event-template').count(), 0);
  assert.equal(await picker.locator('option[value="pullrequest:fulfilled"]').count(), 1, 'offered again');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice.ok', { hasText: 'No templates for some events.' }).waitFor();
  assert.equal((await relay.api('GET', `/api/endpoints/${made.endpoint}`)).body.templates ?? null, null);
});

step(12, 'Settings: the filters as saved, a tag pattern added from its examples, pull request threads turned on and off', async () => {
  const filters = page.locator('.filters-field');
  assert.equal(await filters.getByLabel('Branches', { exact: true }).inputValue(), 'main\nrelease/*');
  assert.equal(await filters.getByLabel('Tags', { exact: true }).inputValue(), '');
  assert.equal(await filters.getByLabel('Actors', { exact: true }).inputValue(), '!dependabot*');
  await filters.locator('.filter-list', { has: page.getByLabel('Tags', { exact: true }) }).getByRole('button', { name: 'v*' }).click();
  assert.equal(await filters.getByLabel('Tags', { exact: true }).inputValue(), 'v*');
  const threads = page.getByLabel('One live thread per pull request');
  assert.equal(await threads.isChecked(), false);
  await threads.check();
  await shots('settings-filters');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const saved = page.locator('.save-result .notice.ok');
  await saved.waitFor();
  assert.match(await saved.textContent(), /Filters: branches main, release\/\* · tags v\* · actors !dependabot\*\./);
  assert.match(await saved.textContent(), /Each pull request is now one live thread\./);
  let { body: endpoint } = await relay.api('GET', `/api/endpoints/${made.endpoint}`);
  assert.deepEqual(endpoint.filters, { branches: ['main', 'release/*'], tags: ['v*'], actors: ['!dependabot*'] });
  assert.equal(endpoint.threads, 'pull_request');

  await threads.uncheck();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice.ok', { hasText: 'messages of their own' }).waitFor();
  ({ body: endpoint } = await relay.api('GET', `/api/endpoints/${made.endpoint}`));
  assert.equal(endpoint.threads, null);
  assert.deepEqual(endpoint.filters.tags, ['v*']);
});

step(13, 'Rotate secret: the new one is shown once, Bitbucket\'s hook has it, the old one still verifies for a while', async () => {
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await shots('rotate-dialog', page, { fullPage: false });
  await page.locator('dialog').getByRole('button', { name: 'Rotate secret' }).click();
  await page.locator('.secret-shown').waitFor();
  const shown = (await page.textContent('.secret-shown .copyable code')).trim();
  const { hooks } = await standin.control('GET', '/_standin/state');
  assert.equal(hooks[made.repository][0].secret, shown);
  assert.notEqual(shown, made.secret);
  assert.match(await page.textContent('.secret-shown'), /previous secret still verifies/);
  // Signed with the previous secret, a delivery is still accepted.
  assert.equal(await signedFetch(made.endpoint, 'repo:push', { push: { changes: [] }, repository: { full_name: made.repository } }, made.secret), 202);
  await shots('rotated');
  // Back in the history is the log, forward the settings again.
  await page.goBack();
  await view('log');
  await page.goForward();
  await page.waitForURL(/tab=settings/);
});

step(14, 'Disconnect: a confirmation, the hook removed from Bitbucket, the source shown disconnected', async () => {
  await page.locator('.danger-zone').getByRole('button', { name: 'Disconnect' }).waitFor();
  await page.locator('.danger-zone').getByRole('button', { name: 'Disconnect' }).click();
  await page.locator('dialog[open]').waitFor();
  await shots('disconnect-dialog', page, { fullPage: false });
  // Cancel first: nothing happens.
  await page.locator('dialog').getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await standin.control('GET', '/_standin/state')).hooks[made.repository].length, 1);
  await page.locator('.danger-zone').getByRole('button', { name: 'Disconnect' }).click();
  await page.locator('dialog').getByRole('button', { name: 'Disconnect' }).click();
  await page.locator('.notice.ok', { hasText: 'Disconnected.' }).waitFor();
  assert.match(await page.textContent('.notice.ok'), /removed the webhook from Bitbucket/);
  assert.equal(await page.textContent('.title-line .badge'), 'Disconnected');
  assert.deepEqual((await standin.control('GET', '/_standin/state')).hooks[made.repository], []);
  await shots('disconnected');
  // Nothing is left to change: no settings and no secret, and opened afresh the tab never loads the core.
  assert.match(await page.textContent('main'), /A disconnected source keeps its log, and nothing else/);
  assert.equal(await page.locator('.settings-form').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Rotate secret' }).count(), 0);
  const fresh = await context.newPage();
  const fetched = [];
  fresh.on('request', (request) => fetched.push(new URL(request.url()).pathname));
  await fresh.goto(page.url());
  await fresh.locator('.danger-zone').waitFor();
  await fresh.waitForLoadState('networkidle');
  assert.ok(fetched.includes('/sources'), fetched.join(' '));
  assert.deepEqual(fetched.filter((path) => path.endsWith('.wasm')), []);
  await fresh.close();
  await page.getByRole('link', { name: 'Sources' }).first().click();
  await view('list');
  const row = page.locator('.source-row', { hasText: made.repository });
  assert.equal(await row.locator('.badge').textContent(), 'Disconnected');
});

step(15, 'Bitbucket\'s refusal in words, with what to do: a repository that already has 50 webhooks', async () => {
  await standin.control('POST', '/_standin/repositories/acme/relay-api/hooks/fill', { count: 50 });
  await page.goto(`${relay.base}/sources?connection=${made.connection}`);
  await page.getByLabel('Search repositories').fill('relay-api');
  await page.locator('#repo-list input[value="acme/relay-api"]').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/step=events/);
  // The URL changes before the step is drawn: wait for its heading, or Continue may be the old step's.
  await page.getByRole('heading', { name: /^Which events of/ }).waitFor();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Discord webhook URL').fill('https://discord.com/api/webhooks/223456789012345678/refusal-test-token-abcdefghijklmnop');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/step=template/);
  // Each step is drawn after its URL changes: wait for it, or Continue may be the previous step's.
  await page.locator('.template-field .dc-message').waitFor();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/step=review/);
  await page.getByRole('button', { name: 'Create source' }).click();
  const refusal = page.locator('.create-result .notice.error');
  await refusal.waitFor();
  const words = await refusal.textContent();
  assert.match(words, /acme\/relay-api already has 50 webhooks, Bitbucket's limit/);
  assert.match(words, /What to do:/);
  await shots('refused');
  const { body: endpoints } = await relay.api('GET', '/api/endpoints');
  assert.ok(!endpoints.some((endpoint) => endpoint.source?.repository === 'acme/relay-api'), 'no endpoint is left behind');
});

step(16, 'a revoked authorisation: the connect flow and the list say so and offer Reconnect', async () => {
  await standin.control('POST', '/_standin/revoke', {});
  await page.goto(`${relay.base}/sources?connection=${made.connection}`);
  await page.locator('.notice.warn a[href="/connect/bitbucket"]').first().waitFor({ timeout: 15_000 });
  assert.match(await page.textContent('main'), /no longer accepts dispatch's access/);
  const { body: connections } = await relay.api('GET', '/api/connections');
  assert.equal(connections.find((item) => item.id === made.connection).status, 'needs_reconnect');
  await shots('needs-reconnect');
  await page.goto(`${relay.base}/sources`);
  await view('list');
  assert.equal(await page.getByRole('link', { name: 'Reconnect' }).first().getAttribute('href'), '/connect/bitbucket');
});

step(17, 'a cross-site POST without the CSRF token is refused (403), and the relay did nothing', async () => {
  const { body: before } = await relay.api('GET', '/api/endpoints');
  // From the signed-in page itself, without the header.
  const bare = await page.evaluate(async () => {
    const response = await fetch('/api/endpoints', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged', destination_url: 'https://discord.com/api/webhooks/1/abc', events: { mode: 'all' } }) });
    return { status: response.status, body: await response.json() };
  });
  assert.equal(bare.status, 403);
  assert.equal(bare.body.code, 'csrf_failed');

  // From another origin's page, with the session cookie riding along.
  const other = await context.newPage();
  watch(other);
  await other.goto(`http://127.0.0.1:${crossSite.address().port}/`);
  const answered = other.waitForResponse((response) => response.url().startsWith(`${relay.base}/api/`));
  await other.evaluate(async (target) => {
    await fetch(`${target}/api/endpoints`, {
      method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ name: 'forged', destination_url: 'https://discord.com/api/webhooks/1/abc', events: { mode: 'all' } }),
    }).catch(() => null);
  }, relay.base);
  assert.equal((await answered).status(), 403);
  await other.close();
  const { body: after } = await relay.api('GET', '/api/endpoints');
  assert.equal(after.length, before.length);
});

step(18, 'without a Bitbucket OAuth consumer: how to create one, and an endpoint by hand with its secret shown once', async () => {
  const unconfigured = await context.newPage();
  watch(unconfigured);
  await unconfigured.route('**/api/session', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const response = await route.fetch();
    const body = await response.json();
    return route.fulfill({ response, json: { ...body, bitbucket: { ...body.bitbucket, configured: false } } });
  });
  await unconfigured.goto(`${relay.base}/sources`);
  await view('list', unconfigured);
  await unconfigured.getByRole('link', { name: 'Connect Bitbucket' }).first().click();
  await view('setup', unconfigured);
  const setup = await unconfigured.textContent('main');
  assert.ok(setup.includes(`${relay.base}/oauth/bitbucket/callback`), 'the callback URL is shown');
  for (const words of ['OAuth consumers', 'Webhooks: Read and write', 'Repositories: Read', 'BITBUCKET_CLIENT_ID', 'BITBUCKET_CLIENT_SECRET']) {
    assert.ok(setup.replace(/\s+/g, ' ').includes(words), `the setup page lacks "${words}"`);
  }
  await shots('setup', unconfigured);
  await unconfigured.getByRole('link', { name: 'Add an endpoint by hand' }).click();
  await view('manual', unconfigured);
  await unconfigured.getByLabel('Name').fill('acme/docs');
  await unconfigured.getByLabel('Discord webhook URL').fill('https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz0123456789');
  assert.match(await unconfigured.textContent('.destination-field .field-status'), /✓ Discord webhook 123456789012345678/);
  await shots('manual', unconfigured);
  await unconfigured.getByRole('button', { name: 'Create endpoint' }).click();
  await unconfigured.locator('.notice.created').waitFor();
  const text = await unconfigured.textContent('.notice.created');
  assert.match(text, /The secret is shown only this once/);
  const secret = (await unconfigured.locator('.notice.created .copyable code').nth(1).textContent()).trim();
  assert.match(secret, /^\S{16,}$/);
  await shots('manual-created', unconfigured);
  // Reloaded, the secret is gone for good.
  await unconfigured.reload();
  await view('log', unconfigured);
  assert.equal(await unconfigured.locator('.notice.created').count(), 0);
  assert.ok(!(await unconfigured.textContent('body')).includes(secret));
  await unconfigured.close();
});

step(19, 'every control has a visible name, and the keyboard reaches the list and the sign-out', async () => {
  await page.goto(`${relay.base}/sources`);
  await view('list');
  const unnamed = await page.$$eval('input, select, textarea, button', (controls) => controls
    .filter((c) => c.type !== 'hidden' && !(c.labels?.length || c.getAttribute('aria-label') || c.textContent.trim()))
    .map((c) => c.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, []);
  const reached = [];
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim().slice(0, 30) || document.activeElement?.id));
  }
  assert.ok(reached.includes('Sign out'), reached.join(' | '));
  assert.ok(reached.includes('Connect Bitbucket'), reached.join(' | '));
  await shots('list');
});

step(20, 'time to first render with 50 sources, and of a 500-delivery log (recorded, not judged)', async (t) => {
  const { body: existing } = await relay.api('GET', '/api/endpoints');
  const destinations = sink.webhook('timing-token-0123456789abcdef');
  const createdIds = [];
  for (let i = existing.length; i < 50; i += 1) {
    const { status, body } = await relay.api('POST', '/api/endpoints', {
      name: `acme/service-${String(i).padStart(2, '0')}`, destination_url: destinations,
      events: i % 3 === 0 ? { mode: 'all' } : i % 3 === 1 ? { mode: 'push' } : { mode: 'custom', custom: ['repo:push', 'pullrequest:created', 'issue:created'] },
    });
    assert.equal(status, 201, JSON.stringify(body));
    createdIds.push(body);
  }
  const logged = createdIds[0];
  const push = { push: { changes: [] }, actor: { display_name: 'Timing' }, repository: { full_name: 'acme/service-log' } };
  // 500 requests: most ignored (fork on a push-only endpoint costs no Discord call), some delivered.
  const kinds = Array.from({ length: 500 }, (_, i) => (i % 10 === 0 ? 'repo:push' : 'repo:fork'));
  await relay.api('PATCH', `/api/endpoints/${logged.id}`, { events: { mode: 'push' } });
  for (let i = 0; i < kinds.length; i += 10) {
    // Each its own event: the same bytes again would be a replay (200, not a new delivery).
    const statuses = await Promise.all(kinds.slice(i, i + 10).map((event, j) => signedFetch(logged.id, event, { ...push, n: i + j }, logged.secret)));
    assert.ok(statuses.every((status) => status === 202 || status === 200), statuses.join(','));
  }

  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const list = [];
  const log = [];
  const allPages = [];
  for (let i = 0; i < 5; i += 1) {
    const fresh = await context.newPage();
    watch(fresh);
    await fresh.goto(`${relay.base}/sources`);
    await fresh.waitForFunction(() => window.dispatchSources?.listRenderedMs > 0, null, { timeout: 30_000 });
    list.push(await fresh.evaluate(() => window.dispatchSources.listRenderedMs));
    assert.equal(await fresh.locator('.source-row').count(), 50);
    await fresh.goto(`${relay.base}/sources?endpoint=${logged.id}`);
    await fresh.waitForFunction(() => window.dispatchSources?.logRenderedMs > 0, null, { timeout: 30_000 });
    log.push(await fresh.evaluate(() => window.dispatchSources.logRenderedMs));
    assert.equal(await fresh.locator('.delivery').count(), 50);
    if (i === 0) {
      // Then the whole log, page after page with the cursor.
      const started = Date.now();
      while (await fresh.isVisible('button:has-text("Older deliveries")')) {
        const count = await fresh.locator('.delivery').count();
        await fresh.click('button:has-text("Older deliveries")');
        await fresh.waitForFunction((n) => document.querySelectorAll('.delivery').length > n, count);
      }
      allPages.push(Date.now() - started);
      assert.equal(await fresh.locator('.delivery').count(), 500);
      const overflow = await fresh.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0);
      await fresh.screenshot({ path: resolve(artifacts, 'sources-log-500-1400.png') });
      await fresh.goto(`${relay.base}/sources`);
      await fresh.locator('.source-row').first().waitFor();
      await fresh.screenshot({ path: resolve(artifacts, 'sources-list-50-1400.png') });
      await fresh.setViewportSize(narrow);
      await fresh.screenshot({ path: resolve(artifacts, 'sources-list-50-390.png') });
      assert.equal(await fresh.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
    }
    await fresh.close();
  }
  const summary = {
    listFirstRenderMs: list.map(Math.round),
    medianListFirstRenderMs: Math.round(median(list)),
    logFirstRenderMs: log.map(Math.round),
    medianLogFirstRenderMs: Math.round(median(log)),
    wholeLogOf500Ms: allPages[0],
    sources: 50,
    deliveries: 500,
    note: 'ms after navigation start, wrangler dev on loopback, headless Chromium; the log shows 50 per page',
  };
  writeFileSync(resolve(artifacts, 'sources-timing.json'), `${JSON.stringify(summary, null, 2)}\n`);
  t.diagnostic(`/sources with 50 sources: ${summary.listFirstRenderMs.join(', ')} ms (median ${summary.medianListFirstRenderMs}); ` +
    `a 500-delivery log, first page: ${summary.logFirstRenderMs.join(', ')} ms (median ${summary.medianLogFirstRenderMs}); ` +
    `all 500 through the cursor in ${summary.wholeLogOf500Ms} ms`);
});

step(21, 'Forget account: a confirmation, refused in words while a source still uses it, then the tokens are gone and the log stays', async () => {
  await page.goto(`${relay.base}/sources`);
  await view('list');
  const account = page.locator('li.connection', { hasText: 'Ada Lovelace' });
  const forget = account.getByRole('button', { name: 'Forget' });
  // A source that still uses the account (made so in D1: a revoked account cannot connect one).
  const [{ id: sourceEndpoint }] = await relay.sql(`SELECT id FROM endpoints WHERE connection_id = '${made.connection}' LIMIT 1`);
  await relay.sql(`UPDATE endpoints SET active = 1 WHERE id = '${sourceEndpoint}'`);
  await forget.click();
  await page.locator('dialog[open]').waitFor();
  assert.match(await page.textContent('dialog[open]'), /deletes this account's Bitbucket tokens/);
  await page.locator('dialog').getByRole('button', { name: 'Forget account' }).click();
  await account.locator('.notice.warn').waitFor();
  assert.match(await account.textContent('.notice.warn'), /Sources still use this account: disconnect them first/);
  assert.ok((await relay.api('GET', '/api/connections')).body.some((item) => item.id === made.connection));

  await relay.sql(`UPDATE endpoints SET active = 0 WHERE id = '${sourceEndpoint}'`);
  await forget.click();
  await page.locator('dialog').getByRole('button', { name: 'Cancel' }).click();
  assert.ok((await relay.api('GET', '/api/connections')).body.some((item) => item.id === made.connection), 'Cancel forgot nothing');
  await forget.click();
  await page.locator('dialog').getByRole('button', { name: 'Forget account' }).click();
  await page.locator('li.connection', { hasText: 'Ada Lovelace' }).waitFor({ state: 'detached' });
  assert.ok(!(await relay.api('GET', '/api/connections')).body.some((item) => item.id === made.connection));
  assert.equal((await relay.sql(`SELECT count(*) AS n FROM connections WHERE id = '${made.connection}'`))[0].n, 0, 'the tokens\' row is gone');
  // The disconnected source and its log stay.
  const { status, body: deliveries } = await relay.api('GET', `/api/endpoints/${sourceEndpoint}/deliveries?limit=1`);
  assert.equal(status, 200);
  assert.equal(deliveries.length, 1);
  await shots('forgotten');
});

step(22, 'Sign out everywhere: a confirmation (Cancel ends nothing), then every browser\'s session ends, this one\'s too, and the admin token still works', async () => {
  await page.goto(`${relay.base}/sources`);
  await view('list');
  // The status of GET /api/session from a page: 200 while its browser is signed in.
  const live = async (target) => target.evaluate(async () => (await fetch('/api/session')).status);
  // A second browser (its own profile, its own cookie) signs in too: two sessions.
  const elsewhere = await launchChromium('sources');
  try {
    const other = elsewhere.pages()[0] ?? await elsewhere.newPage();
    watch(other);
    await other.goto(`${relay.base}/sources`);
    await other.getByLabel('Admin token').fill(token);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await view('list', other);
    const sessions = async () => (await relay.sql('SELECT count(*) AS n FROM sessions'))[0].n;
    const before = await sessions();
    assert.ok(before >= 2, `${before} sessions`);
    assert.equal(await live(page), 200);
    assert.equal(await live(other), 200);

    const everywhere = page.getByRole('button', { name: 'Sign out everywhere' });
    // Cancel: nothing happens.
    await everywhere.click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    const asked = (await dialog.textContent()).replace(/\s+/g, ' ');
    assert.ok(asked.includes('Ends every signed-in session of this dispatch, in every browser, this one included. Scripts that use the admin token are not affected.'), asked);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'sign-out-everywhere', 'Cancel gives the focus back to the button');
    assert.equal(await sessions(), before);
    assert.equal(await live(page), 200);
    assert.equal(await live(other), 200);
    assert.equal(await page.isVisible('#account'), true);

    // Refused by the relay (the CSRF header taken off on the way): the reason in words, and nothing ended.
    await page.route('**/api/sessions/revoke', (route) => {
      const headers = { ...route.request().headers() };
      delete headers['x-dispatch-csrf'];
      return route.continue({ headers });
    });
    await everywhere.click();
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();
    const refusal = page.locator('main > .notice.error');
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /^Could not sign out everywhere\. A change made with the session cookie needs the x-dispatch-csrf header/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'sign-out-everywhere');
    assert.equal(await sessions(), before);
    assert.equal(await live(other), 200);
    await page.unroute('**/api/sessions/revoke');

    // Confirmed from the keyboard: Enter on the focused button, Tab to the dialog's confirm, Enter.
    await page.locator('#sign-out-everywhere').focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await shots('sign-out-everywhere-dialog', page, { fullPage: false });
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sign out everywhere');
    const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/sessions/revoke');
    await page.keyboard.press('Enter');
    const answer = await answered;
    assert.equal(answer.status(), 200);
    assert.deepEqual(await answer.json(), { revoked: before });
    await page.getByLabel('Admin token').waitFor();
    assert.equal(await refusal.count(), 0, 'the earlier refusal is gone');
    const said = await page.textContent('.signin-message .notice.ok');
    assert.match(said, new RegExp(`You are signed out everywhere: ${before} sessions were ended, this browser's included`));
    assert.match(said, /Scripts that use the admin token still work/);
    assert.equal(await page.isVisible('#account'), false);
    assert.equal(await sessions(), 0);
    assert.ok(!(await context.cookies(relay.base)).some((cookie) => cookie.name === 'dispatch_session'), 'this browser\'s cookie is cleared');
    await shots('signed-out-everywhere');

    // The other browser still shows its list; its next call is refused and it asks to sign in again.
    assert.equal(await other.isVisible('#account'), true);
    await other.getByRole('link', { name: 'Sources' }).first().click();
    await other.getByLabel('Admin token').waitFor();
    assert.match(await other.textContent('.signin-message'), /Your session has ended/);
    assert.equal(await other.isVisible('#account'), false);
    await other.reload();
    await other.getByLabel('Admin token').waitFor();
    assert.equal(await live(other), 401);
    // A script with the admin token is not affected.
    assert.equal((await relay.api('GET', '/api/endpoints')).status, 200);
  } finally {
    await elsewhere.close();
  }

  // Signing in again works, on a new session.
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.source-row').first().waitFor();
  assert.equal(await page.isVisible('#sign-out-everywhere'), true);
  assert.equal(await live(page), 200);
});

step(23, 'a broken destination: test events held back in words, Resume, what failed offered again and delivered; saving the same URL clears it too', async () => {
  const sinkToken = 'broken-page-token-0123456789';
  const { body: ep } = await relay.api('POST', '/api/endpoints', { name: 'broken destination', destination_url: sink.webhook(sinkToken), events: { mode: 'all' } });
  const push = JSON.parse(readFileSync(resolve(root, 'tests/vectors/bodies/push.json'), 'utf8'));
  const failed = async (count) => until(async () => {
    const { body } = await relay.api('GET', `/api/endpoints/${ep.id}/deliveries?status=failed`);
    return body.length >= count;
  }, `${count} failed deliveries`);
  sink.script(sinkToken, [{ status: 404 }]);
  assert.equal(await signedFetch(ep.id, 'repo:push', { ...push, n: 1 }, ep.secret), 202);
  await failed(1);
  assert.equal(await signedFetch(ep.id, 'repo:push', { ...push, n: 2 }, ep.secret), 202);
  await failed(2);

  await page.goto(`${relay.base}/sources?endpoint=${ep.id}`);
  await view('source');
  const broken = page.locator('.notice.error', { hasText: 'The destination is broken' });
  await broken.waitFor();
  assert.match(await broken.textContent(), /Unknown Webhook/);
  assert.doesNotMatch(await page.textContent('main'), /PATCH|destination_status|\{"/, 'no message on the page tells a user to send JSON');
  assert.equal(await page.getByRole('button', { name: 'Send test event' }).isDisabled(), true);
  assert.match(await page.textContent('.test-form'), /Nothing is sent while the destination is broken/);
  await shots('destination-broken');

  await page.getByRole('button', { name: 'Resume deliveries' }).click();
  const offer = page.locator('.notice', { hasText: 'failed while the destination was broken' });
  await offer.waitFor();
  assert.match(await offer.textContent(), /^2 deliveries failed while the destination was broken/);
  assert.equal(await page.locator('.title-block .badge').textContent(), 'Active');
  assert.equal(await page.getByRole('button', { name: 'Send test event' }).isDisabled(), false);
  await shots('destination-resumed');
  await page.getByRole('button', { name: 'Redeliver 2 deliveries' }).click();
  await page.locator('.notice.ok', { hasText: '2 deliveries are queued again' }).waitFor();
  await until(() => sink.received(sinkToken).filter((item) => item.answered === 200).length === 2, 'both delivered to the stand-in');

  // Broken again; saving the same URL in Settings clears it, and what failed is offered there.
  sink.script(sinkToken, [{ status: 404 }]);
  assert.equal(await signedFetch(ep.id, 'repo:push', { ...push, n: 3 }, ep.secret), 202);
  await until(async () => (await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status === 'broken', 'broken again');
  await page.goto(`${relay.base}/sources?endpoint=${ep.id}&tab=settings`);
  await view('source');
  await page.getByLabel(/New Discord webhook URL/).fill(sink.webhook(sinkToken));
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice', { hasText: '1 delivery failed while the destination was broken' }).waitFor();
  assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status, 'ok');
  assert.equal(await page.locator('.broken-destination').count(), 0, 'the broken notice is gone once the mark is cleared');
  assert.equal(await page.locator('.title-block .badge').textContent(), 'Active');
  await shots('destination-saved-again');
});

step(24, 'no console errors on any page of the scenario', () => {
  assert.deepEqual(consoleErrors, []);
});

describe('the Sources page, one user\'s afternoon, step by step', () => {
  for (const [index, { number, name, rest }] of steps.entries()) {
    assert.equal(number, index + 1, `step ${number} is numbered out of order`);
    test(`${number}. ${name}`, ...rest);
  }
});
