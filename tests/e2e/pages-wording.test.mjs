// The pages' wording and addresses, in real Chromium (Debian's, driven by playwright-core) against the relay under
// `wrangler dev` beside the Bitbucket and Discord stand-ins: a wrong token said once; one header on /sources
// and /preview; filter examples that read as examples; events named with their family wherever they stand
// alone; each step of the connect flow an address that lands on it, or on the step that lacks something,
// saying why; a source's head showing what Settings saved at once; and a next step, in words, for every kind
// of refused request in Recent deliveries. Screenshots at 1400 and 390 px go to build/artifacts/pages-*.png.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { root, sign } from '../js/helpers.mjs';
import { consoleWatch, launchChromium, shots as takeShots, startSourcesRelay, until, view as viewDrawn } from './chromium.mjs';

const token = 'pages-test-admin-token-0123456789';
const clientId = 'dispatch-pages-test';
const clientSecret = 'pages-test-consumer-secret-0123456789';

let fixture;
let relay;
let sink;
let context;
let page;
// What one test made, for the tests after it.
const made = {};

// Answers the pages expect and handle (a wrong token): Chromium logs each as a console error.
const expectedFailure = /^Failed to load resource: the server responded with a status of (401|404)\b/;
const { errors: consoleErrors, watch } = consoleWatch(expectedFailure);
const shots = (name, target = page, options = {}) => takeShots(`pages-${name}`, target, options);
const view = (name, target = page) => viewDrawn(target, name);





async function newPage() {
  return watch(await context.newPage());
}

// POSTs `bytes` to an endpoint's hook URL with `headers`; returns the status.
async function hook(endpoint, headers, bytes, method = 'POST') {
  const response = await fetch(`${relay.base}/hooks/${endpoint}`, { method, headers, body: method === 'POST' ? bytes : undefined });
  await response.arrayBuffer();
  return response.status;
}


// Returns a field's placeholder and the style it is drawn in.
const placeholder = (target, selector) => target.locator(selector).evaluate((field) => ({
  text: field.placeholder, style: getComputedStyle(field, '::placeholder').fontStyle,
}));

// Connects Ada's Bitbucket account through the stand-in's consent page, once; returns the connection's id and
// leaves `page` on the connect flow's first step.
async function connection() {
  if (made.connection) return made.connection;
  await page.goto(`${relay.base}/sources`);
  await view('list');
  await page.getByRole('link', { name: 'Connect Bitbucket' }).first().click();
  await page.getByRole('button', { name: 'Grant access' }).click();
  await page.waitForURL(/\/sources\?connection=/);
  made.connection = new URL(page.url()).searchParams.get('connection');
  return made.connection;
}

before(async () => {
  fixture = await startSourcesRelay({ token, clientId, clientSecret });
  ({ relay, sink } = fixture);
  context = await launchChromium('pages');
  page = context.pages()[0] ?? await context.newPage();
  watch(page);
});

after(async () => {
  await context?.close();
  await fixture?.close();
});

