// Bytes as text, the two ways dispatch writes them: lowercase hex (digests, signatures, secrets) and URL-safe
// base64 without padding (sealed values, tokens, cursors). Shared by the Worker and the pages; imports nothing.

// Returns `bytes` (a Uint8Array or an ArrayBuffer) as lowercase hex, two digits a byte.
export function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

// Returns `bytes` (a Uint8Array) as URL-safe base64 without padding.
export function base64url(bytes) {
  let text = '';
  // In slices: spreading a large array into one call would overflow the call's arguments.
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

// Returns the bytes of base64 `text`, URL-safe or not, padded or not. Throws (atob's DOMException) when
// `text` is not base64.
export function fromBase64url(text) {
  const plain = text.replaceAll('-', '+').replaceAll('_', '/');
  const binary = atob(plain + '='.repeat((4 - (plain.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// Returns `text` as URL-safe base64 of its UTF-8 bytes, without padding (a list's cursor).
export const textToBase64url = (text) => base64url(new TextEncoder().encode(text));

// Returns the UTF-8 text base64 `text` holds; throws as fromBase64url does.
export const textFromBase64url = (text) => new TextDecoder().decode(fromBase64url(text));
