// The payload preview page in real Chromium (Debian's, driven by playwright-core), served by the relay
// itself under `wrangler dev` as script/server runs it. Expected titles, lines and error positions come from
// the native build's `dispatch` command, not from the page. Screenshots and the measured time to first
// render are written to build/artifacts/.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { haveShared, nativeCli, root, sharedDir } from '../js/helpers.mjs';
import { withRelay } from '../js/relay.mjs';

const chromiumPath = process.env.DISPATCH_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = resolve(root, 'build/artifacts');
const fixtures = resolve(sharedDir, 'fixtures/bitbucket-cloud');
const scratch = mkdtempSync(join(tmpdir(), 'dispatch-preview-'));
const sharedNote = '../shared is not beside the repository; the own vectors stand in';

const { relay, ready } = withRelay({ token: 'preview-test-token-0123456789' });
let browser;
let page;
const consoleErrors = [];
const requests = [];
let renderingStarted = false;

// What the native build says about the same input: the message, or a template's error.
function native(args) {
  const run = spawnSync(nativeCli, args, { encoding: 'utf8' });
  return { out: run.stdout, err: run.stderr, exit: run.status };
}

function nativeMessage(key, path) {
  const run = native(['render', '--event', key, path]);
  assert.equal(run.exit, 0, run.err);
  return JSON.parse(run.out);
}

async function rendersAfter(action) {
  const before = await page.evaluate(() => window.dispatchPreview?.renders ?? 0);
  await action();
  await page.waitForFunction((count) => (window.dispatchPreview?.renders ?? 0) > count, before);
}

async function paste(selector, text) {
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
  await rendersAfter(async () => {
    await page.focus(selector);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Control+V');
  });
}

async function shot(name) {
  await page.screenshot({ path: resolve(artifacts, `preview-${name}.png`), fullPage: true });
}

// Runs `work` with the page `width` pixels wide, then gives it back the suite's 1500 × 1100.
async function atWidth(width, work) {
  await page.setViewportSize({ width, height: width < 800 ? 900 : 1000 });
  try {
    await work();
  } finally {
    await page.setViewportSize({ width: 1500, height: 1100 });
  }
}

// Returns each place where the drawn text of `selector`'s elements wraps onto a new line, as {before, gap,
// after}: the last character drawn on the line, what was not drawn between (a space at the wrap), and the
// first character of the next line.
async function wrapsIn(selector) {
  return page.$$eval(selector, (nodes) => nodes.flatMap((node) => {
    // A new block (a list item, a heading) starts a line of its own: that is no wrap.
    const blockOf = (text) => {
      let element = text.parentElement;
      while (element !== node && getComputedStyle(element).display.startsWith('inline')) element = element.parentElement;
      return element;
    };
    const wraps = [];
    let last = null;
    let gap = '';
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      if (text.nodeName === 'BR') gap += '\n';
      if (text.nodeType !== Node.TEXT_NODE) continue;
      const block = blockOf(text);
      if (last && last.block !== block) last = null;
      for (const [i, char] of [...text.data].entries()) {
        const start = [...text.data].slice(0, i).join('').length;
        const range = document.createRange();
        range.setStart(text, start);
        range.setEnd(text, start + char.length);
        const rect = range.getClientRects()[0];
        if (!rect || rect.width === 0 || char === '\n') {
          gap += char;
          continue;
        }
        if (last && rect.top > last.top + 4) wraps.push({ before: last.char, gap, after: char });
        last = { char, top: rect.top, block };
        gap = '';
      }
    }
    return wraps;
  }));
}

// The blocks of text an embed draws, each on lines of its own.
const drawnTexts = '.dc-author-name, .dc-title, .dc-description, .dc-field-name, .dc-field-value, .dc-footer';

// A wrap is where a reader expects one: at a space, or after a "/" or a "-".
function midWord(wraps) {
  return wraps.filter(({ before, gap, after }) => !(/[\s/-]/.test(before) || /\s/.test(gap) || /\s/.test(after)));
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  await ready;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1500, height: 1100 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.base });
  page = await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  page.on('request', (request) => requests.push({ url: request.url(), whileRendering: renderingStarted }));
  await page.goto(`${relay.base}/preview`);
  await page.waitForFunction(() => window.dispatchPreview?.firstRenderMs > 0, null, { timeout: 30_000 });
  renderingStarted = true;
});