test('a wrong token is refused in one sentence, not the page\'s and then the relay\'s saying the same', async () => {
  await page.goto(`${relay.base}/sources`);
  await page.getByLabel('Admin token').fill('not-the-token-at-all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const message = page.locator('.signin-message .notice.error');
  try {
    await message.waitFor();
    await shots('sign-in-wrong');
    const said = (await message.textContent()).replace(/\s+/g, ' ').trim();
    assert.equal(said, 'That is not the admin token. Check for a missing character or a space, then try again.');
    assert.equal(said.match(/not the admin token/gi).length, 1);
  } finally {
    // Signed in whatever came of it: the tests after this one need the session.
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await view('list');
  }
});

test('/sources and /preview share one header from one module: the brand, both pages, the current one marked', async () => {
  // Both pages' HTML hold the same empty header and load the module that fills it.
  for (const path of ['/sources', '/preview']) {
    const html = await (await fetch(`${relay.base}${path}`)).text();
    assert.match(html, /<header class="app-bar" id="app-bar"><\/header>/, path);
    assert.match(html, /<link rel="modulepreload" href="\/site-header.mjs">/, path);
  }
  const header = async (target) => target.locator('header.app-bar').evaluate((bar) => ({
    brand: [bar.querySelector('.brand').textContent, bar.querySelector('.brand').getAttribute('href')],
    links: [...bar.querySelectorAll('nav a')].map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('aria-current')]),
  }));
  await page.goto(`${relay.base}/sources`);
  await view('list');
  assert.deepEqual(await header(page), {
    brand: ['dispatch', '/sources'],
    links: [['Sources', '/sources', 'page'], ['Payload preview', '/preview', null]],
  });
  assert.equal(await page.isVisible('#sign-out'), true, 'the session\'s controls sit in the shared header');
  await shots('header-sources', page, { element: 'header.app-bar' });

  const preview = await newPage();
  await preview.goto(`${relay.base}/preview`);
  await preview.locator('#discord .dc-message').first().waitFor({ timeout: 30_000 });
  assert.deepEqual(await header(preview), {
    brand: ['dispatch', '/sources'],
    links: [['Sources', '/sources', null], ['Payload preview', '/preview', 'page']],
  });
  // The same look: the bar's height and the brand's font, measured.
  const look = (target) => target.locator('header.app-bar').evaluate((bar) => ({
    height: Math.round(bar.getBoundingClientRect().height),
    brand: getComputedStyle(bar.querySelector('.brand')).fontSize,
    current: getComputedStyle(bar.querySelector('[aria-current="page"]')).fontWeight,
  }));
  assert.deepEqual(await look(preview), await look(page));
  assert.equal(await preview.getByRole('heading', { level: 1 }).textContent(), 'Payload preview');
  await shots('header-preview', preview, { element: 'header.app-bar' });
  await shots('preview', preview);
  await preview.getByRole('link', { name: 'Sources' }).click();
  await view('list', preview);
  await preview.close();
});

test('filter examples read as examples ("e.g. …", muted and slanted), on both pages', async () => {
  const preview = await newPage();
  await preview.goto(`${relay.base}/preview`);
  await preview.locator('#filter-branches').waitFor();
  assert.deepEqual(await placeholder(preview, '#filter-branches'), { text: 'e.g. main', style: 'italic' });
  assert.deepEqual(await placeholder(preview, '#filter-tags'), { text: 'e.g. v*', style: 'italic' });
  await preview.close();
});

