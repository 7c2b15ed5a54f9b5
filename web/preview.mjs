// The payload preview page: loads the relay's own wasm core and recomputes everything on each edit, in
// this browser. The only requests are the page's own files at load (the core, the modules, the samples).
// Over 400 lines: one page whose controls all feed one update; its pieces share the page's state.

import { drawMessage } from '/discord-view.mjs';
import {
  filterKinds, filtersFrom, listPlaceholder, listReason, patternsFrom, spacedPattern,
} from '/filter-patterns.mjs';
import { sizeInWords } from '/limits.mjs';
import { eventName, groupByCategory, loadCore, loadSamples, onNextFrame } from '/page-core.mjs';
import { siteHeader } from '/site-header.mjs';
import { positionButton, starterTemplate, templateEditor, warningList } from '/template-editor.mjs';

// An element of preview.html by its id: the inputs, selects and textareas the page reads are all HTMLInputElement's
// members it uses (value, checked, files), so it is typed as one.
const $ = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
siteHeader($('app-bar'), '/preview');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const modeWords = { push: 'pushes only', all: 'all events', custom: 'a list of chosen events' };

// Everything the page shows is derived from this, in update().
const state = {
  bytes: new Uint8Array(0),
  origin: 'empty', // 'sample', 'file' (exact bytes), 'typed'
  detection: null,
  key: '',
  keyPinned: false, // chosen by the user or the sample; kept while the payload's shape still fits it
  custom: new Set(['repo:push']),
  renders: 0,
  firstRenderMs: null,
};

let core;
let samples;
let coreReadyMs;
let catalogue;
let editor;
const schedule = onNextFrame(() => update()); // updates at most once a frame, however fast the edits come

await startPreview();

async function startPreview() {
  [core, samples] = await Promise.all([loadCore(), loadSamples()]);
  coreReadyMs = performance.now();
  catalogue = core.events();
  buildEventControls();
  buildFilterControls();
  buildSampleMenu();
  wireInputs();
  choosePayload(encoder.encode(samples[0]?.body ?? ''), 'sample', samples[0]?.event);
  $('sample').value = samples[0]?.id ?? '';
}

function buildSampleMenu() {
  for (const sample of samples) $('sample').append(new Option(`${sample.label} (${sample.event})`, sample.id));
}

function buildEventControls() {
  const select = $('event-key');
  const box = $('custom-events');
  for (const [category, events] of groupByCategory(catalogue)) {
    const group = document.createElement('optgroup');
    group.label = category;
    for (const event of events) group.append(new Option(`${event.key} · ${eventName(event)}`, event.key));
    select.append(group);

    const set = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = category;
    set.append(legend);
    for (const event of events) {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = event.key;
      box.checked = state.custom.has(event.key);
      label.append(box, ` ${eventName(event)} `);
      const code = document.createElement('code');
      code.textContent = event.key;
      label.append(code);
      label.title = event.description;
      set.append(label);
    }
    box.append(set);
  }
}

// The filters' three lists, as the Sources page has them: one pattern per line, with examples.
function buildFilterControls() {
  for (const kind of filterKinds) {
    const id = `filter-${kind.member}`;
    const box = document.createElement('div');
    box.className = 'filter-list';
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = kind.label;
    const area = document.createElement('textarea');
    area.id = id;
    area.rows = 2;
    area.spellcheck = false;
    area.autocomplete = 'off';
    area.wrap = 'off';
    area.dataset.member = kind.member;
    area.placeholder = listPlaceholder(kind);
    area.setAttribute('aria-describedby', `${id}-hint ${id}-status`);
    const hint = document.createElement('p');
    hint.id = `${id}-hint`;
    hint.className = 'hint';
    hint.append('e.g.');
    for (const example of kind.examples) {
      const code = document.createElement('code');
      code.textContent = example;
      hint.append(' ', code);
    }
    const status = document.createElement('div');
    status.id = `${id}-status`;
    status.className = 'status';
    status.setAttribute('aria-live', 'polite');
    box.append(label, area, hint, status);
    $('filter-lists').append(box);
  }
}