after(async () => {
  await browser?.close();
});

test('the page draws its first sample as Discord would, and says how long that took', async (t) => {
  const sample = resolve(root, 'web/samples/push.json');
  const expected = nativeMessage('repo:push', sample);
  assert.equal(await page.textContent('.dc-username'), 'Bitbucket');
  assert.equal(await page.textContent('.dc-title'), expected.embeds[0].title);
  assert.equal(await page.textContent('.dc-author-name'), expected.embeds[0].author.name);
  assert.equal(await page.inputValue('#event-key'), 'repo:push');
  const { firstRenderMs } = await page.evaluate(() => window.dispatchPreview);
  t.diagnostic(`time to first render: ${firstRenderMs.toFixed(0)} ms after navigation start`);
  await shot('wide');
  assert.deepEqual(consoleErrors, []);
});

test(`a pasted shared fixture draws its title and every commit line${haveShared ? '' : ` (${sharedNote})`}`, async () => {
  const path = haveShared ? resolve(fixtures, 'B-AROL-O__ble-testsuite/2023-05-11-120942-webhook-site.json')
    : resolve(root, 'tests/vectors/bodies/push.json');
  const body = readFileSync(path, 'utf8');
  await paste('#payload', body);
  assert.equal(await page.inputValue('#event-key'), 'repo:push');
  assert.match(await page.textContent('#event-status'), /Detected from the payload's shape/);
  const expected = nativeMessage('repo:push', path);
  assert.equal(await page.textContent('.dc-title'), expected.embeds[0].title);
  const drawn = await page.innerText('.dc-description');
  const payload = JSON.parse(body);
  const commits = payload.push.changes.flatMap((change) => change.commits);
  assert.ok(commits.length >= 2);
  for (const commit of commits) {
    const subject = commit.message.split('\n')[0].trim();
    const line = drawn.split('\n').find((text) => text.startsWith(commit.hash.slice(0, 7)));
    assert.ok(line, `no line for ${commit.hash.slice(0, 7)} in:\n${drawn}`);
    assert.ok(line.includes(subject.slice(0, 40)), `${line} lacks "${subject}"`);
  }
  // The commit hashes are links to the commits, as in Discord.
  const links = await page.$$eval('.dc-description a.md-link:has(code)', (anchors) => anchors.map((a) => a.href));
  assert.deepEqual(links.map((href) => href.slice(-40)), commits.map((commit) => commit.hash));
  assert.equal(await page.textContent('#json'), JSON.stringify(expected, null, 2));
  await shot('pasted-fixture');
});

test('a push of several changes is drawn as several embeds, one per change, as dispatch render writes them', async () => {
  const path = haveShared
    ? resolve(fixtures, 'jenkinsci__bitbucket-branch-source-plugin/BitbucketCloudPushEventTest__multipleChangesPayload.json')
    : resolve(root, 'tests/vectors/bodies/push-forced-deleted.json');
  await paste('#payload', readFileSync(path, 'utf8'));
  const expected = nativeMessage('repo:push', path);
  assert.ok(expected.embeds.length >= 2);
  const titles = await page.$$eval('.dc-embed .dc-title', (nodes) => nodes.map((node) => node.textContent));
  assert.deepEqual(titles, expected.embeds.map((embed) => embed.title));
  await shot('several-embeds');
});

test('a file dropped on the payload is read as its exact bytes', async () => {
  await rendersAfter(() => page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['{"push":{"changes":[]},"repository":{"full_name":"acme/dropped"}}\r\n'], 'body.json'));
    document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
  }));
  assert.match(await page.textContent('#payload-status'), /^67 bytes · exact bytes of the file/);
  assert.equal(await page.textContent('.dc-title'), '[acme/dropped] Push');
});

test('a shape Bitbucket sends for several events offers them, and the choice changes the message', async () => {
  await rendersAfter(() => page.selectOption('#sample', 'pullrequest-comment'));
  const chips = await page.$$eval('#event-status button', (buttons) => buttons.map((b) => b.textContent));
  assert.deepEqual(chips, ['pullrequest:comment_created', 'pullrequest:comment_updated', 'pullrequest:comment_reopened',
    'pullrequest:comment_resolved', 'pullrequest:comment_deleted']);
  await rendersAfter(() => page.click('#event-status button[data-key="pullrequest:comment_updated"]'));
  assert.equal(await page.inputValue('#event-key'), 'pullrequest:comment_updated');
  const expected = nativeMessage('pullrequest:comment_updated', resolve(root, 'web/samples/pullrequest-comment.json'));
  assert.equal(await page.textContent('.dc-title'), expected.embeds[0].title);
});

