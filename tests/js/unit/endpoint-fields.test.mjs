// js-shim/endpoint-fields.mjs is the one place an endpoint's fields are spelled: every column the migrations
// give the endpoints table is a field there (or a column the store derives from one), and every field is a
// column; what a create, a change and the core take is read from it.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import {
  changeFields, coreFields, createFields, endpointFields, fieldFault, newEndpoint,
} from '../../../js-shim/endpoint-fields.mjs';
import { root } from '../helpers.mjs';

// Kept beside the sealed destination by the store (store-endpoints.mjs destinationColumns): its mask and its
// fingerprint.
const derived = ['destination_masked', 'destination_hash'];

// The endpoints table's columns, as the migrations make them, in order.
function endpointColumns() {
  const columns = [];
  const dir = resolve(root, 'migrations');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.sql')).sort()) {
    const sql = readFileSync(resolve(dir, file), 'utf8').replace(/--[^\n]*/g, '');
    const created = /CREATE TABLE endpoints \(([\s\S]*?)\n\);/.exec(sql);
    if (created) {
      for (const line of created[1].split('\n')) {
        const column = /^\s*([a-z_]+)\s+[A-Z]/.exec(line);
        if (column && !['PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN'].includes(column[1])) columns.push(column[1]);
      }
    }
    for (const [, column] of sql.matchAll(/ALTER TABLE endpoints ADD COLUMN ([a-z_]+)/g)) columns.push(column);
  }
  return columns;
}

test('every column of the endpoints table is a field of the table, and every field a column', () => {
  const columns = endpointColumns();
  assert.ok(columns.length >= 20, `only ${columns.length} columns found: ${columns}`);
  const fields = endpointFields.map((field) => field.name);
  assert.deepEqual(columns.filter((column) => !fields.includes(column) && !derived.includes(column)), []);
  assert.deepEqual(fields.filter((field) => !columns.includes(field)), []);
});

test('the API and the core take what the table says', () => {
  assert.deepEqual(createFields, ['name', 'destination_url', 'secret', 'events', 'template', 'templates', 'filters', 'threads']);
  assert.deepEqual(changeFields, ['name', 'destination_url', 'destination_status', 'events', 'active', 'template', 'templates', 'filters', 'threads']);
  assert.deepEqual(coreFields, ['events', 'template', 'templates', 'filters', 'threads']);
  for (const field of endpointFields) {
    assert.ok(['text', 'json', 'flag', 'sealed', 'destination', 'row'].includes(field.stored), field.name);
    if (field.stored === 'sealed') assert.ok(!field.view, `a secret (${field.name}) is never shown`);
    if (field.stored === 'row') assert.ok(!field.create && !field.change, `the store's ${field.name} is never sent`);
  }
});

test('a new endpoint takes each field a create sends, and the fallbacks of the rest', () => {
  const made = newEndpoint({ name: 'x', events: { mode: 'push' }, filters: null, active: false });
  assert.equal(made.name, 'x');
  assert.deepEqual(made.events, { mode: 'push' });
  assert.equal(made.template, null);
  assert.equal(made.threads, null);
  assert.equal(made.destination_status, 'ok');
  assert.equal(made.active, true, 'active is not a create field: its fallback');
  assert.equal(made.secret, undefined, 'the caller makes the secret');
});

test('the shim checks fields in the table order, and events must be there', () => {
  const env = { ALLOW_LOCAL_DESTINATIONS: 'false' };
  const good = { name: 'n', destination_url: 'https://example.com/hook', secret: 'a-secret-of-16-chars', events: { mode: 'push' } };
  assert.equal(fieldFault(good, env), null);
  assert.equal(fieldFault({ ...good, name: '' }, env).field, 'name');
  assert.equal(fieldFault({ ...good, name: 'x'.repeat(101) }, env).field, 'name');
  assert.equal(fieldFault({ ...good, name: '', secret: 'short' }, env).field, 'name', 'name comes first');
  assert.equal(fieldFault({ ...good, secret: 'short' }, env).field, 'secret');
  assert.equal(fieldFault({ ...good, destination_url: 'http://example.com/' }, env).field, 'destination_url');
  const noEvents = fieldFault({ ...good, events: undefined }, env);
  assert.deepEqual(noEvents, { field: 'events', reason: 'events is required: {mode:"push"|"all"|"custom", custom?:[keys]}' });
});