test('each step of the connect flow is an address that lands on it with the choices made, or on the step that lacks one, saying why', async () => {
  await connection();
  await page.getByLabel('Search repositories').fill('relay-api');
  await page.locator('#repo-list input[value="acme/relay-api"]').check();
  // The choice is in the address at once, and in the step's link.
  await until(() => new URL(page.url()).searchParams.get('repository') === 'acme/relay-api', 'the repository in the address');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/step=events/);
  await page.getByRole('heading', { name: /^Which events of/ }).waitFor();
  const eventsAddress = page.url();
  assert.equal(new URL(eventsAddress).searchParams.get('repository'), 'acme/relay-api');

  // Loaded afresh (a shared link, a reload), the address lands on the events step of that repository.
  const fresh = await newPage();
  await fresh.goto(eventsAddress);
  await fresh.getByRole('heading', { name: 'Which events of acme/relay-api?' }).waitFor();
  assert.ok((await fresh.locator('.steps li[aria-current="step"]').textContent()).startsWith('3Events'));
  assert.match(await fresh.locator('.steps li').nth(1).textContent(), /acme\/relay-api/);

  // Events named with their family, the filters' examples as examples.
  await fresh.getByLabel(/Custom/).check();
  for (const [key, name] of [['pullrequest:created', 'Pull request created'], ['issue:created', 'Issue created'], ['repo:push', 'Repository push']]) {
    const option = fresh.locator('.event-option', { has: fresh.locator(`input[value="${key}"]`) });
    assert.equal(await option.locator('.event-label').textContent(), name);
    await fresh.getByRole('checkbox', { name: new RegExp(`^${name} `) }).check();
  }
  assert.deepEqual(await placeholder(fresh, '.filters-field textarea >> nth=0'), { text: 'e.g. main', style: 'italic' });
  assert.equal(await fresh.locator('.filter-try input').getAttribute('placeholder'), 'e.g. feature/login');
  await fresh.locator('.filters-field').getByLabel('Branches', { exact: true }).fill('main\nrelease/*');
  await fresh.getByLabel('One live thread per pull request').check();
  // The address follows the step as it changes: a reload keeps every choice.
  await until(() => new URL(fresh.url()).searchParams.get('threads') === 'pull_request', 'the threads in the address');
  const query = new URL(fresh.url()).searchParams;
  assert.equal(query.get('events'), 'repo:push,issue:created,pullrequest:created');
  assert.equal(query.get('branches'), 'main\nrelease/*');
  await shots('connect-events', fresh);
  await fresh.reload();
  await fresh.getByRole('heading', { name: 'Which events of acme/relay-api?' }).waitFor();
  assert.deepEqual(await fresh.$$eval('.event-groups input:checked', (boxes) => boxes.map((box) => box.value)),
    ['repo:push', 'issue:created', 'pullrequest:created']);
  assert.equal(await fresh.locator('.filters-field').getByLabel('Branches', { exact: true }).inputValue(), 'main\nrelease/*');
  assert.equal(await fresh.getByLabel('One live thread per pull request').isChecked(), true);
  await fresh.getByRole('button', { name: 'Continue' }).click();
  await fresh.waitForURL(/step=destination/);
  const destinationAddress = new URL(fresh.url());
  assert.equal(destinationAddress.searchParams.get('repository'), 'acme/relay-api');
  assert.equal(destinationAddress.searchParams.get('events'), 'repo:push,issue:created,pullrequest:created');
  await fresh.close();

  // The review's address, loaded afresh, lacks only the destination (never in an address: it holds a token):
  // it lands on the destination step, which says so, with the rest kept.
  const review = new URL(destinationAddress);
  review.searchParams.set('step', 'review');
  const shared = await newPage();
  await shared.goto(review.href);
  await shared.getByRole('heading', { name: 'Where should the messages go?' }).waitFor();
  assert.equal(new URL(shared.url()).searchParams.get('step'), 'destination');
  assert.match(await shared.textContent('main .notice.warn'), /^An address never holds the Discord webhook URL, since the URL holds the webhook's token: paste it again to carry on\./);
  assert.equal(await shared.locator('.steps li').nth(2).locator('.sub').textContent(),
    'Repository: Push · Issue: Created · Pull Request: Created · filtered');
  await shots('connect-review-address', shared);

  // An address without a repository lands on the first step, saying why.
  await shared.goto(`${relay.base}/sources?connection=${made.connection}&step=events`);
  await shared.getByRole('heading', { name: 'Choose a repository' }).waitFor();
  assert.equal(new URL(shared.url()).searchParams.get('step'), null);
  assert.match(await shared.textContent('main .notice.warn'), /This address names no repository/);

  // A repository this account does not administer (or that does not exist): the first step, saying so.
  await shared.goto(`${relay.base}/sources?connection=${made.connection}&step=events&repository=acme%2Fno-such-repository`);
  await shared.getByRole('heading', { name: 'Choose a repository' }).waitFor();
  assert.match(await shared.textContent('main .notice.warn'), /^acme\/no-such-repository is not among the repositories Ada Lovelace \(ada\) administers/);
  assert.equal(new URL(shared.url()).searchParams.get('repository'), null);
  await shots('connect-unknown-repository', shared);
  await shared.close();
});