// The approver's participant entry says whether the approval was given or taken back.
test('an approval whose approver the pull request lists as approved is offered as pullrequest:approved alone', async () => {
  await rendersAfter(() => page.selectOption('#sample', 'pullrequest-approved'));
  const chips = await page.$$eval('#event-status button', (buttons) => buttons.map((b) => b.textContent));
  assert.ok(chips.length <= 1, `offered ${chips.join(', ')}`);
  assert.equal(await page.inputValue('#event-key'), 'pullrequest:approved');
});

test('the endpoint\'s selection decides: pushes only ignores a pull request, all events delivers it', async () => {
  assert.equal(await page.$eval('input[name="mode"]:checked', (radio) => radio.value), 'push');
  await rendersAfter(() => page.selectOption('#sample', 'pullrequest-created'));
  assert.match(await page.textContent('#verdict'), /This endpoint would ignore pullrequest:created/);
  await rendersAfter(() => page.check('input[name="mode"][value="custom"]'));
  await rendersAfter(() => page.check('#custom-events input[value="pullrequest:created"]'));
  assert.match(await page.textContent('#verdict'), /would deliver pullrequest:created/);
  await rendersAfter(() => page.check('input[name="mode"][value="all"]'));
  assert.match(await page.textContent('#verdict'), /would deliver pullrequest:created/);
});

test('the endpoint\'s filters decide too: a branch or an actor they leave out is ignored with the core\'s reason, a push is delivered with the changes that pass', async () => {
  await rendersAfter(() => page.check('input[name="mode"][value="push"]'));
  await rendersAfter(() => page.selectOption('#sample', 'push'));
  const verdict = () => page.textContent('#verdict');
  assert.match(await verdict(), /would deliver repo:push/);

  await rendersAfter(() => page.fill('#filter-branches', 'release/*'));
  assert.equal(await verdict(), 'This endpoint would ignore this repo:push (branch_filtered): branch main matches none of release/*. Bitbucket would get 200 and nothing is posted. The message below is what it would look like.');
  await atWidth(1400, () => shot('filtered-1400'));
  await atWidth(390, async () => {
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
    await shot('filtered-390');
  });

  // A pattern the relay would refuse is marked at its list, by the core's words.
  await rendersAfter(() => page.fill('#filter-branches', 'release/*\n!'));
  assert.equal(await page.textContent('#filter-branches-status'), 'Holds a lone "!" (pattern 2); write the pattern to exclude after it');
  assert.equal(await page.getAttribute('#filter-branches', 'aria-invalid'), 'true');
  assert.match(await verdict(), /^The relay would refuse to save these filters: filters\.branches holds a lone "!"/);

  // Of three changes one passes: delivered with that one alone.
  const [model] = JSON.parse(readFileSync(resolve(root, 'tests/vectors/bodies/push.json'), 'utf8')).push.changes;
  const payload = JSON.parse(readFileSync(resolve(root, 'tests/vectors/bodies/push.json'), 'utf8'));
  payload.push.changes = ['feature/login', 'main', 'release/2.0'].map((name) => ({ ...model, old: { ...model.old, name }, new: { ...model.new, name } }));
  await paste('#payload', JSON.stringify(payload, null, 2));
  await rendersAfter(() => page.fill('#filter-branches', 'main'));
  assert.equal(await page.getAttribute('#filter-branches', 'aria-invalid'), 'false');
  assert.equal(await verdict(), 'This endpoint would deliver repo:push with 1 of its 3 changes: the others do not pass the filters (branch feature/login matches none of main; branch release/2.0 matches none of main). Bitbucket gets 202, and Discord gets the changes that pass, drawn below.');
  // The drawing is what Discord would get: the one change that passes.
  const titles = await page.$$eval('#discord .dc-title', (nodes) => nodes.map((node) => node.textContent));
  assert.deepEqual(titles, ['[acme/relay-api:main] 2 new commits']);
  await shot('filtered-changes');

  // The actor: excluded by a pattern on the display name.
  await rendersAfter(() => page.fill('#filter-branches', ''));
  await rendersAfter(() => page.fill('#filter-actors', '!Zoë*'));
  assert.match(await verdict(), /^This endpoint would ignore this repo:push \(actor_filtered\): actor Zoë \*Ortega\* \[ops\] matches !Zoë\*\./);
  await rendersAfter(() => page.fill('#filter-actors', ''));
  assert.match(await verdict(), /would deliver repo:push: Bitbucket gets 202/);
});

