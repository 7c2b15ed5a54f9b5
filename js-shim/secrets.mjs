// Secrets at rest: OAuth tokens and webhook secrets are stored in D1 encrypted with AES-256-GCM (WebCrypto),
// keyed by the SECRETS_KEY secret, with a fresh random IV on every write. Each value is bound to its place
// (additional data such as "connection:<id>:refresh"), so a ciphertext copied into another row does not
// decrypt. Stored form: "v2.<key id>.<iv>.<ciphertext and tag>", each part base64url; the key id (8 bytes of
// a SHA-256 over the key) says which key sealed it and reveals nothing of the key. "v1.<iv>.<ciphertext>",
// written before key ids, is opened by trying each key.
// Rotation: SECRETS_KEY_PREVIOUS holds the keys being retired (space- or comma-separated). They only open;
// every write seals with SECRETS_KEY, and the scheduled task re-seals what an older key (or none) wrote
// (store.mjs resealSecrets) until nothing is left under them.

import { base64url, fromBase64url, hex } from './shared/encoding.mjs';

const prefix = 'v2.';
const legacyPrefix = 'v1.';
const keys = new Map(); // key text -> {id, key: CryptoKey} (importing once per isolate)

export class SecretsKeyMissing extends Error {
  constructor(message) {
    super(message);
    this.name = 'SecretsKeyMissing';
  }
}

const encoder = new TextEncoder();

// Thrown when a stored value opens with none of the configured keys (SECRETS_KEY was changed without keeping
// the old one in SECRETS_KEY_PREVIOUS, or the value was altered).
export class SecretUnreadable extends Error {
  constructor(context, keyId) {
    super(`the value stored for ${context} opens with neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS`
      + (keyId ? ` (it was sealed with key ${keyId})` : ''));
    this.name = 'SecretUnreadable';
  }
}

/** @param {Env} env */
const previousTexts = (env) => String(env.SECRETS_KEY_PREVIOUS ?? '').split(/[\s,]+/).filter(Boolean);

// Returns why SECRETS_KEY (or SECRETS_KEY_PREVIOUS) cannot be used, or null when each is 32 bytes in base64
// (or 64 hex digits).
/** @param {Env} env */
export function secretsKeyFault(env) {
  const text = env.SECRETS_KEY;
  if (typeof text !== 'string' || text.trim() === '') return 'SECRETS_KEY is not set';
  if (!keyBytes(text.trim())) return 'SECRETS_KEY must be 32 random bytes, base64 (openssl rand -base64 32)';
  const bad = previousTexts(env).findIndex((previous) => !keyBytes(previous));
  return bad < 0 ? null : `SECRETS_KEY_PREVIOUS: key ${bad + 1} is not 32 bytes in base64`;
}

function keyBytes(text) {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Uint8Array.from(text.match(/../g), (pair) => Number.parseInt(pair, 16));
  try {
    const bytes = fromBase64url(text);
    return bytes.length === 32 ? bytes : null;
  } catch {
    return null;
  }
}

function loadKey(text) {
  if (!keys.has(text)) {
    const bytes = keyBytes(text);
    keys.set(text, (async () => {
      const label = encoder.encode('dispatch secrets key id\0');
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array([...label, ...bytes])));
      const key = await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
      // Fingerprints get a key of their own, derived from this one: one key, one use.
      const fingerprintBytes = await crypto.subtle.digest('SHA-256',
        new Uint8Array([...encoder.encode('dispatch fingerprint key\0'), ...bytes]));
      const fingerprint = await crypto.subtle.importKey('raw', fingerprintBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return { id: base64url(digest.subarray(0, 8)), key, fingerprint };
    })());
  }
  return keys.get(text);
}

// The configured keys: SECRETS_KEY first, then SECRETS_KEY_PREVIOUS's. Throws SecretsKeyMissing when unusable.
/** @param {Env} env */
async function keyring(env) {
  const fault = secretsKeyFault(env);
  if (fault) throw new SecretsKeyMissing(fault);
  return Promise.all([env.SECRETS_KEY.trim(), ...previousTexts(env)].map(loadKey));
}

// Returns whether SECRETS_KEY_PREVIOUS names any key: a key change is under way.
/** @param {Env} env */
export const rotating = (env) => previousTexts(env).length > 0;

