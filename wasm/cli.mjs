#!/usr/bin/env node
// The `dispatch` command on the wasm build, under node: same arguments, output and exit codes as the
// native binary, because both only read files and print what the core's command line answers.
//
//   node wasm/cli.mjs <command> [options]     (DISPATCH_WASM=path/to/dispatch-tools.wasm to choose the build)

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
  emit(core.cliRun(argv, files));
}

await main();