test('with one live thread per pull request, a pull request event is drawn in its forum post under the card', async () => {
  await rendersAfter(() => page.check('input[name="mode"][value="all"]'));
  await rendersAfter(() => page.selectOption('#sample', 'pullrequest-approved'));
  assert.equal(await page.$('.dc-post'), null);
  await rendersAfter(() => page.check('#threads'));
  const sample = JSON.parse(await page.evaluate(() => document.querySelector('#payload').value));
  const expected = `#${sample.pullrequest.id} ${sample.pullrequest.title.split('\n')[0]}`.slice(0, 100);
  assert.equal(await page.textContent('.dc-post-name'), expected);
  // Two messages in the post: the card (titled like the post) and the event.
  const titles = await page.$$eval('.dc-post .dc-title', (nodes) => nodes.map((node) => node.textContent));
  assert.equal(titles.length, 2);
  assert.equal(titles[0], expected);
  assert.match(titles[1], /Pull request approved/);
  assert.match(await page.textContent('#verdict'), new RegExp(`in the pull request's post "${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  await atWidth(1400, () => shot('thread-1400'));
  await atWidth(390, async () => {
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
    await shot('thread-390');
  });
  // A push has no thread: drawn as before.
  await rendersAfter(() => page.selectOption('#sample', 'push'));
  assert.equal(await page.$('.dc-post'), null);
  await rendersAfter(() => page.uncheck('#threads'));
});

test('a broken template is marked at the line and column the core reports', async () => {
  await rendersAfter(() => page.selectOption('#sample', 'push'));
  const template = '{\n  "content": "ok",\n  "embeds": [{"title": "{{#dispatch.commits}}x"}]\n}\n';
  const file = join(scratch, 'broken.json');
  writeFileSync(file, template);
  const check = JSON.parse(native(['template', 'check', file]).out);
  assert.equal(check.line, 3);
  await paste('#template', template);
  const status = await page.textContent('#template-status');
  assert.ok(status.includes(`Line ${check.line}, column ${check.column}: ${check.reason}`), status);
  assert.equal(await page.getAttribute('#template', 'aria-invalid'), 'true');
  assert.equal(await page.textContent('#template-gutter .error-line'), String(check.line));
  assert.match(await page.textContent('#verdict'), /falls back to the auto-formatted embed/);
  await page.click('#template-status button');
  const caret = await page.evaluate(() => {
    const area = document.getElementById('template');
    const before = area.value.slice(0, area.selectionStart).split('\n');
    return { line: before.length, column: before.at(-1).length + 1, focused: document.activeElement === area };
  });
  assert.deepEqual(caret, { line: check.line, column: check.column, focused: true });
  await shot('template-error');

  // Mended, the template's own message is drawn, and what the limits cut is listed and marked.
  await paste('#template', `{"embeds": [{"title": "{{dispatch.repository}} ${'x'.repeat(300)}", "color": "{{dispatch.color}}"}]}`);
  assert.equal(await page.textContent('#template-status'), 'The template renders.');
  assert.match(await page.textContent('#budget .cuts'), /Cut to fit \(1\)[\s\S]*embeds\[0\]\.title was 315 characters; Discord takes 256/);
  assert.equal(await page.$$eval('.dc-title.dc-cut .dc-cut-badge', (nodes) => nodes.length), 1);
  await shot('template-cut');
  await rendersAfter(() => page.click('#template-clear'));
});

test('a valid template that says nothing for some of the selected events is marked with the core\'s warnings', async () => {
  if (!(await page.isChecked('input[name="mode"][value="all"]'))) await rendersAfter(() => page.check('input[name="mode"][value="all"]'));
  await paste('#template', '{"content": "{{dispatch.actor}} pushed {{dispatch.commit_count}} commits {{dispatch.nonexistant}}"}');
  const status = await page.textContent('#template-status');
  assert.match(status, /The template renders, with 2 warnings:/);
  assert.match(status, /\{\{dispatch\.commit_count\}\} says nothing for pullrequest:created/);
  assert.match(status, /\{\{dispatch\.nonexistant\}\} is in no sample payload/);
  await shot('template-warnings');
  // Written for pushes and chosen for pushes only, there is nothing to say.
  await rendersAfter(() => page.check('input[name="mode"][value="push"]'));
  await paste('#template', '{"content": "{{dispatch.actor}} pushed {{dispatch.commit_count}} commits"}');
  assert.equal(await page.textContent('#template-status'), 'The template renders.');
  await rendersAfter(() => page.click('#template-clear'));
});

test(`the signature checker: the shared signed vector is valid, one character changed is not${haveShared ? '' : ` (${sharedNote})`}`, async () => {
  const vector = haveShared
    ? { path: resolve(fixtures, 'jenkinsci__bitbucket-branch-source-plugin/impl_webhook_cloud__signed_payload.json'),
      secret: 'Gkvl$k$wyNpQAF42', header: 'sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035' }
    : { path: resolve(root, 'tests/vectors/bodies/push.json'), secret: 'relay-demo-secret',
      header: 'sha256=81ee956f373f07aa7ceab0e0e70981ab317420fd717606aadb9ee59e02b783a3' };
  await rendersAfter(() => page.setInputFiles('#file', vector.path));
  assert.match(await page.textContent('#payload-status'), /exact bytes of the file/);
  await page.fill('#secret', vector.secret);
  await page.fill('#signature', vector.header);
  assert.match(await page.textContent('#checker-result'), /^Valid: the signature matches these \d+ bytes/);
  await shot('signature-valid');

  const changed = vector.header.slice(0, -1) + (vector.header.endsWith('5') ? '6' : '5');
  await page.fill('#signature', changed);
  assert.match(await page.textContent('#checker-result'), /^Not valid \(signature_mismatch\)/);
  assert.ok(!(await page.textContent('#checker-result')).includes(vector.header.slice(7)), 'the answer must not show the expected signature');

  // One character more in the body: also refused, with the likely cause named.
  await page.fill('#signature', vector.header);
  await rendersAfter(async () => {
    await page.focus('#payload');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n');
  });
  assert.match(await page.textContent('#checker-result'),
    /^Not valid \(signature_mismatch\).*It would match the payload without its final newline/);
  await page.fill('#secret', '');
  await page.fill('#signature', '');
});

test('no request left the page while it rendered, and none ever went past its own origin', async () => {
  const during = requests.filter((request) => request.whileRendering);
  assert.deepEqual(during, []);
  const origins = new Set(requests.map((request) => new URL(request.url).origin));
  assert.deepEqual([...origins], [relay.base]);
  const paths = requests.map((request) => new URL(request.url).pathname).sort();
  assert.deepEqual(paths, ['/core.mjs', '/discord-markdown.mjs', '/discord-view.mjs', '/dispatch.wasm', '/filter-patterns.mjs',
    '/limits.mjs', '/page-core.mjs', '/preview', '/preview.css', '/preview.mjs', '/samples.json', '/site-header.mjs', '/template-editor.mjs']);
  assert.deepEqual(consoleErrors, []);
});

test('every control has a name, the keyboard reaches the inputs, and a phone-sized screen does not scroll sideways', async () => {
  const unnamed = await page.$$eval('input, select, textarea, button', (controls) => controls
    .filter((c) => !(c.labels?.length || c.getAttribute('aria-label') || c.textContent.trim()))
    .map((c) => c.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, []);
  await page.evaluate(() => document.activeElement?.blur());
  const reached = [];
  // The skip link, the shared header's brand and two pages, then the inputs.
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
  }
  assert.ok(reached.includes('payload'), `Tab reached ${reached.join(', ')}`);
  // Tab indents in the template editor; Escape, then Tab, moves on.
  await page.focus('#template');
  await page.keyboard.press('Tab');
  assert.equal(await page.inputValue('#template'), '  ');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  assert.notEqual(await page.evaluate(() => document.activeElement.id), 'template');
  assert.equal(await page.inputValue('#template'), '  ');
  await rendersAfter(() => page.click('#template-clear'));

  await page.setViewportSize({ width: 390, height: 900 });
  await rendersAfter(() => page.selectOption('#sample', 'pullrequest-created'));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0);
  await shot('narrow');
  await page.setViewportSize({ width: 1500, height: 1100 });
});

test('an unparsable body shows its error alone: no Discord card, no limits, no JSON body, no timing', async () => {
  await rendersAfter(() => page.selectOption('#sample', 'push'));
  await paste('#payload', '{"push": {"changes": [');
  assert.match(await page.textContent('#verdict'), /^Bitbucket would get 400 for this body: /);
  assert.match(await page.textContent('#payload-status'), /line 1, column/);
  assert.equal(await page.isVisible('#discord'), false, 'the Discord card is drawn');
  assert.equal(await page.isVisible('#json'), false, 'the JSON body is shown');
  assert.equal(await page.isVisible('#budget'), false, 'the limits are shown');
  assert.equal(await page.isVisible('#timing'), false, 'the timing is shown');
  await shot('unparsable-1500');
  await atWidth(1400, () => shot('unparsable-1400'));
  await atWidth(390, async () => {
    // The error is right under the payload: no link to a message that is not there.
    assert.equal(await page.isVisible('a.jump'), false);
    await shot('unparsable-390');
  });

  // A body that renders again brings them all back.
  await rendersAfter(() => page.selectOption('#sample', 'push'));
  for (const selector of ['#discord', '#json', '#budget', '#timing']) assert.ok(await page.isVisible(selector), selector);
});

test('the page never wraps a reason of the core in a second pair of parentheses', async () => {
  // Every sample with a verdict of delivery, so that no reason is left out.
  if (!(await page.isChecked('input[name="mode"][value="all"]'))) await rendersAfter(() => page.check('input[name="mode"][value="all"]'));
  const samples = await page.$$eval('#sample option', (options) => options.map((option) => option.value).filter(Boolean));
  for (const sample of samples) {
    await rendersAfter(() => page.selectOption('#sample', sample));
    const texts = await page.$$eval('header, main .status, main .verdict, main .hint, main h2, main h3, main label, main legend',
      (nodes) => nodes.map((node) => node.innerText));
    for (const text of texts) assert.doesNotMatch(text, /\)\)|\(\(/, `${sample}: ${text}`);
  }
  await rendersAfter(() => page.selectOption('#sample', 'pullrequest-created'));
  assert.match(await page.textContent('#event-status'),
    /^Bitbucket sends this shape for 3 events: pullrequest in state OPEN \(opened, updated and new commits look alike\)\. Showing pullrequest:created; pick the one it came with:/);
});

test('on a phone-sized screen a link under the payload jumps to the message; on a wide one there is none', async () => {
  await rendersAfter(() => page.selectOption('#sample', 'push'));
  await atWidth(1400, async () => assert.equal(await page.isVisible('a.jump'), false));
  await atWidth(390, async () => {
    assert.ok(await page.$('a.jump'), 'no link to the message');
    assert.equal(await page.textContent('a.jump'), 'See the message ↓');
    const below = await page.$eval('#output', (output) => output.getBoundingClientRect().top);
    assert.ok(below > 900, `the message already starts at ${below} px`);
    const link = await page.$eval('a.jump', (a) => a.getBoundingClientRect().bottom);
    assert.ok(link < 900, `the link is below the first screen, at ${link} px`);
    await page.click('a.jump');
    await page.waitForFunction(() => Math.abs(document.getElementById('output').getBoundingClientRect().top) < 40);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'output');
    await page.evaluate(() => window.scrollTo(0, 0));
  });
});

test('Discord\'s 520 px embed at 1400 px; inline fields three to a row there, one to a row on a phone, wrapping between words', async () => {
  const fields = [
    { name: 'Branch', value: '`{{dispatch.branch}}`', inline: true },
    { name: 'Commits', value: '{{#dispatch.commits}}{{short_hash}} {{/dispatch.commits}}', inline: true },
    { name: 'Pushed by', value: '{{dispatch.actor}}', inline: true },
  ];
  const template = JSON.stringify({ embeds: [{ title: '{{dispatch.label}} on {{dispatch.branch}}', color: '{{dispatch.color}}', fields }] }, null, 2);
  const body = JSON.parse(readFileSync(resolve(root, 'web/samples/push.json'), 'utf8'));
  body.push.changes[0].new.name = 'feature/PROJ-1234-retry-window-backoff';
  const bodyFile = join(scratch, 'push-branch.json');
  writeFileSync(bodyFile, JSON.stringify(body, null, 2));
  const templateFile = join(scratch, 'fields.json');
  writeFileSync(templateFile, template);
  const expected = JSON.parse(native(['render', '--event', 'repo:push', '--template', templateFile, bodyFile]).out);

  await paste('#payload', JSON.stringify(body, null, 2));
  await paste('#template', template);
  assert.equal(await page.textContent('.dc-field-value'), expected.embeds[0].fields[0].value.replaceAll('`', ''));
  const layout = () => page.$$eval('.dc-field', (nodes) => nodes.map((node) => {
    const box = node.getBoundingClientRect();
    return { top: Math.round(box.top), width: box.width, row: node.parentElement.getBoundingClientRect().width };
  }));
  await atWidth(1400, async () => {
    assert.ok(Math.abs(await page.$eval('.dc-embed', (embed) => embed.getBoundingClientRect().width) - 520) < 1);
    const drawn = await layout();
    assert.equal(new Set(drawn.map((field) => field.top)).size, 1, 'three inline fields share a row');
    assert.deepEqual(midWord(await wrapsIn(drawnTexts)), []);
    await shot('push-fields-1400');
  });
  await atWidth(390, async () => {
    const drawn = await layout();
    assert.equal(new Set(drawn.map((field) => field.top)).size, 3, 'each inline field has a row');
    for (const field of drawn) assert.equal(field.width, field.row);
    assert.deepEqual(midWord(await wrapsIn(drawnTexts)), []);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
    await shot('push-fields-390');
  });
  await rendersAfter(() => page.click('#template-clear'));

  await rendersAfter(() => page.selectOption('#sample', 'pullrequest-created'));
  for (const width of [1400, 390]) {
    await atWidth(width, async () => {
      assert.deepEqual(midWord(await wrapsIn(drawnTexts)), []);
      await shot(`pullrequest-${width}`);
    });
  }
});

test('time to first render over five fresh loads (recorded, not judged)', async (t) => {
  const loads = [];
  const rerenders = [];
  for (let i = 0; i < 5; i += 1) {
    const fresh = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    await fresh.goto(`${relay.base}/preview`);
    await fresh.waitForFunction(() => window.dispatchPreview?.firstRenderMs > 0, null, { timeout: 30_000 });
    loads.push(await fresh.evaluate(() => window.dispatchPreview));
    // Then what one edit costs: a character typed into the payload, re-detected and re-rendered.
    await fresh.focus('#payload');
    for (let k = 0; k < 4; k += 1) {
      const count = await fresh.evaluate(() => window.dispatchPreview.renders);
      await fresh.keyboard.type(' ');
      await fresh.waitForFunction((n) => window.dispatchPreview.renders > n, count);
      rerenders.push(await fresh.evaluate(() => window.dispatchPreview.lastRenderMs));
    }
    await fresh.close();
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const summary = {
    firstRenderMs: loads.map((load) => Math.round(load.firstRenderMs)),
    coreReadyMs: loads.map((load) => Math.round(load.coreReadyMs)),
    medianFirstRenderMs: Math.round(median(loads.map((load) => load.firstRenderMs))),
    medianRerenderMs: Number(median(rerenders).toFixed(2)),
    wasmBytes: readFileSync(resolve(root, 'build/site/dispatch.wasm')).length,
  };
  writeFileSync(resolve(artifacts, 'preview-timing.json'), `${JSON.stringify(summary, null, 2)}\n`);
  t.diagnostic(`time to first render (ms after navigation start, 5 loads): ${summary.firstRenderMs.join(', ')}; ` +
    `median ${summary.medianFirstRenderMs}; core ready at ${summary.coreReadyMs.join(', ')}; ` +
    `one edit re-rendered in ${summary.medianRerenderMs} ms (median of ${rerenders.length})`);
  assert.ok(loads.every((load) => Number.isFinite(load.firstRenderMs) && load.firstRenderMs > 0));
  assert.ok(existsSync(resolve(artifacts, 'preview-wide.png')));
});
