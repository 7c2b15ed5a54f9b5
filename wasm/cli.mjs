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

const here = dirname(fileURLToPath(import.meta.url));
const wasmPath = process.env.DISPATCH_WASM ?? resolve(here, '../build/wasm/dispatch-tools.wasm');

// The same classification as src/cli/main.cpp makes of errno.
function readFailure(error) {
  switch (error.code) {
    case 'ENOENT': return 'not_found';
    case 'EACCES': return 'permission_denied';
    case 'EISDIR': return 'is_directory';
    default: return 'other';
  }
}

function readInput(path) {
  if (path === '-') return readFileSync(0);
  if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  return readFileSync(path);
}

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
  if (!plan.files) return emit(plan);
  const files = [];
  for (const path of plan.files) {
    try {
      files.push(readInput(path));
    } catch (error) {
      return emit(core.cliReadError(argv, path, readFailure(error)));
    }
  }
  const answer = core.cliRun(argv, files);
  emit(answer.request ? await send(answer.request, files.at(-1)) : answer);
}

// Makes the request `dispatch send` asked for, as src/cli/main.cpp does: a fresh X-Request-UUID, then the
// status line and the answer's body.
async function send({ url, headers }, body) {
  const uuid = randomUUID();
  try {
    const response = await fetch(url, {
      method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(15_000),
      headers: [...headers, ['X-Request-UUID', `{${uuid}}`]],
    });
    let text = (await response.text()).slice(0, 64 * 1024);
    if (text !== '' && !text.endsWith('\n')) text += '\n';
    const ok = response.status >= 200 && response.status < 300;
    return { out: `HTTP ${response.status} (X-Request-UUID {${uuid}})\n${text}`, err: '', exit: ok ? 0 : 1 };
  } catch (error) {
    return { out: '', err: `dispatch: send: ${error.cause?.message ?? error.message}\n`, exit: 2 };
  }
}

await main();