// The stored form's beginning for values SECRETS_KEY sealed ("v2.<key id>."): what is not under it wants re-sealing.
/** @param {Env} env */
export async function currentSealPrefix(env) {
  const [current] = await keyring(env);
  return `${prefix}${current.id}.`;
}

// Returns whether secrets are to be encrypted: SECRETS_KEY is set. Set but unusable (or with an unusable
// SECRETS_KEY_PREVIOUS), seal and open throw SecretsKeyMissing: a typo never stores a secret in the clear.
/** @param {Env} env */
export function canEncrypt(env) {
  return typeof env.SECRETS_KEY === 'string' && env.SECRETS_KEY.trim() !== '';
}

// Encrypts `plain` for the place `context` names, with SECRETS_KEY. Throws SecretsKeyMissing without one.
/** @param {Env} env */
export async function seal(env, plain, context) {
  const [current] = await keyring(env);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
    current.key, encoder.encode(plain));
  return `${prefix}${current.id}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

// Decrypts what seal wrote for the same `context`, with whichever configured key sealed it; a value with
// neither prefix is returned as it is (stored while no SECRETS_KEY was set). Throws SecretUnreadable when no
// configured key opens it.
/** @param {Env} env */
export async function open(env, stored, context) {
  if (typeof stored !== 'string') return stored;
  const legacy = stored.startsWith(legacyPrefix);
  if (!legacy && !stored.startsWith(prefix)) return stored;
  const parts = stored.split('.');
  const [keyId, iv, sealed] = legacy ? [null, ...parts.slice(1)] : parts.slice(1);
  const ring = await keyring(env);
  const candidates = legacy ? ring : ring.filter(({ id }) => id === keyId);
  for (const { key } of candidates) {
    try {
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64url(iv), additionalData: encoder.encode(context) },
        key, fromBase64url(sealed));
      return new TextDecoder().decode(plain);
    } catch {
      // Not this key (a v1 value), or altered: the next key, else unreadable.
    }
  }
  throw new SecretUnreadable(context, keyId);
}


// Keyed fingerprints of `value` for `purpose`, to find equal values without keeping them in the clear: an
// HMAC-SHA-256 under a key derived from each configured key ("f2.<key id>.<hex>"), SECRETS_KEY's first, so a
// fingerprint an older key made is still found until the re-seal rewrites it; without SECRETS_KEY, a labelled
// SHA-256 ("f0.<hex>"), as the value itself is then stored as it is.
/** @param {Env} env */
export async function fingerprints(env, purpose, value) {
  const message = encoder.encode(`${purpose}\0${value}`);
  if (!canEncrypt(env)) return [`f0.${hex(await crypto.subtle.digest('SHA-256', message))}`];
  const ring = await keyring(env);
  return Promise.all(ring.map(async ({ id, fingerprint }) => `f2.${id}.${hex(await crypto.subtle.sign('HMAC', fingerprint, message))}`));
}

// The place each sealed value is bound to (the additional data of its seal), by the row's id: a value sealed
// for one place does not open in another.
export const places = {
  endpointSecret: (id) => `endpoint:${id}:secret`,   // an endpoint's secret and its previous one
  destination: (id) => `endpoint:${id}:destination`, // a destination URL: whoever has a Discord webhook's URL posts into its channel
  accessToken: (id) => `connection:${id}:access`,
  refreshToken: (id) => `connection:${id}:refresh`,
};

// A value as stored at `place`: sealed when SECRETS_KEY is set, else as it is (local runs without one); null
// stays null.
/** @param {Env} env */
export async function sealAt(env, place, plain) {
  if (plain === null || plain === undefined) return null;
  return canEncrypt(env) ? seal(env, plain, place) : plain;
}

// What sealAt stored at `place`, opened; null stays null.
/** @param {Env} env */
export async function openAt(env, place, stored) {
  if (stored === null || stored === undefined) return null;
  return open(env, stored, place);
}

// Returns the lowercase hex SHA-256 of a text or of bytes (session ids, OAuth states, remembered bodies).
export async function sha256Hex(value) {
  return hex(await crypto.subtle.digest('SHA-256', typeof value === 'string' ? encoder.encode(value) : value));
}

// Returns the X-Hub-Signature value Bitbucket would send for `body` (bytes) under `secret`.
export async function hubSignature(secret, body) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, body));
  return `sha256=${hex(mac)}`;
}