test('after Save in Settings the source\'s head shows the name, events, filters and threads saved, without a reload', async () => {
  const { status, body: created } = await relay.api('POST', '/api/endpoints', {
    name: 'acme/website', destination_url: sink.webhook('issue-24-token-abcdefghijklmnop'), events: { mode: 'push' },
  });
  assert.equal(status, 201, JSON.stringify(created));
  await page.goto(`${relay.base}/sources?endpoint=${created.id}&tab=settings`);
  await page.locator('.settings-form').waitFor();
  const head = page.locator('.title-block');
  assert.match(await head.textContent(), /Events: Push only/);
  assert.doesNotMatch(await head.textContent(), /Filters:/);

  await page.getByLabel('Name', { exact: true }).fill('acme/website (docs)');
  await page.getByLabel(/Custom/).check();
  await page.locator('.event-picker details', { has: page.locator('summary .category', { hasText: /^Pull Request$/ }) }).locator('summary').click();
  await page.locator('.event-groups input[value="pullrequest:created"]').check();
  await page.locator('.event-groups input[value="pullrequest:fulfilled"]').check();
  await page.locator('.filters-field').getByLabel('Branches', { exact: true }).fill('main');
  await page.getByLabel('One live thread per pull request').check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice.ok').waitFor();
  const said = (await head.textContent()).replace(/\s+/g, ' ');
  assert.match(said, /Events: Repository: Push · Pull Request: Created, Merged/);
  assert.match(said, /Filters: branches main/);
  assert.match(said, /Pull requests: one live thread each/);
  assert.equal(await page.locator('.title-line h1').textContent(), 'acme/website (docs)');
  assert.equal(await page.locator('.crumbs [aria-current="page"]').textContent(), 'acme/website (docs)');
  assert.equal(await page.title(), 'acme/website (docs) · dispatch');
  await shots('settings-saved', page);
  // Named alone, an event has its family: the picker's and the templates' choices.
  assert.equal(await page.locator('.event-option', { has: page.locator('input[value="pullrequest:fulfilled"]') }).locator('.event-label').textContent(),
    'Pull request merged');
  assert.deepEqual(await page.locator('.event-templates select option').allTextContents(), [
    'Every repository event (repo:*)', 'Every pull request event (pullrequest:*)', 'Repository push (repo:push)',
    'Pull request created (pullrequest:created)', 'Pull request merged (pullrequest:fulfilled)',
  ]);

  // Back to Push only and no filters: the head says so too.
  await page.getByLabel(/Push only/).check();
  await page.locator('.filters-field').getByLabel('Branches', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice.ok', { hasText: 'No filters' }).waitFor();
  assert.match(await head.textContent(), /Events: Push only/);
  assert.doesNotMatch(await head.textContent(), /Filters:/);
  await page.getByLabel(/Custom/).check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-result .notice.ok', { hasText: 'Events:' }).waitFor();
  assert.match(await head.textContent(), /Events: Repository: Push · Pull Request: Created, Merged/);
});

// The codes a request can be refused with: the receive path's own (js-shim/receive.mjs), and the core's
// (src/dispatch/pipeline.cpp, signature.cpp, answers.cpp: by their names in the registry, src/dispatch/codes.hpp).
function refusalCodes() {
  const read = (path) => readFileSync(resolve(root, path), 'utf8');
  const constants = new Map([...read('src/dispatch/codes.hpp').matchAll(/inline constexpr char (\w+)\[\] = "(\w+)";/g)]
    .map(([, name, code]) => [name, code]));
  const codes = new Set();
  for (const [, code] of read('js-shim/receive.mjs').matchAll(/(?:refuse|record)\(\d+, '([a-z_]+)'/g)) codes.add(code);
  for (const path of ['src/dispatch/pipeline.cpp', 'src/dispatch/signature.cpp', 'src/dispatch/answers.cpp']) {
    for (const [, name] of read(path).matchAll(/codes::(\w+)/g)) {
      const code = constants.get(name);
      if (/^(?:signature|algorithm|event_key|body)_|^(?:endpoint|headers|envelope)_invalid$/.test(code ?? '')) codes.add(code);
    }
  }
  return [...codes].sort();
}

test('a refused request in Recent deliveries says what to do, in plain words, for every refusal code', async () => {
  // A source connected through Bitbucket, and an endpoint made by hand: what their logs show.
  const { status, body: source } = await relay.api('POST', '/api/endpoints', {
    destination_url: sink.webhook('issue-24-source-abcdefghijklmnop'), events: { mode: 'push' },
    source: { connection: await connection(), repository: 'acme/docs' },
  });
  assert.equal(status, 201, JSON.stringify(source));
  const handMade = await relay.api('POST', '/api/endpoints', {
    name: 'acme/infra', destination_url: sink.webhook('issue-24-manual-abcdefghijklmnop'),
    events: { mode: 'custom', custom: ['repo:push', 'pullrequest:created'] },
  });
  assert.equal(handMade.status, 201, JSON.stringify(handMade.body));
  const manual = handMade.body;
  const push = readFileSync(resolve(root, 'web/samples/push.json'));
  assert.equal(await hook(manual.id, { 'x-event-key': 'repo:push', 'x-hub-signature': sign('not-the-secret', push) }, push), 401);
  assert.equal(await hook(manual.id, { 'x-event-key': 'repo:push' }, push), 401);
  // A push's body, signed, sent as a pull request event (the endpoint selects pullrequest:created).
  assert.equal(await hook(manual.id, { 'x-event-key': 'pullrequest:created', 'x-hub-signature': sign(manual.secret, push) }, push), 400);
  const large = Buffer.alloc(1024 * 1024 + 10, 0x20);
  assert.equal(await hook(manual.id, { 'x-event-key': 'repo:push', 'x-hub-signature': sign(manual.secret, large) }, large), 413);
  assert.equal(await hook(source.id, { 'x-event-key': 'repo:push', 'x-hub-signature': sign('not-the-secret', push) }, push), 401);

  const expected = {
    signature_mismatch: 'What to do: The secret in Bitbucket\'s webhook is not this endpoint\'s: paste the secret you kept into the webhook (in Bitbucket: Repository settings → Webhooks → Edit), or rotate it in Settings and paste the new one there.',
    signature_missing: 'What to do: The request was not signed: the webhook in Bitbucket has no secret set.',
    event_key_mismatch: 'What to do: A body signed with this secret came in under another event\'s name, which Bitbucket never does',
    body_too_large: 'What to do: The body is over the 1 MiB dispatch takes, far more than a Bitbucket payload holds',
  };
  await page.goto(`${relay.base}/sources?endpoint=${manual.id}`);
  await view('log');
  for (const [code, start] of Object.entries(expected)) {
    const row = page.locator('.delivery', { has: page.locator('.row-verdict code', { hasText: code }) });
    await until(async () => (await row.count()) === 1, `the ${code} row`);
    const next = (await row.locator('.row-next').textContent()).replace(/\s+/g, ' ');
    assert.ok(next.startsWith(start), `${code}: ${next}`);
  }
  // Opened, a refusal whose fix is in Settings links there.
  const mismatch = page.locator('.delivery', { has: page.locator('.row-verdict code', { hasText: 'signature_mismatch' }) });
  await mismatch.locator('.delivery-row').click();
  const fix = mismatch.getByRole('link', { name: 'Rotate the secret in Settings' });
  await fix.waitFor();
  assert.equal(await fix.getAttribute('href'), `/sources?endpoint=${manual.id}&tab=settings`);
  await shots('refusals', page);
  await fix.click();
  await page.waitForURL(/tab=settings/);
  await page.getByRole('button', { name: 'Rotate secret' }).waitFor();

  // A connected source: dispatch gives the webhook its secret, so the step is to rotate here.
  await page.goto(`${relay.base}/sources?endpoint=${source.id}`);
  await view('log');
  const row = page.locator('.delivery', { has: page.locator('.row-verdict code', { hasText: 'signature_mismatch' }) });
  await until(async () => (await row.count()) === 1, 'the source\'s signature_mismatch row');
  assert.equal((await row.locator('.row-next').textContent()).replace(/\s+/g, ' '),
    'What to do: The secret in Bitbucket\'s webhook is not this source\'s: rotate the secret in Settings, and dispatch gives the new one to the webhook.');
  // Events are named with their family in the log's event filter too.
  assert.equal(await page.locator('#filter-event option[value="pullrequest:created"]').textContent(), 'Pull request created (pullrequest:created)');
  await shots('refusal-source', page);

  // Every code has its own words in the page's one table, for a source and for a hand-made endpoint; none
  // tells anyone to send JSON or call an API.
  const codes = refusalCodes();
  for (const code of ['signature_mismatch', 'signature_missing', 'event_key_mismatch', 'body_too_large', 'endpoint_inactive', 'core_failed']) {
    assert.ok(codes.includes(code), `${code} is not among ${codes.join(', ')}`);
  }
  const words = await page.evaluate(async (list) => {
    const { refusalStep } = await import('/sources-deliveries.mjs');
    return list.flatMap((code) => [{ code, ...refusalStep(code, { source: null }) }, { code, ...refusalStep(code, { source: {} }) }]);
  }, codes);
  const fallback = await page.evaluate(async () => (await import('/sources-deliveries.mjs')).refusalStep('no_such_code', {}).words);
  for (const { code, words: text } of words) {
    assert.notEqual(text, fallback, `${code} has no words of its own`);
    assert.doesNotMatch(text, /JSON|\bAPI\b|curl|PATCH|POST/, `${code}: ${text}`);
  }
});

test('the preview names each event with its family', async () => {
  const preview = await newPage();
  await preview.goto(`${relay.base}/preview`);
  await preview.locator('#event-key option[value="issue:created"]').waitFor({ state: 'attached' });
  assert.equal(await preview.locator('#event-key option[value="issue:created"]').textContent(), 'issue:created · Issue created');
  await preview.check('input[name="mode"][value="custom"]');
  assert.match(await preview.locator('#custom-events label', { has: preview.locator('input[value="pullrequest:created"]') }).textContent(),
    /^ Pull request created pullrequest:created$/);
  await preview.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(consoleErrors, []);
});
