// The form fields the connect flow, the hand-made endpoint and a source's settings share: the event
// selection, the filters on branches, tags and actors (checked live by the core), pull request threads, the
// destination (checked as a Discord webhook URL), the optional template and templates for some events, edited
// with the preview's editor and drawn by the preview's Discord view on the relay's own wasm core.
// Over 400 lines: six fields, each a few small pieces (markup, check, wording) that belong together; the form
// that assembles them is sources-form.mjs.

import { drawMessage } from '/discord-view.mjs';
import {
  filterKinds, filtersFrom, listPlaceholder, listReason, patternsFrom, spacedPattern, textFrom,
} from '/filter-patterns.mjs';
import { eventName, groupByCategory, loadCore, loadSamples, onNextFrame } from '/page-core.mjs';
import { positionButton, starterTemplate, templateEditor, warningList } from '/template-editor.mjs';
import { checkDestination } from '/destination.mjs';
import { h, notice, sentence } from '/sources-dom.mjs';

/**
 * The field protocol: every field of an endpoint's form (here, and the name in sources-form.mjs) is one of these.
 * A field takes `onChange` and calls it after each change a person makes.
 * @typedef {object} Field
 * @property {HTMLElement} element what the form places
 * @property {() => any} value the field's part of the endpoint as the API takes it (null or '': none)
 * @property {() => (string | null)} [fault] why the value cannot be saved, in words, or null
 * @property {() => void} [focus] puts the focus where the fault is, or on the field
 * @property {() => void} [showFault] shows the fault at the field itself (after a submit)
 * @property {(problem: {field?: string, reason: string, line?: number, column?: number}) => void} [markFault]
 *   shows a fault the relay reported for the field
 * @property {() => void} [eventsChanged] the event selection changed: a field that depends on it follows
 */

let fieldCount = 0;
const nextId = (prefix) => `${prefix}-${++fieldCount}`;

// One core for every field of the page (the template's drawing, the filters' check, which events a selection
// takes): loaded once, when the first of them is shown; a failed load is tried again by the next field that
// asks. `readyCore` is it once loaded.
let corePromise = null;
let readyCore = null;
function sharedCore() {
  corePromise ??= loadCore().then((core) => (readyCore = core)).catch((error) => {
    corePromise = null;
    throw error;
  });
  return corePromise;
}

// The catalogue's keys a selection ({mode, custom?}) takes, as the core answers it: none before the core has
// loaded (the fields that ask draw again when it has) or for a selection that would not save.
function selectedKeys(selection) {
  const answer = readyCore?.selectedKeys(selection);
  return answer?.code === 'listed' ? answer.keys : [];
}

const modes = [
  ['push', 'Push only', 'Commits pushed, branches and tags created or deleted.'],
  ['all', 'All events', 'Everything Bitbucket sends for the repository: pushes, pull requests, issues, builds, comments.'],
  ['custom', 'Custom', 'Choose the events from the list.'],
];

