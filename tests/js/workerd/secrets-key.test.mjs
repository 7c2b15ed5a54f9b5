// Rotating SECRETS_KEY under the real runtime (`wrangler dev`), one relay restarted on the same D1 with each
// configuration in turn: no key (secrets stored plain), key A, then key B with A in SECRETS_KEY_PREVIOUS, then
// B alone, then a key that opens nothing. Hooks keep verifying through the rotation, the scheduled task
// re-seals every secret and token with B (those written before key ids too) and says when none is left, and a
// value no configured key opens is named, never guessed at.

import assert from 'node:assert/strict';
import { randomBytes, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

import { maintain } from '../../../js-shim/maintenance.mjs';
import { currentSealPrefix, open, seal } from '../../../js-shim/secrets.mjs';
import { base64url } from '../../../js-shim/shared/encoding.mjs';
import { resealSecrets } from '../../../js-shim/store.mjs';
import { eventually, postHook, root, scratchD1 } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'secrets-key-test-admin-token-0123456789';
const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const keyC = randomBytes(32).toString('base64');
const keyD = randomBytes(32).toString('base64');
const body = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));

const { relay, sink } = withRelay({ token, sink: true, vars: { SECRETS_KEY: '', SECRETS_KEY_PREVIOUS: '' } });
const endpoints = []; // {id, url, secret}
const tokens = {}; // connection id -> {access, refresh}, as plain text

async function restart(vars) {
  await relay.kill();
  await relay.start({ SECRETS_KEY: '', SECRETS_KEY_PREVIOUS: '', ...vars });
}

