// Paths and loaders shared by the node test suites.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { instantiateCore } from '../../js-shim/core.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const wasmPath = process.env.DISPATCH_WASM ?? resolve(root, 'build/wasm/dispatch.wasm');
export const nativeCli = process.env.DISPATCH_NATIVE ?? resolve(root, 'build/native/dispatch');
export const sharedDir = resolve(root, '../shared');
export const haveShared = existsSync(resolve(sharedDir, 'fixtures/bitbucket-cloud/index.json'));

export async function loadCore() {
  return instantiateCore(readFileSync(wasmPath));
}

// Returns the body bytes of a vector case, or null when it names a shared fixture that is not here.
export function vectorBody(test) {
  if ('body' in test) return new TextEncoder().encode(test.body);
  if ('body_base64' in test) return new Uint8Array(Buffer.from(test.body_base64, 'base64'));
  if ('body_file' in test) {
    const path = resolve(root, test.body_file);
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : null;
  }
  const { prefix = '', text, times, suffix = '' } = test.body_fill;
  return new TextEncoder().encode(prefix + text.repeat(times) + suffix);
}