function wireInputs() {
  $('filters').addEventListener('input', schedule);
  $('threads').addEventListener('change', schedule);
  $('payload').addEventListener('input', () => {
    state.bytes = encoder.encode($('payload').value);
    state.origin = 'typed';
    $('sample').value = '';
    payloadChanged();
  });
  $('sample').addEventListener('change', () => {
    const sample = samples.find((s) => s.id === $('sample').value);
    if (sample) choosePayload(encoder.encode(sample.body), 'sample', sample.event);
  });
  $('file').addEventListener('change', () => {
    if ($('file').files[0]) openFile($('file').files[0]);
    $('file').value = '';
  });
  const zone = $('dropzone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const file = event.dataTransfer?.files?.[0];
    if (file) openFile(file);
  });
  $('event-key').addEventListener('change', () => {
    state.key = $('event-key').value;
    state.keyPinned = true;
    schedule();
  });
  $('event-status').addEventListener('click', (event) => {
    const key = /** @type {HTMLElement} */ (event.target).closest('button[data-key]')?.getAttribute('data-key');
    if (!key) return;
    state.key = key;
    state.keyPinned = true;
    schedule();
  });
  $('selection').addEventListener('change', (event) => {
    const target = /** @type {HTMLInputElement} */ (event.target);
    if (target.type === 'checkbox') {
      if (target.checked) state.custom.add(target.value);
      else state.custom.delete(target.value);
    }
    $('custom-events').hidden = selectedMode() !== 'custom';
    schedule();
  });
  const template = $('template');
  editor = templateEditor({ area: template, gutter: $('template-gutter'), box: $('template-editor'), onEdit: schedule });
  $('template-starter').addEventListener('click', () => {
    template.value = starterTemplate();
    template.focus();
    schedule();
  });
  $('template-clear').addEventListener('click', () => {
    template.value = '';
    schedule();
  });
  for (const id of ['secret', 'signature']) $(id).addEventListener('input', checkSignature);
  $('checker-form').addEventListener('submit', (event) => event.preventDefault());
  $('copy-json').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('json').textContent);
      $('copy-status').textContent = 'Copied.';
    } catch {
      $('copy-status').textContent = 'The browser refused the clipboard: select the text instead.';
    }
  });
}

async function openFile(file) {
  const maxBodyBytes = core.limits().max_body_bytes;
  if (file.size > maxBodyBytes) {
    setStatus($('payload-status'), 'error', `${file.name} is ${file.size.toLocaleString()} bytes; the relay refuses bodies over ${sizeInWords(maxBodyBytes)} (Bitbucket sends at most 256 KB).`);
    return;
  }
  choosePayload(new Uint8Array(await file.arrayBuffer()), 'file');
  $('sample').value = '';
}

function choosePayload(bytes, origin, key) {
  state.bytes = bytes;
  state.origin = origin;
  $('payload').value = decoder.decode(bytes);
  $('payload').scrollTop = 0; // a new payload is read from its start, not where the last one was left
  if (key) {
    state.key = key;
    state.keyPinned = true;
  }
  payloadChanged();
}

function payloadChanged() {
  state.detection = null;
  schedule();
}

function selectedMode() {
  return /** @type {HTMLInputElement} */ (document.querySelector('input[name="mode"]:checked')).value;
}

// Recomputes every output from the inputs: detection, the message, the verdict, the budget, the checker.
function update() {
  const started = performance.now();
  if (state.detection === null) {
    state.detection = state.bytes.length ? core.detect(state.bytes) : null;
    const keys = state.detection?.keys ?? [];
    if (keys.length && !(state.keyPinned && keys.includes(state.key))) {
      state.key = keys[0];
      state.keyPinned = false;
    }
  }
  if (!state.key) state.key = catalogue[0].key;
  $('event-key').value = state.key;

  const source = $('template').value;
  const useTemplate = source.trim() !== '';
  // With filters, a push is drawn with the changes that pass them: what Discord would get.
  const { filters, fault } = readFilters();
  const options = { budget: true, thread: $('threads').checked, ...(filters && !fault ? { filters } : {}) };
  const answer = state.bytes.length ? core.render(state.key, state.bytes, useTemplate ? source : undefined, options) : null;
  const templateFailed = answer && answer.code.startsWith('template_');
  // A delivery whose template fails falls back to the auto-formatted embed: show what would really be sent.
  const shown = templateFailed ? core.render(state.key, state.bytes, undefined, options) : answer;

  showPayloadStatus(shown);
  showEventStatus();
  showTemplateStatus(useTemplate, templateFailed ? answer : null, source);
  showVerdict(shown, templateFailed, { filters, fault });
  showMessage(shown);
  checkSignature();

  const elapsed = performance.now() - started;
  state.renders += 1;
  if (state.firstRenderMs === null && shown?.code === 'rendered') state.firstRenderMs = performance.now();
  $('timing').hidden = shown?.code !== 'rendered';
  $('timing').textContent = `Rendered in ${elapsed.toFixed(1)} ms` +
    (state.firstRenderMs === null ? '' : ` · first render ${Math.round(state.firstRenderMs)} ms after the page was requested`);
  window.dispatchPreview = { renders: state.renders, coreReadyMs, firstRenderMs: state.firstRenderMs, lastRenderMs: elapsed };
  document.documentElement.dataset.renders = String(state.renders);
}

