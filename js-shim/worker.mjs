// The dispatch Worker. It loads the core once per isolate from the precompiled module wrangler hands it
// and routes requests; the core decides, this file only does I/O.
//
// Served so far: the stateless part of the admin API (GET /api/events, POST /api/preview). The receive
// path (/hooks/{endpoint}), storage and delivery arrive with the worker issue.

import wasmModule from '../build/wasm/dispatch.wasm';
import { instantiateCore } from './core.mjs';

const maxRequestBytes = 2 * 1024 * 1024;  // a 1 MiB payload inside a preview request, with room to spare
let corePromise = null;

// One instance per isolate. An instance that failed to start, or that trapped since, is dropped so the
// next request starts a fresh one.
async function core() {
  corePromise ??= instantiateCore(wasmModule);
  try {
    const instance = await corePromise;
    if (instance.usable) return instance;
    corePromise = instantiateCore(wasmModule);
    return await corePromise;
  } catch (error) {
    corePromise = null;
    throw error;
  }
}

function json(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

// Compares two strings in time that depends only on their lengths.
function sameSecret(given, expected) {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i += 1) difference |= (a[i % (a.length || 1)] ?? 0) ^ b[i];
  return difference === 0;
}

function authorized(request, env) {
  const header = request.headers.get('authorization') ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  return token.length > 0 && sameSecret(token, env.ADMIN_TOKEN);
}

// Reads a request body without buffering more than `limit` bytes; returns null when it is larger.
async function readLimited(request, limit) {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) return null;
  if (!request.body) return new Uint8Array(0);
  const chunks = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

async function preview(request) {
  const body = await readLimited(request, maxRequestBytes);
  if (body === null) return json(413, { code: 'body_too_large', reason: `request is over ${maxRequestBytes} bytes` });
  const answer = (await core()).previewRequest(body);
  return answer.code === 'rendered' ? json(200, answer.message) : json(400, answer);
}

const routes = {
  'GET /api/events': async () => json(200, (await core()).events()),
  'POST /api/preview': preview,
};

export default {
  async fetch(request, env) {
    if (typeof env.ADMIN_TOKEN !== 'string' || env.ADMIN_TOKEN.length < 16) {
      // Misconfiguration is loud: no admin API without a real token.
      return json(500, { code: 'misconfigured', reason: 'ADMIN_TOKEN is not set (or shorter than 16 characters)' });
    }
    const url = new URL(request.url);
    const known = Object.keys(routes).filter((route) => route.endsWith(` ${url.pathname}`));
    if (known.length === 0) return json(404, { code: 'not_found', reason: `no route ${url.pathname}` });
    const handler = routes[`${request.method} ${url.pathname}`];
    if (!handler) {
      return new Response(null, { status: 405, headers: { allow: known.map((route) => route.split(' ')[0]).join(', ') } });
    }
    if (!authorized(request, env)) {
      return json(401, { code: 'unauthorized', reason: 'Authorization: Bearer <ADMIN_TOKEN> is missing or wrong' });
    }
    return handler(request, env);
  },
};