// Returns the event selection (a Field): Push only, All events, or Custom with
// the catalogue's checkboxes grouped by category, each with its description. `value` is the endpoint's
// events ({mode, custom?}); `onChange` runs after each change.
// With `expanded` false, the categories with nothing chosen start folded.
/** @param {{catalogue: CatalogueEntry[], value?: EventSelection, expanded?: boolean, onChange?: () => void}} options */
export function eventPicker({ catalogue, value = { mode: 'push' }, expanded = true, onChange = () => {} }) {
  const name = nextId('events-mode');
  const chosen = new Set(value.custom ?? (value.mode === 'custom' ? [] : ['repo:push']));
  const status = h('p', { class: 'field-status', 'aria-live': 'polite' });
  const groups = h('div', { class: 'event-groups', hidden: value.mode !== 'custom' });
  const radios = modes.map(([mode, label, hint]) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name, value: mode, checked: (value.mode ?? 'push') === mode }),
    h('span', {}, h('strong', {}, label), h('span', { class: 'hint' }, hint))));

  for (const [category, events] of groupByCategory(catalogue)) {
    const boxes = events.map((event) => h('label', { class: 'event-option' },
      h('input', { type: 'checkbox', value: event.key, checked: chosen.has(event.key) }),
      h('span', {},
        h('span', { class: 'event-label' }, eventName(event)), ' ', h('code', {}, event.key),
        h('span', { class: 'hint' }, event.description))));
    const toggle = h('button', { type: 'button', class: 'link small' }, 'Select all');
    toggle.addEventListener('click', () => {
      const all = boxes.every((box) => box.querySelector('input').checked);
      for (const box of boxes) box.querySelector('input').checked = !all;
      changed();
    });
    const some = events.some((event) => chosen.has(event.key));
    // A category folds when nothing in it is chosen and the whole list is not wanted open (settings).
    groups.append(h('details', { class: 'event-group', open: expanded || some },
      h('summary', {}, h('span', { class: 'category' }, category), ' ', h('span', { class: 'muted tally' })),
      h('div', { class: 'event-group-body', role: 'group', 'aria-label': category }, toggle, h('div', { class: 'event-options' }, boxes))));
  }

  const element = h('fieldset', { class: 'field event-picker' },
    h('legend', {}, 'Events'), h('div', { class: 'choices stacked' }, radios), groups, status);

  const mode = () => element.querySelector(`input[name="${name}"]:checked`).value;
  const picked = () => [...groups.querySelectorAll('input[type="checkbox"]:checked')].map((box) => box.value);
  const syncToggles = () => {
    for (const group of groups.querySelectorAll('.event-group')) {
      const boxes = [...group.querySelectorAll('input[type="checkbox"]')];
      const ticked = boxes.filter((box) => box.checked).length;
      group.querySelector('button').textContent = ticked === boxes.length ? 'Clear all' : 'Select all';
      group.querySelector('.tally').textContent = `${ticked} of ${boxes.length}`;
    }
  };
  function changed() {
    groups.hidden = mode() !== 'custom';
    syncToggles();
    const fault = picker.fault();
    status.className = `field-status ${fault ? 'error' : ''}`;
    status.textContent = fault ?? (mode() === 'custom' ? `${picked().length} of ${catalogue.length} events chosen.` : '');
    onChange();
  }
  element.addEventListener('change', changed);

  const picker = {
    element,
    value: () => (mode() === 'custom' ? { mode: 'custom', custom: picked() } : { mode: mode() }),
    fault: () => (mode() === 'custom' && picked().length === 0 ? 'Choose at least one event.' : null),
    focus: () => element.querySelector('input:checked')?.focus(),
    showFault: () => changed(),
  };
  syncToggles();
  if (value.mode === 'custom') status.textContent = `${picked().length} of ${catalogue.length} events chosen.`;
  return picker;
}

// The destination as the page shows it, by the relay's own rule (shared/destination.mjs): {kind: "empty" |
// "refused" | "discord" | "other", reason}. `local`: the relay allows local destinations (script/server), so
// the Discord stand-in's webhook URLs count as Discord's.
export function destinationCheck(text, { local = false } = {}) {
  const check = checkDestination(text, { ALLOW_LOCAL_DESTINATIONS: local ? 'true' : 'false' });
  switch (check.kind) {
    case 'empty': return { kind: 'empty', reason: 'Paste the Discord channel\'s webhook URL.' };
    case 'refused': return {
      kind: 'refused',
      reason: check.problem === 'is not a URL' ? 'This is not a URL: it should start with https://discord.com/api/webhooks/.' : `This URL ${check.problem}.`,
    };
    case 'discord': {
      const where = check.standIn ? 'The local Discord stand-in\'s webhook' : 'Discord webhook';
      const thread = new URL(text.trim()).searchParams.has('thread_id') ? ', posting in a thread' : '';
      return { kind: 'discord', reason: `${where} ${check.webhook}${thread}.` };
    }
    default: return { kind: 'other', reason: 'This is not a Discord webhook URL. dispatch posts Discord\'s message format; another service may refuse it.' };
  }
}