function showPayloadStatus(answer) {
  const status = $('payload-status');
  if (!state.bytes.length) return setStatus(status, 'info', 'No payload yet.');
  const size = `${state.bytes.length.toLocaleString()} bytes`;
  const exact = state.origin === 'file' ? ' · exact bytes of the file' : '';
  if (answer && answer.code.startsWith('body_')) {
    return setStatus(status, 'error', answer.reason, positionButton($('payload'), answer));
  }
  setStatus(status, 'ok', `${size}${exact} · valid JSON`);
}

function showEventStatus() {
  const status = $('event-status');
  status.replaceChildren();
  const detection = state.detection;
  if (!detection || detection.code.startsWith('body_')) return;
  if (detection.code === 'shape_unknown') {
    setStatus(status, 'warn', `${detection.reason}.`);
    return;
  }
  const { keys, basis } = detection;
  // The core's basis may hold parentheses of its own: it follows a colon rather than going inside more.
  const line = document.createElement('p');
  if (keys.length === 1) {
    line.textContent = keys[0] === state.key
      ? `Detected from the payload's shape: ${basis}.`
      : `This payload looks like ${keys[0]}, from its shape: ${basis}. You chose ${state.key}.`;
    status.className = `status ${keys[0] === state.key ? 'ok' : 'warn'}`;
    status.append(line);
    return;
  }
  line.textContent = `Bitbucket sends this shape for ${keys.length} events: ${basis}. ${keys.includes(state.key) ? 'Showing' : 'You chose'} ${state.key}; pick the one it came with:`;
  status.className = `status ${keys.includes(state.key) ? 'info' : 'warn'}`;
  const choices = document.createElement('div');
  choices.className = 'chips';
  for (const key of keys) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.key = key;
    button.textContent = key;
    button.setAttribute('aria-pressed', String(key === state.key));
    choices.append(button);
  }
  status.append(line, choices);
}

function showTemplateStatus(useTemplate, failure, source) {
  const status = $('template-status');
  editor.mark(failure);
  if (!useTemplate) return setStatus(status, 'info', 'No template: the auto-formatted embed is sent.');
  if (!failure) {
    // Valid is not the same as right: the core checks the names against the samples of the selected events.
    const events = selectedMode() === 'custom' ? { mode: 'custom', custom: [...state.custom] } : { mode: selectedMode() };
    const checked = events.mode === 'custom' && events.custom.length === 0 ? null
      : core.templateWarnings({ events, template: source }, samples.map(({ event, body }) => ({ event, body })));
    const list = warningList(checked?.warnings);
    if (!list) return setStatus(status, 'ok', 'The template renders.');
    const count = checked.warnings.length;
    return setStatus(status, 'warn', `The template renders, with ${count} warning${count === 1 ? '' : 's'}:`, list);
  }
  const where = failure.line ? `Line ${failure.line}, column ${failure.column}: ` : '';
  setStatus(status, 'error', `${where}${failure.reason}`, positionButton($('template'), failure));
}

// Reads the filters' lists and has the core check them; marks a fault at the list it names. Returns
// {filters (null: none), fault (null, or the core's {field, reason})}.
function readFilters() {
  const texts = Object.fromEntries(filterKinds.map(({ member }) => [member, $(`filter-${member}`).value]));
  const filters = filtersFrom(texts);
  let fault = null;
  if (filters) {
    const answer = core.filterCheck(filters, {});
    if (answer.code === 'endpoint_invalid') fault = { field: answer.field ?? 'filters', reason: answer.reason };
  }
  for (const { member } of filterKinds) {
    const area = $(`filter-${member}`);
    const status = $(`filter-${member}-status`);
    const mine = fault && (fault.field === `filters.${member}` || (fault.field === 'filters' && member === 'branches'));
    const spaced = spacedPattern(member, patternsFrom(area.value));
    area.setAttribute('aria-invalid', String(Boolean(mine)));
    if (mine) setStatus(status, 'error', listReason(fault.reason));
    else if (spaced) setStatus(status, 'warn', spaced);
    else {
      status.className = 'status';
      status.replaceChildren();
    }
  }
  return { filters, fault };
}

