// One endpoint's form, built the same way for the three places that edit it: the connect steps (some fields per
// step), the endpoint made by hand, and a source's Settings. It makes the fields (sources-fields.mjs) in one
// order, wires them to the event selection, checks them in one order, and maps them to the API's members
// (name, events, filters, threads, destination_url, template, templates) both ways.

import { nameMaxLength } from '/limits.mjs';
import { h } from '/sources-dom.mjs';
import {
  destinationField, eventPicker, eventTemplatesField, filtersField, showFirstFault, templateField, threadsField,
} from '/sources-fields.mjs';

/** @typedef {import('./sources-fields.mjs').Field} Field */

/**
 * The API's member each field fills, by the field's name.
 * @type {Record<string, string>}
 */
const members = {
  name: 'name', events: 'events', filters: 'filters', threads: 'threads', destination: 'destination_url',
  template: 'template', templates: 'templates',
};

// Returns the name field (a Field) with id `id`: at most nameMaxLength characters; with `required`, an empty
// name is a fault. `hint` (optional) says what the name is for.
export function nameField({ id, initial = '', required = false, placeholder = null, hint = null }) {
  const input = h('input', { id, type: 'text', autocomplete: 'off', maxlength: String(nameMaxLength), placeholder, required });
  input.value = initial;
  return {
    element: h('div', { class: 'field' }, h('label', { for: id }, 'Name'), input, hint ? h('p', { class: 'hint' }, hint) : null),
    value: () => input.value.trim(),
    fault: () => (required && input.value.trim() === '' ? 'Give the endpoint a name.' : null),
    focus: () => input.focus(),
  };
}

/**
 * Returns the form {fields, firstFault(where), markFault(problem), createRequest(), changesFrom(endpoint)} of
 * the fields `parts` names (name, events, filters, threads, destination, template, templates), started from
 * `initial` (an endpoint's settings, or a draft). A change of the event selection reaches the fields that
 * depend on it; `onChange(part)` runs after every field's change. Without an events part, `events()` is the
 * selection. `name` and `destination` are the options of those fields; `expanded` the event picker's.
 * @param {{catalogue: any[], parts: string[], initial?: any, events?: () => any, local?: boolean,
 *   expanded?: boolean, name?: any, destination?: any, onChange?: (part: string) => void}} options
 */
export function endpointForm({
  catalogue, parts, initial = {}, events = () => ({ mode: 'push' }), local = false, expanded = true,
  name = null, destination = {}, onChange = () => {},
}) {
  const wants = (part) => parts.includes(part);
  /** @type {Record<string, any>} */
  const fields = {};
  const selection = () => (fields.events ? fields.events.value() : events());
  // Made in this order so their generated ids stay what they were.
  if (wants('name')) fields.name = nameField({ initial: initial.name ?? '', ...name });
  if (wants('template')) {
    fields.template = templateField({ initial: initial.template ?? null, events: selection, onChange: () => onChange('template') });
  }
  if (wants('events')) {
    fields.events = eventPicker({
      catalogue, value: initial.events ?? { mode: 'push' }, expanded,
      onChange: () => {
        fields.template?.eventsChanged();
        fields.templates?.eventsChanged();
        fields.threads?.eventsChanged();
        onChange('events');
      },
    });
  }
  if (wants('templates')) {
    // A "default" set through the API (instead of `template`) is kept as it is.
    const keep = initial.templates?.default === undefined ? {} : { default: initial.templates.default };
    fields.templates = eventTemplatesField({ initial: initial.templates, catalogue, events: selection, keep });
  }
  if (wants('filters')) fields.filters = filtersField({ initial: initial.filters ?? null, onChange: () => onChange('filters') });
  if (wants('threads')) fields.threads = threadsField({ initial: initial.threads ?? null, events: selection, onChange: () => onChange('threads') });
  if (wants('destination')) fields.destination = destinationField({ local, ...destination, onChange: () => onChange('destination') });

  // The order faults are looked for in: as the fields stand on the page.
  const checked = ['name', 'events', 'filters', 'destination', 'template', 'templates'].filter((part) => fields[part]?.fault);
  return {
    fields,
    // Shows the first fault in `where` and focuses its field. Returns true when there was one.
    firstFault: (where) => showFirstFault(checked.map((part) => fields[part]), where),
    // Marks a fault the relay reported (an error's body {field, reason, line?, column?}) at its field.
    markFault: (/** @type {Problem} */ problem) => {
      if (problem.field === 'template' && problem.line) fields.template?.markFault(problem);
      if (problem.field === 'templates') fields.templates?.markFault(problem);
      if (problem.field?.startsWith('filters')) fields.filters?.markFault(problem);
    },
    // The body of POST /api/endpoints: every field's value, an empty one left out.
    createRequest: () => {
      /** @type {Record<string, any>} */
      const request = {};
      for (const [part, field] of Object.entries(fields)) {
        const value = field.value();
        if (value) request[members[part]] = value;
      }
      return request;
    },
    // The body of PATCH /api/endpoints/{id}: what differs from `endpoint`. An empty destination keeps it.
    changesFrom: (/** @type {Endpoint} */ endpoint) => changes(fields, endpoint),
  };
}

// What the fields hold that `endpoint` does not, as the API's members.
function changes(fields, endpoint) {
  /** @type {Record<string, any>} */
  const changed = {};
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (fields.name && fields.name.value() !== (endpoint.name ?? '')) changed.name = fields.name.value();
  if (fields.events && !same(fields.events.value(), endpoint.events)) changed.events = fields.events.value();
  if (fields.filters && !same(fields.filters.value(), endpoint.filters ?? null)) changed.filters = fields.filters.value();
  if (fields.threads && fields.threads.value() !== (endpoint.threads ?? null)) changed.threads = fields.threads.value();
  if (fields.destination?.value()) changed.destination_url = fields.destination.value();
  if (fields.template && fields.template.value() !== templateText(endpoint.template)) changed.template = fields.template.value();
  const templatesText = (value) => JSON.stringify(Object.fromEntries(Object.entries(value ?? {})
    .map(([selector, text]) => [selector, templateText(text)])));
  if (fields.templates && templatesText(fields.templates.value()) !== templatesText(endpoint.templates)) {
    changed.templates = fields.templates.value();
  }
  return changed;
}

// A stored template as the editor holds it: its text (a JSON value is written out), or null for none.
function templateText(template) {
  if (template === undefined || template === null) return null;
  return typeof template === 'string' ? template : JSON.stringify(template, null, 2);
}