// Returns the destination field (a Field): the URL, checked by the relay's rule as
// it is typed; a URL that is not a Discord webhook is accepted only once "send to this URL anyway" is ticked.
// With `optional`, an empty field means "keep the current destination"; `local` as for destinationCheck.
export function destinationField({ optional = false, label = 'Discord webhook URL', local = false, onChange = () => {} } = {}) {
  const id = nextId('destination');
  const input = h('input', {
    id, type: 'url', inputmode: 'url', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'https://discord.com/api/webhooks/…', 'aria-describedby': `${id}-hint ${id}-status`,
  });
  const status = h('p', { id: `${id}-status`, class: 'field-status', 'aria-live': 'polite' });
  const anyway = h('input', { type: 'checkbox', id: `${id}-anyway` });
  const anywayLabel = h('label', { class: 'anyway', hidden: true, for: `${id}-anyway` }, anyway,
    ' Not a Discord webhook: send to this URL anyway');
  const element = h('div', { class: 'field destination-field' },
    h('label', { for: id }, label, optional ? h('span', { class: 'optional' }, ' (leave empty to keep the current one)') : null),
    input,
    h('p', { id: `${id}-hint`, class: 'hint' },
      'In Discord: the channel\'s settings → Integrations → Webhooks → New Webhook → Copy Webhook URL. The URL holds the webhook\'s token: dispatch never shows it again.',
      local ? ' This relay runs for local development: the Discord stand-in\'s webhook URL that script/server prints works too.' : null),
    status, anywayLabel);

  let touched = false;
  const field = {
    element,
    value: () => input.value.trim(),
    fault: () => {
      const check = destinationCheck(input.value, { local });
      if (check.kind === 'empty') return optional ? null : check.reason;
      if (check.kind === 'discord') return null;
      if (check.kind === 'other' && anyway.checked) return null;
      return check.kind === 'other' ? `${check.reason} Tick the box below to send to it anyway.` : check.reason;
    },
    focus: () => input.focus(),
    showFault: () => { touched = true; show(); },
  };
  function show() {
    const check = destinationCheck(input.value, { local });
    anywayLabel.hidden = check.kind !== 'other';
    if (check.kind !== 'other') anyway.checked = false;
    const fault = field.fault();
    input.setAttribute('aria-invalid', String(Boolean(fault) && touched));
    if (check.kind === 'discord') {
      status.className = 'field-status ok';
      status.textContent = `✓ ${check.reason}`;
    } else if (check.kind === 'empty' && (optional || !touched)) {
      status.className = 'field-status';
      status.textContent = '';
    } else if (check.kind === 'other' && anyway.checked) {
      status.className = 'field-status warn';
      status.textContent = 'dispatch will POST Discord\'s message format to this URL.';
    } else {
      status.className = `field-status ${touched || check.kind === 'other' ? 'error' : ''}`;
      status.textContent = touched || check.kind === 'other' ? (check.kind === 'other' ? check.reason : fault) : '';
    }
  }
  input.addEventListener('input', () => { show(); onChange(); });
  input.addEventListener('blur', () => { if (input.value) touched = true; show(); });
  anyway.addEventListener('change', () => { show(); onChange(); });
  return field;
}