// `filters` and `fault` as readFilters gave them for this update.
function showVerdict(answer, templateFailed, { filters, fault }) {
  const verdict = $('verdict');
  verdict.replaceChildren();
  if (!answer) return setStatus(verdict, 'info', 'Paste a payload, open a file or pick a sample to see its message.');
  if (answer.code !== 'rendered') return setStatus(verdict, 'error', `Bitbucket would get 400 for this body: ${answer.reason}.`);
  const events = selectedMode() === 'custom' ? { mode: 'custom', custom: [...state.custom] } : { mode: selectedMode() };
  if (events.mode === 'custom' && events.custom.length === 0) {
    return setStatus(verdict, 'warn', 'Choose at least one event for the endpoint.');
  }
  if (fault) return setStatus(verdict, 'error', `The relay would refuse to save these filters: ${fault.reason}.`);
  const outcome = core.selects(filters ? { events, filters } : { events }, state.key, state.bytes);
  if (outcome.code === 'event_not_selected') {
    return setStatus(verdict, 'warn', `This endpoint would ignore ${state.key}: it selected ${modeWords[events.mode]}, and ${state.key} is not among them. Bitbucket would get 200 and nothing is posted. The message below is what it would look like.`);
  }
  if (outcome.code === 'branch_filtered' || outcome.code === 'actor_filtered') {
    return setStatus(verdict, 'warn', `This endpoint would ignore this ${state.key} (${outcome.code}): ${outcome.reason}. Bitbucket would get 200 and nothing is posted. The message below is what it would look like.`);
  }
  if (outcome.code !== 'selected') return setStatus(verdict, 'error', `${outcome.reason}.`);
  const fallback = templateFailed ? ' The template fails, so the relay falls back to the auto-formatted embed shown here.' : '';
  // A push of which only some changes pass is delivered with those alone, and drawn so below.
  if (outcome.changes) {
    const { kept, total } = outcome.changes;
    return setStatus(verdict, 'warn', `This endpoint would deliver ${state.key} with ${kept} of its ${total} changes: the others do not pass the filters (${outcome.left_out}). Bitbucket gets 202, and Discord gets the changes that pass, drawn below.${fallback}`);
  }
  const place = answer.thread ? ` in the pull request's post "${answer.thread.name}", whose card is edited to the state below` : ' below';
  setStatus(verdict, templateFailed ? 'warn' : 'ok', `This endpoint would deliver ${state.key}: Bitbucket gets 202 and Discord gets the message${place}.${fallback}`);
}

// Without a message (no payload, or one the relay refuses) only the verdict is left: no card, no limits,
// no JSON body.
function showMessage(answer) {
  const discord = $('discord');
  discord.replaceChildren();
  const json = $('json');
  const rendered = answer?.code === 'rendered';
  discord.hidden = !rendered;
  $('details').hidden = !rendered;
  $('jump').hidden = !rendered; // the payload's own status, right above it, already says what is wrong
  if (!rendered) {
    json.textContent = '';
    $('budget').replaceChildren();
    return;
  }
  if (answer.thread) {
    drawThread(discord, answer);
  } else {
    drawMessage(discord, answer.message, { cuts: answer.cuts ?? [] });
  }
  json.textContent = JSON.stringify(answer.message, null, 2);
  showBudget(answer.budget ?? [], answer.cuts ?? []);
}

// A pull request event with threads on, as a forum channel shows it: the post (its name, its first message the
// card, in the pull request's current state), then this event's message inside it.
function drawThread(discord, answer) {
  const { thread } = answer;
  const post = document.createElement('div');
  post.className = 'dc-post';
  const name = document.createElement('h3');
  name.className = 'dc-post-name';
  name.textContent = thread.name;
  const about = document.createElement('p');
  about.className = 'dc-post-about';
  about.textContent = `Forum post · the first message is the card, edited in place as the pull request moves (now ${thread.state.toLowerCase()})`;
  post.append(name, about);
  drawMessage(post, thread.card);
  const inside = document.createElement('p');
  inside.className = 'dc-post-divider';
  inside.textContent = 'This event, posted in the thread';
  post.append(inside);
  drawMessage(post, answer.message, { cuts: answer.cuts ?? [] });
  discord.append(post);
}

// How the core's budget rules read on the page.
const ruleWords = {
  embeds_total: 'All embeds together', content: 'Content', username: 'Username', embeds: 'Embeds', author_name: 'author',
  title: 'title', description: 'description', fields: 'fields', field_name: 'longest field name',
  field_value: 'longest field value', footer_text: 'footer',
};

