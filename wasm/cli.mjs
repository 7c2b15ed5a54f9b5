#!/usr/bin/env node
// The `dispatch` command on the wasm build, under node: same arguments, output and exit codes as the
// native binary, because both only read files and print what the core's command line answers.
//
//   node wasm/cli.mjs <command> [options]     (DISPATCH_WASM=path/to/dispatch-tools.wasm to choose the build)

import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { instantiateCore } from '../js-shim/core.mjs';
/** @import { CliAnswer, CliOutput, CliRequest } from '../js-shim/core.mjs' */

const here = dirname(fileURLToPath(import.meta.url));
const wasmPath = process.env.DISPATCH_WASM ?? resolve(here, '../build/wasm/dispatch-tools.wasm');

// The same classification as src/cli/main.cpp makes of errno.
/** @param {any} error @returns {'not_found' | 'permission_denied' | 'is_directory' | 'other'} */
function readFailure(error) {
  switch (error.code) {
    case 'ENOENT': return 'not_found';
    case 'EACCES': return 'permission_denied';
    case 'EISDIR': return 'is_directory';
    default: return 'other';
  }
}

/** @param {string} path */
function readInput(path) {
  if (path === '-') return readFileSync(0);
  if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  return readFileSync(path);
}

/** @param {CliOutput} output */
function emit({ out, err, exit }) {
  process.stdout.write(out);
  process.stderr.write(err);
  process.exitCode = exit;
}

async function main() {
  let core;
  try {
    core = await instantiateCore(readFileSync(wasmPath));
  } catch (error) {
    process.stderr.write(`dispatch: cannot load ${wasmPath}: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  const argv = process.argv.slice(2);
  const plan = core.cliPlan(argv);
  if (!plan.files) return emit(/** @type {CliOutput} */ (plan));
  const files = [];
  for (const path of plan.files) {
    try {
      files.push(readInput(path));
    } catch (error) {
      return emit(core.cliReadError(argv, path, readFailure(error)));
    }
  }
  const answer = core.cliRun(argv, files);
  if (!answer.request) return emit(answer);
  emit(core.cliAnswer(argv, ...await send(answer.request, /** @type {Buffer} */ (files.at(-1)))));
}

// Sorts a failed fetch as src/cli/http_post.cpp sorts errno, so that the core words both alike.
/** @param {any} error @returns {{ failure: string, detail?: string }} */
function failureOf(error) {
  if (error.name === 'TimeoutError') return { failure: 'timed_out' };
  // undici puts the socket's error in `cause`; a connection to every address of a name that failed is an
  // AggregateError whose errors hold the same codes.
  const cause = error.cause ?? {};
  const code = cause.code ?? cause.errors?.[0]?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED': return { failure: 'refused' };
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return { failure: 'timed_out' };
    case 'ENOTFOUND': return { failure: 'dns_not_found' };
    case 'EAI_AGAIN': case 'EAI_FAIL': return { failure: 'dns_failed' };
    case 'ENETUNREACH': case 'EHOSTUNREACH': return { failure: 'unreachable' };
    case 'ECONNRESET': case 'EPIPE': case 'UND_ERR_SOCKET': return { failure: 'closed' };
    default:
  }
  if (code.startsWith('HPE_')) return { failure: 'not_http' };
  // Fetch refuses the ports browsers block (1, 22, 25, …), where the native build would try.
  if (cause.message === 'bad port') return { failure: 'other', detail: 'fetch refuses this port (one browsers block)' };
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_/.test(code)) return { failure: 'tls', detail: cause.message };
  return { failure: 'other', detail: cause.message ?? error.message };
}

// Returns the first `limit` bytes of an answer's body and lets go of the rest; a body cut short (a timeout,
// a reset) is what had come, as the native CLI keeps it.
/** @param {Response} response @param {number} limit */
async function firstBytes(response, limit) {
  const chunks = [];
  let size = 0;
  const reader = response.body?.getReader();
  try {
    while (reader && size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    await reader?.cancel();
  } catch {
    // What came before the failure is the answer.
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

// Makes the request `dispatch send` asked for, as src/cli/main.cpp does: a fresh X-Request-UUID, the answer's
// first 64 KiB. Returns the core's `answer` envelope and the body's bytes.
/** @param {CliRequest} request @param {Buffer} body @returns {Promise<[CliAnswer, Uint8Array]>} */
async function send({ url, headers, timeout_seconds: timeout }, body) {
  const uuid = randomUUID();
  const answer = { url, timeout_seconds: timeout, uuid, status: 0, failure: '', detail: '' };
  try {
    const response = await fetch(url, {
      method: 'POST', body: new Uint8Array(body), redirect: 'manual', signal: AbortSignal.timeout(timeout * 1000),
      headers: [...headers, ['X-Request-UUID', `{${uuid}}`]],
    });
    return [{ ...answer, status: response.status }, await firstBytes(response, 64 * 1024)];
  } catch (error) {
    return [{ ...answer, ...failureOf(error) }, new Uint8Array(0)];
  }
}

await main();