// Returns the template field (a Field, with ready and eventsChanged()): auto-formatted embeds or a custom
// template in the preview's editor, and the message drawn live for a sample of one of `events()`.
// The preview's modules and the wasm core load the first time the field is shown.
// With `override` {legend, actions}, it is the template of some events only: no choice of auto-formatted
// embeds (an empty one is not kept), `legend` names the events, and `actions` (nodes: a note, the Remove button)
// sit above the editor. `onChange` runs after each edit.
export function templateField({ initial = null, events = () => ({ mode: 'push' }), override = null, onChange = () => {} } = {}) {
  const id = nextId('template');
  const name = `${id}-mode`;
  const source = initial === null || initial === undefined ? '' : typeof initial === 'string' ? initial : JSON.stringify(initial, null, 2);
  const view = templateView({ id, name, source, override });
  const { area, status, sample, drawing, element } = view;

  let shared = null; // {core, samples, editor} once loaded
  let failure = null;
  const schedule = onNextFrame(() => update());
  const custom = () => Boolean(override) || element.querySelector(`input[name="${name}"]:checked`).value === 'custom';
  const setStatus = (tone, text) => {
    status.className = `status ${tone}`;
    status.replaceChildren(h('p', {}, text));
  };

  async function load() {
    const [core, samples] = await Promise.all([sharedCore(), loadSamples()]);
    shared = { core, samples, editor: templateEditor({ area, gutter: view.gutter, box: view.box, onEdit: () => { schedule(); onChange(); } }) };
    fillSamples();
    update();
  }

  // The samples offered are those of the selected events (samplesFor); the one chosen stays when it still is.
  function fillSamples() {
    if (!shared) return;
    const offered = samplesFor(shared.samples, events());
    const keep = sample.value;
    const label = (item) => `${item.label} (${item.event})`;
    sample.replaceChildren(...offered.map((item) => h('option', { value: item.id }, label(item))));
    if (offered.some((item) => item.id === keep)) sample.value = keep;
  }

  function update() {
    view.editorPart.hidden = !custom();
    if (!shared) return;
    const item = shared.samples.find((candidate) => candidate.id === sample.value) ?? shared.samples[0];
    failure = drawTemplate(view, shared, { item, custom: custom(), events: events(), override, setStatus });
    element.dataset.renders = String(Number(element.dataset.renders ?? 0) + 1);
  }

  element.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === name && custom() && area.value.trim() === '' && shared) {
      area.value = starterTemplate();
    }
    schedule();
    if (event.target !== sample) onChange();
  });
  view.starter.addEventListener('click', () => {
    if (!shared) return;
    area.value = starterTemplate();
    area.focus();
    schedule();
    onChange();
  });
  sample.addEventListener('change', schedule);

  const loading = load().catch((error) => {
    drawing.replaceChildren(h('p', { class: 'loading' }, `The preview could not load: ${error.message}`));
  });
  return {
    element,
    ready: loading,
    // The template to save: its text, or null for the auto-formatted embeds.
    value: () => (custom() && area.value.trim() !== '' ? area.value : null),
    fault: () => (failure && custom() ? `The template does not render: ${failure.reason}` : null),
    // Marks a fault the relay reported for the template ({reason, line?, column?}).
    markFault: (fault) => {
      failure = fault;
      shared?.editor.mark(fault);
      const where = fault.line ? `Line ${fault.line}, column ${fault.column}: ` : '';
      setStatus('error', `${where}${fault.reason}`);
      area.focus();
    },
    eventsChanged: () => { fillSamples(); schedule(); },
    focus: () => area.focus(),
  };
}

// The template field's parts: the choice of auto-formatted embeds or an own template (or, with `override`, its
// legend and actions), the editor with its gutter and status, and the drawing with its sample menu.
function templateView({ id, name, source, override }) {
  const area = h('textarea', {
    id, spellcheck: 'false', autocomplete: 'off', rows: '14', wrap: 'off', 'aria-describedby': `${id}-hint ${id}-status`,
    placeholder: '{"content": "{{dispatch.actor}} pushed to {{dispatch.branch}}"}',
  });
  area.value = source;
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const box = h('div', { class: 'editor' }, gutter, area);
  const status = h('div', { id: `${id}-status`, class: 'status', 'aria-live': 'polite' });
  const sample = h('select', { id: `${id}-sample` });
  const drawing = h('div', { class: 'discord', 'aria-live': 'off' }, h('p', { class: 'loading' }, 'Loading the preview…'));
  const starter = h('button', { type: 'button' }, 'Start from an example');
  const editorPart = h('div', { class: 'template-editor', hidden: source === '' && !override },
    h('div', { class: 'group-head' }, h('label', { for: id }, 'Template'), h('div', { class: 'tools' }, starter)),
    box,
    h('p', { id: `${id}-hint`, class: 'hint' },
      'A JSON Discord message whose strings are Mustache over the payload and dispatch.* (event, actor, repository, branch, commits, color, auto). Tab indents; press Esc, then Tab, to move on.'),
    status);
  const element = h('fieldset', { class: `field template-field${override ? ' event-template' : ''}` },
    h('legend', {}, override ? override.legend : 'Message'),
    override ? h('div', { class: 'event-template-actions' }, override.actions) : h('div', { class: 'choices stacked' },
      h('label', { class: 'choice' }, h('input', { type: 'radio', name, value: 'auto', checked: source === '' }),
        h('span', {}, h('strong', {}, 'Auto-formatted embeds'), h('span', { class: 'hint' }, 'dispatch\'s layout for each event: a linked title, the author, the commits or the text, in Bitbucket\'s colours.'))),
      h('label', { class: 'choice' }, h('input', { type: 'radio', name, value: 'custom', checked: source !== '' }),
        h('span', {}, h('strong', {}, 'My own template'), h('span', { class: 'hint' }, 'Write the message yourself; the drawing follows as you type.')))),
    h('div', { class: 'template-grid' },
      editorPart,
      h('div', { class: 'template-preview' },
        h('div', { class: 'group-head' }, h('label', { for: sample.id }, 'Drawn for the sample'), sample),
        drawing)));
  return { area, gutter, box, status, sample, drawing, starter, editorPart, element };
}