// Draws the core's budget: how much of each of Discord's limits the message uses.
function showBudget(budget, cuts) {
  const embedCount = budget.find((row) => row.rule === 'embeds')?.used ?? 0;
  const rows = budget.map((row) => {
    const embed = /^embeds\[(\d+)\]/.exec(row.path);
    const prefix = embed && embedCount > 1 ? `Embed ${Number(embed[1]) + 1}: ` : '';
    return { label: `${prefix}${ruleWords[row.rule] ?? row.rule}`, used: row.used, limit: row.allowed, unit: row.unit, main: row.rule === 'embeds_total' };
  });

  const list = document.createElement('ul');
  list.className = 'meters';
  for (const row of rows) {
    const item = document.createElement('li');
    if (row.main) item.className = 'main';
    const share = row.used / row.limit;
    const label = document.createElement('span');
    label.className = 'meter-label';
    label.textContent = row.label;
    const figure = document.createElement('span');
    figure.className = 'meter-figure';
    figure.textContent = `${row.used.toLocaleString()} / ${row.limit.toLocaleString()}`;
    const bar = document.createElement('span');
    bar.className = `meter-bar ${share >= 1 ? 'full' : share >= 0.9 ? 'near' : ''}`;
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', String(row.limit));
    bar.setAttribute('aria-valuenow', String(row.used));
    bar.setAttribute('aria-label', `${row.label}: ${row.used} of ${row.limit} ${row.unit ?? 'characters'}`);
    const fill = document.createElement('span');
    fill.style.width = `${Math.min(100, share * 100)}%`;
    bar.append(fill);
    item.append(label, figure, bar);
    list.append(item);
  }
  const cutList = document.createElement('div');
  cutList.className = 'cuts';
  const heading = document.createElement('h3');
  heading.textContent = cuts.length ? `Cut to fit (${cuts.length})` : 'Nothing was cut to fit.';
  cutList.append(heading);
  if (cuts.length) {
    const items = document.createElement('ol');
    for (const cut of cuts) {
      const item = document.createElement('li');
      item.textContent = `✂ ${cut.reason}`;
      items.append(item);
    }
    cutList.append(items);
  }
  $('budget').replaceChildren(list, cutList);
}


// The checker runs on the payload's bytes as they are now: exact for an opened file, UTF-8 of the text otherwise.
function checkSignature() {
  const result = $('checker-result');
  const secret = $('secret').value;
  const header = $('signature').value;
  if (!secret && !header) return setStatus(result, 'info', 'Enter the secret and the X-Hub-Signature value.');
  const answer = core.verify(secret, header, state.bytes);
  if (answer.code === 'valid') return setStatus(result, 'ok', `Valid: ${answer.reason}.`);
  const hints = [];
  if (answer.code === 'signature_mismatch') {
    for (const [words, bytes, key] of variants(state.bytes, secret)) {
      if (core.verify(key, header, bytes).code === 'valid') hints.push(`It would match ${words}, so the bytes changed on their way here.`);
    }
    if (!hints.length) {
      hints.push(state.origin === 'file'
        ? 'These are the exact bytes of the file: the secret is wrong, or the file is not the body Bitbucket signed.'
        : 'The secret is wrong, or these are not the exact bytes Bitbucket signed: a paste or an editor can change them. Open the saved body as a file to check its exact bytes.');
    }
  }
  setStatus(result, 'error', `Not valid (${answer.code}): ${answer.reason}. ${hints.join(' ')}`);
}

// The usual ways a body or a secret changes between Bitbucket and this page, each with its words.
function variants(bytes, secret) {
  const text = decoder.decode(bytes);
  const out = [];
  if (text.endsWith('\n')) out.push(['the payload without its final newline', encoder.encode(text.replace(/\r?\n$/, '')), secret]);
  else out.push(['the payload with a final newline', encoder.encode(`${text}\n`), secret]);
  if (text.includes('\r\n')) out.push(['the payload with CRLF line ends turned into LF', encoder.encode(text.replaceAll('\r\n', '\n')), secret]);
  else if (text.includes('\n')) out.push(['the payload with CRLF line ends (Windows)', encoder.encode(text.replaceAll('\n', '\r\n')), secret]);
  if (secret.trim() !== secret) out.push(['the secret without its surrounding spaces', bytes, secret.trim()]);
  return out;
}

function setStatus(element, tone, text, extra) {
  element.className = `${element.classList.contains('verdict') ? 'verdict' : 'status'} ${tone}`;
  const line = document.createElement('p');
  line.textContent = text;
  element.replaceChildren(line);
  if (extra) element.append(extra);
}
