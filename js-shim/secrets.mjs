// Secrets at rest: OAuth tokens and webhook secrets are stored in D1 encrypted with AES-256-GCM (WebCrypto),
// keyed by the SECRETS_KEY secret, with a fresh random IV on every write. Each value is bound to its place
// (additional data such as "connection:<id>:refresh"), so a ciphertext copied into another row does not
// decrypt. Stored form: "v1.<iv, base64url>.<ciphertext and tag, base64url>".

const prefix = 'v1.';
const keys = new Map(); // SECRETS_KEY text -> CryptoKey (importing once per isolate)

export class SecretsKeyMissing extends Error {
  constructor(message) {
    super(message);
    this.name = 'SecretsKeyMissing';
  }
}

const encoder = new TextEncoder();

export function base64url(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function fromBase64(text) {
  const plain = text.replaceAll('-', '+').replaceAll('_', '/');
  const binary = atob(plain + '='.repeat((4 - (plain.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// Returns why SECRETS_KEY cannot be used, or null when it is 32 bytes in base64 (or 64 hex digits).
export function secretsKeyFault(env) {
  const text = env.SECRETS_KEY;
  if (typeof text !== 'string' || text.trim() === '') return 'SECRETS_KEY is not set';
  return keyBytes(text.trim()) ? null : 'SECRETS_KEY must be 32 random bytes, base64 (openssl rand -base64 32)';
}

function keyBytes(text) {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Uint8Array.from(text.match(/../g), (pair) => Number.parseInt(pair, 16));
  try {
    const bytes = fromBase64(text);
    return bytes.length === 32 ? bytes : null;
  } catch {
    return null;
  }
}

async function cryptoKey(env) {
  const fault = secretsKeyFault(env);
  if (fault) throw new SecretsKeyMissing(fault);
  const text = env.SECRETS_KEY.trim();
  if (!keys.has(text)) {
    keys.set(text, crypto.subtle.importKey('raw', keyBytes(text), 'AES-GCM', false, ['encrypt', 'decrypt']));
  }
  return keys.get(text);
}

// Returns whether secrets can be encrypted with this configuration.
export function canEncrypt(env) {
  return secretsKeyFault(env) === null;
}

// Encrypts `plain` for the place `context` names. Throws SecretsKeyMissing without a usable SECRETS_KEY.
export async function seal(env, plain, context) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
    await cryptoKey(env), encoder.encode(plain));
  return `${prefix}${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

// Decrypts what seal wrote for the same `context`; a value without the "v1." prefix is returned as it is
// (stored before encryption existed, or while no SECRETS_KEY was set). Throws when it does not decrypt.
export async function open(env, stored, context) {
  if (typeof stored !== 'string' || !stored.startsWith(prefix)) return stored;
  const [iv, sealed] = stored.slice(prefix.length).split('.');
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64(iv), additionalData: encoder.encode(context) },
    await cryptoKey(env), fromBase64(sealed));
  return new TextDecoder().decode(plain);
}

// An endpoint's webhook secret as stored: encrypted when SECRETS_KEY is set, else as it is.
export async function sealEndpointSecret(env, endpointId, secret) {
  if (secret === null || secret === undefined) return null;
  return canEncrypt(env) ? seal(env, secret, `endpoint:${endpointId}:secret`) : secret;
}

export async function openEndpointSecret(env, endpointId, stored) {
  if (stored === null || stored === undefined) return null;
  return open(env, stored, `endpoint:${endpointId}:secret`);
}

// Returns the lowercase hex SHA-256 of a text (how session ids and OAuth states are stored).
export async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

// Returns the X-Hub-Signature value Bitbucket would send for `body` (bytes) under `secret`.
export async function hubSignature(secret, body) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, body));
  return `sha256=${Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