// The samples a template is drawn for: those of the selected events, the push first; else those of their
// families (a pull request's payload has one shape whatever happened to it); any sample when none fits.
function samplesFor(samples, selection) {
  const keys = selectedKeys(selection);
  const families = new Set(keys.map((key) => key.split(':')[0]));
  const fits = samples.filter((item) => keys.includes(item.event));
  const kin = samples.filter((item) => families.has(item.event.split(':')[0]));
  return fits.length ? fits : kin.length ? kin : samples;
}

// Renders `item` (a sample) with the template as it stands, says how it went in the field's status and draws
// the message (the auto-formatted one when the template fails, as a delivery would). Returns the core's
// failure of the template, or null.
function drawTemplate({ area, status, drawing }, shared, { item, custom, events, override, setStatus }) {
  const bytes = new TextEncoder().encode(item.body);
  const text = area.value;
  const useTemplate = custom && text.trim() !== '';
  const answer = shared.core.render(item.event, bytes, useTemplate ? text : undefined);
  const failure = useTemplate && answer.code.startsWith('template_') ? answer : null;
  const shown = failure ? shared.core.render(item.event, bytes) : answer;
  shared.editor.mark(failure);
  status.replaceChildren();
  if (!custom) status.className = 'status';
  else if (!useTemplate) setStatus('info', override ? 'Empty: not kept; these events use the message above.' : 'Empty: the auto-formatted embed is sent.');
  else if (failure) {
    const where = failure.line ? `Line ${failure.line}, column ${failure.column}: ` : '';
    setStatus('error', `${where}${failure.reason}. Deliveries would fall back to the auto-formatted embed drawn here.`);
    const go = positionButton(area, failure);
    if (go) status.append(go);
  } else {
    // Valid is not the same as right: the core checks the names against the samples of the chosen events.
    const checked = shared.core.templateWarnings({ events, template: text }, shared.samples.map(({ event, body }) => ({ event, body })));
    const list = warningList(checked.warnings);
    const count = checked.warnings?.length ?? 0;
    if (list) {
      setStatus('warn', `The template renders, with ${count} warning${count === 1 ? '' : 's'}:`);
      status.append(list);
    } else setStatus('ok', 'The template renders.');
  }
  drawing.replaceChildren();
  if (shown.code === 'rendered') drawMessage(drawing, shown.message, { cuts: shown.cuts ?? [] });
  else drawing.append(h('p', { class: 'loading' }, shown.reason));
  return failure;
}

// The events a template selector covers within a selection: "pullrequest:*" is the family's, a key itself.
function coveredKeys(selector, selection) {
  const family = selector.endsWith(':*') ? selector.slice(0, -1) : null;
  return selectedKeys(selection).filter((key) => (family ? key.startsWith(family) : key === selector));
}

// Words for a selector: "Every pull request event (pullrequest:*)", "Pull request merged (pullrequest:fulfilled)".
function selectorWords(selector, catalogue) {
  if (selector.endsWith(':*')) {
    const family = selector.slice(0, -1);
    const category = catalogue.find(({ key }) => key.startsWith(family))?.category ?? family.slice(0, -1);
    return `Every ${category.toLowerCase()} event (${selector})`;
  }
  const event = catalogue.find(({ key }) => key === selector);
  return event ? `${eventName(event)} (${selector})` : selector;
}