async function makeEndpoint(name) {
  const created = await relay.api('POST', '/api/endpoints', { name, destination_url: sink.webhook(name), events: { mode: 'push' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  endpoints.push(created.body);
}

// Each call's body differs (trailing spaces, still the same JSON): the same bytes again would be a replay.
let sent = 0;
const hookStatuses = () => Promise.all(endpoints.map(async (ep) => {
  sent += 1;
  return (await postHook(ep.url, ep.secret, 'repo:push', Buffer.concat([body, Buffer.alloc(sent, ' ')]))).status;
}));

// A connection row as connections.mjs stores it, its tokens sealed by `sealToken`.
async function insertConnection(id, sealToken) {
  const plain = { access: `access-${randomBytes(12).toString('hex')}`, refresh: `refresh-${randomBytes(12).toString('hex')}` };
  tokens[id] = plain;
  const access = await sealToken(plain.access, `connection:${id}:access`);
  const refresh = await sealToken(plain.refresh, `connection:${id}:refresh`);
  await relay.sql(`INSERT INTO connections (id, provider, account_uuid, account_name, access_token, refresh_token, expires_at,
      created_at, updated_at) VALUES ('${id}', 'bitbucket', '{${id}}', 'Ada ${id}', '${access}', '${refresh}',
      ${Date.now() + 3_600_000}, ${Date.now()}, ${Date.now()})`);
}

// The form secrets.mjs wrote before key ids ("v1.<iv>.<ciphertext>"), made here with WebCrypto directly.
async function sealLegacy(keyText, plain, context) {
  const key = await webcrypto.subtle.importKey('raw', Buffer.from(keyText, 'base64'), 'AES-GCM', false, ['encrypt']);
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const sealed = await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) },
    key, new TextEncoder().encode(plain));
  return `v1.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

// Every sealed column's stored value, in a fixed order (a NULL, a secret never rotated, is left out).
const storedValues = async () => (await relay.sql(`SELECT value FROM (
    SELECT 1 AS t, created_at AS o, id, 1 AS c, secret AS value FROM endpoints
    UNION ALL SELECT 1, created_at, id, 2, previous_secret FROM endpoints
    UNION ALL SELECT 2, 0, id, 1, access_token FROM connections
    UNION ALL SELECT 2, 0, id, 2, refresh_token FROM connections)
  WHERE value IS NOT NULL ORDER BY t, o, id, c`)).map((row) => row.value);

test('SECRETS_KEY is rotated with SECRETS_KEY_PREVIOUS: hooks keep verifying, every secret is re-sealed with the new key, the old one can go', async () => {
  // No key: a hand-made endpoint's secret is stored as it is.
  await makeEndpoint('plain');
  assert.equal((await storedValues())[0], endpoints[0].secret);
  assert.equal((await relay.sql('SELECT destination_url FROM endpoints'))[0].destination_url, sink.webhook('plain'));

  // Key A: new secrets are sealed with it; one connection's tokens in today's form, one's in the form before key ids.
  await restart({ SECRETS_KEY: keyA });
  await makeEndpoint('under-a');
  const underA = await currentSealPrefix({ SECRETS_KEY: keyA });
  const storedUnderA = (await storedValues())[1];
  assert.ok(storedUnderA.startsWith(underA), `${storedUnderA.slice(0, 20)} is not under ${underA}`);
  // The destination URL (a credential: it posts into the channel) is sealed like the secret.
  const [underADestination] = await relay.sql(`SELECT destination_url FROM endpoints WHERE name = 'under-a'`);
  assert.ok(underADestination.destination_url.startsWith(underA), underADestination.destination_url.slice(0, 20));
  await insertConnection('conn-a', (plain, context) => seal({ SECRETS_KEY: keyA }, plain, context));
  await insertConnection('conn-legacy', (plain, context) => sealLegacy(keyA, plain, context));
  assert.deepEqual(await hookStatuses(), [202, 202]);

  // Key B, A kept for opening: every hook still verifies before anything is re-sealed.
  await restart({ SECRETS_KEY: keyB, SECRETS_KEY_PREVIOUS: keyA });
  assert.deepEqual(await hookStatuses(), [202, 202]);
  await makeEndpoint('under-b');
  const underB = await currentSealPrefix({ SECRETS_KEY: keyB });
  assert.notEqual(underA, underB);
  const logBefore = relay.log.length;
  await relay.scheduled();
  // The run's count is logged once it is done; D1 is read after it.
  const said = await eventually('the scheduled run\'s count', () => /\{"event":"secrets_resealed"[^\n{}]*\}/.exec(relay.log.slice(logBefore)), 30_000);
  assert.deepEqual(JSON.parse(said[0]), { event: 'secrets_resealed', resealed: 4, unreadable: 0, left: 0 });
  const resealed = await storedValues();
  assert.equal(resealed.length, 7, 'three endpoint secrets and two connections\' two tokens');
  assert.ok(resealed.every((value) => value.startsWith(underB)), resealed.map((value) => value.slice(0, 16)).join(', '));
  // Destinations too, the one stored in the clear before any key included: sealed, masked, fingerprinted.
  for (const row of await relay.sql('SELECT id, name, destination_url, destination_masked, destination_hash FROM endpoints')) {
    assert.ok(row.destination_url.startsWith(underB), `${row.name}: ${row.destination_url.slice(0, 16)}`);
    assert.equal(await open({ SECRETS_KEY: keyB }, row.destination_url, `endpoint:${row.id}:destination`), sink.webhook(row.name));
    assert.match(row.destination_masked, /^http:\/\/127\.0\.0\.1:\d+\/api\/webhooks\/[^/]+\/•{8}/);
    assert.match(row.destination_hash, /^f2\./);
    assert.ok(!row.destination_masked.includes(sink.webhook(row.name).split('/').pop()), 'the token is masked');
  }
  const listed = (await relay.api('GET', '/api/endpoints')).body;
  assert.deepEqual(listed.map((ep) => ep.destination_url), (await relay.sql('SELECT destination_masked FROM endpoints ORDER BY created_at, id'))
    .map((row) => row.destination_masked));

  // The tokens open with B alone, to what they were.
  for (const row of await relay.sql('SELECT id, access_token, refresh_token FROM connections')) {
    assert.equal(await open({ SECRETS_KEY: keyB }, row.access_token, `connection:${row.id}:access`), tokens[row.id].access);
    assert.equal(await open({ SECRETS_KEY: keyB }, row.refresh_token, `connection:${row.id}:refresh`), tokens[row.id].refresh);
  }
  // A run with nothing left to do says nothing.
  const quietFrom = relay.log.length;
  await relay.scheduled();
  await new Promise((wait) => setTimeout(wait, 1000));
  assert.doesNotMatch(relay.log.slice(quietFrom), /secrets_resealed/);

  // A dropped: nothing needed it any more.
  await restart({ SECRETS_KEY: keyB });
  assert.deepEqual(await hookStatuses(), [202, 202, 202]);

  // Keys that open nothing (a new key, and a wrong one as the previous): the hook is refused with 503 (Bitbucket
  // tries again), nothing is accepted, and the scheduled run names each row it cannot open; the values stay.
  await restart({ SECRETS_KEY: keyC, SECRETS_KEY_PREVIOUS: keyD });
  const before = await storedValues();
  assert.deepEqual(await hookStatuses(), [503, 503, 503]);
  const unreadableFrom = relay.log.length;
  await relay.scheduled();
  const summary = await eventually('the unreadable rows counted',
    () => /\{"event":"secrets_resealed"[^\n{}]*\}/.exec(relay.log.slice(unreadableFrom)));
  assert.deepEqual(JSON.parse(summary[0]), { event: 'secrets_resealed', resealed: 0, unreadable: 5, left: 5 });
  const named = [...relay.log.slice(unreadableFrom).matchAll(/"event":"secret_unreadable","table":"(\w+)","id":"([^"]+)"/g)]
    .map((match) => `${match[1]}/${match[2]}`).sort();
  assert.deepEqual(named, [...endpoints.map((ep) => `endpoints/${ep.id}`), 'connections/conn-a', 'connections/conn-legacy'].sort());
  assert.deepEqual(await storedValues(), before);

  // No key and no secret ever reached the log.
  const credentials = [keyA, keyB, keyC, keyD, ...endpoints.map((ep) => ep.secret), ...Object.values(tokens).flatMap(Object.values)];
  for (const credential of credentials) assert.ok(!relay.log.includes(credential), 'a credential reached the log');
});

test('a malformed key is named, and nothing is stored in the clear because of it', async () => {
  const { canEncrypt, places, sealAt, secretsKeyFault } = await import('../../../js-shim/secrets.mjs');
  const sealEndpointSecret = (env, id, secret) => sealAt(env, places.endpointSecret(id), secret);
  assert.equal(secretsKeyFault({ SECRETS_KEY: keyB, SECRETS_KEY_PREVIOUS: `${keyA}, not-a-key` }),
    'SECRETS_KEY_PREVIOUS: key 2 is not 32 bytes in base64');
  assert.equal(secretsKeyFault({ SECRETS_KEY: keyB, SECRETS_KEY_PREVIOUS: `${keyA},${keyC} ` }), null);
  for (const env of [{ SECRETS_KEY: 'too-short' }, { SECRETS_KEY: keyB, SECRETS_KEY_PREVIOUS: 'not-a-key' }]) {
    assert.equal(canEncrypt(env), true);
    await assert.rejects(sealEndpointSecret(env, 'ep', 'a-webhook-secret'), { name: 'SecretsKeyMissing' });
  }
  assert.equal(await sealEndpointSecret({}, 'ep', 'a-webhook-secret'), 'a-webhook-secret', 'no key set: stored as it is');
});

test('on a scratch D1: a run re-seals at most its budget and counts the rest; without SECRETS_KEY_PREVIOUS only the hour\'s first run looks', async () => {
  const { mf, db } = await scratchD1();
  try {
    const count = 250;
    const statements = [];
    for (let i = 0; i < count; i += 1) {
      const id = `ep-${String(i).padStart(3, '0')}`;
      statements.push(db.prepare(`INSERT INTO endpoints (id, name, secret, events, destination_url, created_at, updated_at)
        VALUES (?, ?, ?, '{"mode":"push"}', 'https://discord.com/api/webhooks/1/x', 0, 0)`)
        .bind(id, id, await sealLegacy(keyA, `secret-${i}`, `endpoint:${id}:secret`)));
    }
    await db.batch(statements);
    const env = { DB: db, SECRETS_KEY: keyB, SECRETS_KEY_PREVIOUS: keyA };
    assert.deepEqual(await resealSecrets(env, 100), { resealed: 100, unreadable: [], left: 150 });
    assert.deepEqual(await resealSecrets(env, 1000), { resealed: 150, unreadable: [], left: 0 });
    const { results } = await db.prepare('SELECT id, secret FROM endpoints ORDER BY id').all();
    for (const [i, row] of results.entries()) {
      assert.equal(await open({ SECRETS_KEY: keyB }, row.secret, `endpoint:${row.id}:secret`), `secret-${i}`);
    }

    // A value written before SECRETS_KEY was set, and no key change under way: left alone at 12:05, sealed at 13:00.
    await db.prepare(`UPDATE endpoints SET secret = 'plain-secret-0123456789' WHERE id = 'ep-000'`).run();
    const steady = { DB: db, SECRETS_KEY: keyB };
    const stored = async () => (await db.prepare(`SELECT secret FROM endpoints WHERE id = 'ep-000'`).first()).secret;
    await maintain(steady, Date.UTC(2026, 11, 1, 12, 5));
    assert.equal(await stored(), 'plain-secret-0123456789');
    await maintain(steady, Date.UTC(2026, 11, 1, 13, 0));
    assert.equal(await open(steady, await stored(), 'endpoint:ep-000:secret'), 'plain-secret-0123456789');
    assert.ok((await stored()).startsWith(await currentSealPrefix(steady)));
  } finally {
    await mf.dispose();
  }
});
