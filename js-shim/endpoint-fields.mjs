// An endpoint's fields, one row each: the one place that says how a field is stored, whether the admin API
// takes it on create or change, whether its view shows it, and whether the core decides on it. The store
// (its columns and their stored forms), the admin API (what a request may send, the defaults, the view) and
// the receive path (the settings given to the core) read this table; none keeps a list of its own.
//
// Adding a field: a row here, a migration for its column, the core if it decides on it (`core`), and the
// pages' field.

import { destinationRefusal } from './shared/destination.mjs';
import { nameMaxLength } from './shared/limits.mjs';

/**
 * @typedef {'text' | 'json' | 'flag' | 'sealed' | 'destination' | 'row'} StoredAs
 *   text: the value, or null; json: JSON text, or null; flag: 1 or 0; sealed: encrypted under SECRETS_KEY
 *   (store.mjs opens it); destination: a URL sealed, with its mask and fingerprint beside it; row: the store's
 *   bookkeeping (set by the store itself, never written from a request).
 * @typedef {object} EndpointField
 * @property {string} name       the field's name in the API, in a record and as the D1 column
 * @property {StoredAs} stored   how the column holds it
 * @property {boolean} [create]  POST /api/endpoints may send it
 * @property {boolean} [change]  PATCH /api/endpoints/{id} may send it
 * @property {'always' | 'set' | 'detail'} [view]  shown: always; only when not null; only when not null and
 *   not in the list of endpoints (a template is long)
 * @property {boolean} [core]    given to the core (when not null), which checks it and decides on it
 * @property {*} [fallback]      its value when a create leaves it out, and what is stored and shown for null
 * @property {(value: any, env: any) => (string | null)} [check]  the shim's own check (the core checks what
 *   it decides on): the reason it is refused, or null; run whether the field is there or not
 * @property {string} [required]  the reason a create or change that leaves the field without a value is refused
 */

const secretPattern = /^[\x21-\x7e]{16,256}$/;

// Returns why `value` cannot be an endpoint's name, or null.
function nameFault(value) {
  if (typeof value !== 'string' || value.trim() === '' || value.length > nameMaxLength) {
    return `name must be a non-empty string of at most ${nameMaxLength} characters`;
  }
  return null;
}

// Returns why `value` cannot be an endpoint's secret, or null.
export function secretFault(value) {
  if (typeof value !== 'string' || !secretPattern.test(value)) {
    return 'secret must be 16 to 256 printable ASCII characters without spaces';
  }
  return null;
}

/** @type {EndpointField[]} */
export const endpointFields = [
  { name: 'id', stored: 'row', view: 'always' },
  { name: 'name', stored: 'text', create: true, change: true, view: 'always', check: nameFault },
  { name: 'destination_url', stored: 'destination', create: true, change: true, view: 'always', check: destinationRefusal },
  { name: 'secret', stored: 'sealed', create: true, check: secretFault },
  { name: 'previous_secret', stored: 'sealed' },
  { name: 'previous_secret_until', stored: 'text' },
  { name: 'destination_status', stored: 'text', change: true, view: 'always', fallback: 'ok' },
  { name: 'destination_error', stored: 'text', view: 'set' },
  {
    name: 'events', stored: 'json', create: true, change: true, view: 'always', core: true,
    required: 'events is required: {mode:"push"|"all"|"custom", custom?:[keys]}',
  },
  { name: 'active', stored: 'flag', change: true, view: 'always', fallback: true },
  { name: 'template', stored: 'json', create: true, change: true, view: 'detail', core: true, fallback: null },
  { name: 'templates', stored: 'json', create: true, change: true, view: 'detail', core: true, fallback: null },
  { name: 'filters', stored: 'json', create: true, change: true, view: 'always', core: true, fallback: null },
  { name: 'threads', stored: 'text', create: true, change: true, view: 'always', core: true, fallback: null },
  // A source's: the repository it relays, and its hook at Bitbucket.
  { name: 'provider', stored: 'text' },
  { name: 'connection_id', stored: 'text' },
  { name: 'repository', stored: 'text' },
  { name: 'repository_uuid', stored: 'text' },
  { name: 'hook_uuid', stored: 'text' },
  { name: 'source_status', stored: 'text' },
  { name: 'source_error', stored: 'text' },
  { name: 'version', stored: 'row' },
  { name: 'created_at', stored: 'row' },
  { name: 'updated_at', stored: 'row' },
];

const named = (test) => endpointFields.filter(test).map((field) => field.name);

// What POST /api/endpoints and PATCH /api/endpoints/{id} may send.
export const createFields = named((field) => field.create);
export const changeFields = named((field) => field.change);
// What the core decides on (receive.mjs coreSettings).
export const coreFields = named((field) => field.core);

// A new endpoint's fields from a create's `body`: each field a create takes, as sent or its fallback; every
// other field with a fallback, that. (The caller adds what it makes itself: the id, a generated secret.)
/** @returns {Record<string, any>} */
export function newEndpoint(body) {
  /** @type {Record<string, any>} */
  const endpoint = {};
  for (const field of endpointFields) {
    if (field.create) endpoint[field.name] = body[field.name] ?? field.fallback;
    else if ('fallback' in field) endpoint[field.name] = field.fallback;
  }
  return endpoint;
}

/** @type {Record<string, EndpointField>} */
export const fieldByName = Object.fromEntries(endpointFields.map((field) => [field.name, field]));

// Returns the first field of an endpoint record (as it would be stored after a create or a change) that the
// shim refuses, as {field, reason}, in the table's order; or null. The core then checks what it decides on.
export function fieldFault(record, env) {
  for (const field of endpointFields) {
    const reason = field.check?.(record[field.name], env)
      ?? (field.required && record[field.name] === undefined ? field.required : null);
    if (reason) return { field: field.name, reason };
  }
  return null;
}