// Returns the templates of some events (a Field): one
// editor per selector (an event key, or a family as "pullrequest:*"), added from the selected events and
// removed by a button. The most specific template wins, then the one above. `value` is the endpoint's
// `templates` ({selector: text}) with `keep` (its "default", set through the API) as it was, or null.
export function eventTemplatesField({ initial = null, catalogue, events, keep = {} }) {
  const rows = new Map(); // selector -> {field, showUse}
  const list = h('div', { class: 'event-template-list' });
  const picker = h('select', { 'aria-label': 'Events for another template' });
  const add = h('button', { type: 'button', class: 'secondary' }, 'Add a template');
  const element = h('section', { class: 'field event-templates' },
    h('h3', {}, 'Templates for some events'),
    h('p', { class: 'hint' }, 'A message of its own for an event, or for all of a family\'s: the most specific template wins, then the one above.'),
    list,
    h('div', { class: 'add-row' }, picker, add));

  function addRow(selector, text) {
    const remove = h('button', { type: 'button', class: 'secondary small' }, 'Remove');
    const unused = h('p', { class: 'hint unused', hidden: true }, 'None of the selected events uses it: it is kept, and applies if they are chosen again.');
    const field = templateField({
      initial: text, override: { legend: selectorWords(selector, catalogue), actions: [unused, remove] },
      events: () => ({ mode: 'custom', custom: coveredKeys(selector, events()) }),
    });
    const showUse = () => { unused.hidden = readyCore === null || coveredKeys(selector, events()).length > 0; };
    showUse();
    remove.addEventListener('click', () => {
      rows.delete(selector);
      field.element.remove();
      offer();
    });
    rows.set(selector, { field, showUse });
    list.append(field.element);
    return field;
  }

  // Offers the families and the events of the selection that have no template yet.
  function offer() {
    const chosen = selectedKeys(events());
    const families = [...new Set(chosen.map((key) => `${key.split(':')[0]}:*`))];
    const options = [...families, ...chosen].filter((selector) => !rows.has(selector));
    picker.replaceChildren(...options.map((selector) => h('option', { value: selector }, selectorWords(selector, catalogue))));
    picker.disabled = options.length === 0;
    add.disabled = options.length === 0;
  }

  for (const [selector, text] of Object.entries(initial ?? {})) {
    if (selector !== 'default') addRow(selector, typeof text === 'string' ? text : JSON.stringify(text, null, 2));
  }
  offer();
  // Which events the selection takes is the core's answer: offered again once it has loaded.
  sharedCore().then(() => {
    offer();
    for (const { showUse } of rows.values()) showUse();
  }).catch(() => {});
  add.addEventListener('click', () => {
    if (!picker.value) return;
    const field = addRow(picker.value, starterTemplate());
    offer();
    field.focus();
  });

  const fields = () => [...rows.values()].map(({ field }) => field);
  const filled = () => [...rows].map(([selector, { field }]) => [selector, field]).filter(([, field]) => field.value() !== null);
  return {
    element,
    value: () => {
      const templates = { ...keep, ...Object.fromEntries(filled().map(([selector, field]) => [selector, field.value()])) };
      return Object.keys(templates).length ? templates : null;
    },
    fault: () => filled().map(([, field]) => field.fault()).find(Boolean) ?? null,
    focus: () => (filled().find(([, field]) => field.fault())?.[1] ?? fields()[0])?.focus(),
    // Marks a fault the relay reported for `templates` at the template its reason names.
    markFault: (fault) => {
      const selector = /templates\["([^"]+)"\]/.exec(fault.reason ?? '')?.[1];
      (rows.get(selector)?.field ?? fields()[0])?.markFault(fault);
    },
    eventsChanged: () => {
      offer();
      for (const { field, showUse } of rows.values()) {
        field.eventsChanged();
        showUse();
      }
    },
  };
}

// Shows the first fault among `fields` (each with fault(), focus() and maybe showFault()) in `where`, and puts
// the focus on its field. Returns true when there was one.
export function showFirstFault(fields, where) {
  const field = fields.find((candidate) => candidate.fault());
  if (!field) return false;
  field.showFault?.();
  field.focus();
  where.replaceChildren(notice('error', field.fault()));
  return true;
}

const capital = (word) => word[0].toUpperCase() + word.slice(1);

// One list of a filter (branches, tags or actors) with id `areaId`: its patterns one per line (from
// `initial`), what it applies to, examples that add themselves when clicked, and its status. `changed()` runs
// after an example is added.
function filterList(kind, areaId, initial, changed) {
  const area = h('textarea', {
    id: areaId, rows: '3', spellcheck: 'false', autocomplete: 'off', wrap: 'off',
    placeholder: listPlaceholder(kind), 'aria-describedby': `${areaId}-hint ${areaId}-status`,
  });
  area.value = textFrom(initial?.[kind.member]);
  const examples = kind.examples.map((pattern) => h('button', {
    type: 'button', class: 'example', title: `Add ${pattern} to ${kind.label.toLowerCase()}`,
    onClick: () => {
      const patterns = patternsFrom(area.value);
      if (!patterns.includes(pattern)) area.value = [...patterns, pattern].join('\n');
      area.focus();
      changed();
    },
  }, h('code', {}, pattern)));
  const status = h('p', { id: `${areaId}-status`, class: 'field-status', 'aria-live': 'polite' });
  const element = h('div', { class: 'filter-list' },
    h('label', { for: areaId }, kind.label),
    area,
    h('p', { id: `${areaId}-hint`, class: 'hint' }, kind.applies),
    h('p', { class: 'examples' }, h('span', { class: 'hint' }, 'e.g. '), examples),
    status);
  return { kind, area, status, element };
}

// "Would this pass?" with id `tryId`: the kind of name, the name, and the core's answer.
function tryView(tryId) {
  const kindSelect = h('select', { id: `${tryId}-kind`, 'aria-label': 'Branch, tag or actor' },
    filterKinds.map((kind) => h('option', { value: kind.value }, capital(kind.noun))));
  const tryInput = h('input', {
    id: tryId, type: 'text', spellcheck: 'false', autocomplete: 'off', placeholder: filterKinds[0].placeholder,
    'aria-describedby': `${tryId}-result`,
  });
  const result = h('p', { id: `${tryId}-result`, class: 'try-result', 'aria-live': 'polite' });
  const tryBox = h('div', { class: 'filter-try' },
    h('label', { for: tryId }, 'Would this pass?'),
    h('div', { class: 'try-row' }, kindSelect, tryInput),
    result);
  // Says `text` in `tone` (ok, error or none), with the core's `code` as data for the tests.
  const say = (tone, text, code) => {
    result.className = `try-result ${tone}`.trim();
    result.textContent = text;
    if (code) result.dataset.code = code;
    else delete result.dataset.code;
  };
  return { kindSelect, tryInput, tryBox, say };
}

// Returns the filters field (a Field): branches,
// tags and actors, one glob pattern per line with examples under each, and "Would this pass?": a name typed
// there is checked at once by the core against the patterns as they stand. The core's fault in a pattern is
// shown at the list it names. `value` is the endpoint's filters, or null when every list is empty;
// `onChange` runs after each change of the patterns.
export function filtersField({ initial = null, onChange = () => {} } = {}) {
  const id = nextId('filters');
  const lists = filterKinds.map((kind) => filterList(kind, `${id}-${kind.member}`, initial, () => changed()));
  const { kindSelect, tryInput, tryBox, say } = tryView(`${id}-try`);
  const element = h('fieldset', { class: 'field filters-field' },
    h('legend', {}, 'Filters ', h('span', { class: 'optional' }, '(optional)')),
    h('p', { class: 'hint' },
      'Relay only what passes. One pattern per line: ', h('code', {}, '*'), ' matches within one part of a path, ',
      h('code', {}, '**'), ' across ', h('code', {}, '/'), ', ', h('code', {}, '?'), ' one character; a leading ', h('code', {}, '!'),
      ' excludes. A name passes when a pattern matches it (or there are only exclusions) and no exclusion does. Empty lists let everything through.'),
    h('div', { class: 'filter-lists' }, lists.map((list) => list.element)),
    tryBox);

  let core = null;
  let fault = null; // the core's {reason, field} for the patterns as they stand
  let shown = null; // a fault the relay reported, until the patterns change

  const texts = () => Object.fromEntries(lists.map(({ kind, area }) => [kind.member, area.value]));
  const value = () => filtersFrom(texts());

  function check() {
    fault = null;
    const filters = value();
    if (core && filters) {
      const answer = core.filterCheck(filters, {});
      if (answer.code === 'endpoint_invalid') fault = { field: answer.field ?? 'filters', reason: answer.reason };
    }
    const current = shown ?? fault;
    for (const { kind, area, status } of lists) {
      const mine = current && current.field === `filters.${kind.member}`;
      const spaced = spacedPattern(kind.member, patternsFrom(area.value));
      area.setAttribute('aria-invalid', String(Boolean(mine)));
      status.className = `field-status ${mine ? 'error' : spaced ? 'warn' : ''}`;
      status.textContent = mine ? listReason(current.reason) : spaced ?? '';
    }
    tryIt();
  }

  function tryIt() {
    const kind = filterKinds.find((candidate) => candidate.value === kindSelect.value);
    tryInput.placeholder = kind.placeholder;
    const name = tryInput.value.trim();
    const current = shown ?? fault;
    if (!core) return say('', 'The check loads…');
    if (current) return say('error', `Fix the ${current.field === 'filters' ? 'filters' : current.field.replace(/^filters\./, '')} above first.`);
    if (name === '') return say('', `Type a ${kind.noun} name to see at once whether it passes.`);
    const answer = core.filterCheck(value() ?? {}, { [kind.value]: name });
    if (answer.code === 'passes') return say('ok', `✓ ${sentence(answer.reason)}`, answer.code);
    if (answer.code === 'endpoint_invalid') return say('error', answer.reason);
    return say('error', `✕ Filtered out: ${answer.reason}.`, answer.code);
  }

  function changed() {
    shown = null;
    check();
    onChange();
  }
  for (const { area } of lists) area.addEventListener('input', changed);
  tryInput.addEventListener('input', tryIt);
  kindSelect.addEventListener('change', tryIt);

  sharedCore().then((loaded) => {
    core = loaded;
    check();
  }).catch((error) => {
    say('error', `The check could not load: ${error.message}. The relay still checks the filters when you save.`);
  });
  check();

  const areaOf = (field) => (lists.find(({ kind }) => field === `filters.${kind.member}`) ?? lists[0]).area;
  return {
    element,
    value,
    fault: () => filtersFaultWords(shown ?? fault),
    focus: () => areaOf((shown ?? fault)?.field).focus(),
    showFault: check,
    // Marks a fault the relay reported for the filters ({field, reason}) at the list it names.
    markFault: (problem) => {
      shown = { field: problem.field ?? 'filters', reason: problem.reason };
      check();
      areaOf(shown.field).focus();
    },
  };
}

// A fault of the filters ({field, reason}, or null) in words, naming the list it is in.
function filtersFaultWords(current) {
  if (!current) return null;
  const list = filterKinds.find(({ member }) => current.field === `filters.${member}`);
  return list ? `${list.label}: ${listReason(current.reason)}` : current.reason;
}

// Returns the pull request threads field (a Field): one checkbox. `value` is "pull_request" or null.
// `events()` is the selection, to say when no pull request event is in it.
export function threadsField({ initial = null, events = () => ({ mode: 'push' }), onChange = () => {} } = {}) {
  const id = nextId('threads');
  const box = h('input', { id, type: 'checkbox', checked: initial === 'pull_request', 'aria-describedby': `${id}-hint ${id}-status` });
  const status = h('p', { id: `${id}-status`, class: 'field-status', 'aria-live': 'polite' });
  const element = h('fieldset', { class: 'field threads-field' },
    h('legend', {}, 'Pull requests'),
    h('div', { class: 'choices stacked' },
      h('label', { class: 'choice', for: id }, box,
        h('span', {}, h('strong', {}, 'One live thread per pull request'),
          h('span', { id: `${id}-hint`, class: 'hint' },
            'Needs a Discord forum channel: each pull request gets a post headed by a card kept current, and its events go into the post. A forum takes nothing outside its posts, so send pushes and other events to a text channel\'s webhook. In a text channel the card is posted once and edited in place, and events arrive as normal messages.')))),
    status);
  // Whether the selection takes a pull request event, by the core's catalogue; unknown (null) until it has loaded.
  const withPullRequests = () => {
    if (readyCore === null) return null;
    const pullRequests = new Set(readyCore.events().filter((entry) => entry.pull_request).map((entry) => entry.key));
    return selectedKeys(events()).some((key) => pullRequests.has(key));
  };
  function show() {
    const idle = box.checked && withPullRequests() === false;
    status.className = `field-status ${idle ? 'warn' : ''}`;
    status.textContent = idle ? 'No pull request event is selected, so this changes nothing until one is.' : '';
  }
  box.addEventListener('change', () => {
    show();
    onChange();
  });
  show();
  sharedCore().then(show).catch(() => {});
  return {
    element,
    value: () => (box.checked ? 'pull_request' : null),
    eventsChanged: show,
  };
}
