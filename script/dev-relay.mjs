#!/usr/bin/env node
// Runs the Worker locally as `wrangler dev` does (workerd, with local D1 and Queues), through wrangler's
// programmatic API so that no V8 inspector is opened. `wrangler dev` always gives workerd one on a random
// loopback port, and its command line has no switch to turn it off: any local process could attach and read
// the Worker's variables, ADMIN_TOKEN and SECRETS_KEY among them. Run by script/server and tests/js/relay.mjs.
//
//   node script/dev-relay.mjs [--config wrangler.toml] [--ip 127.0.0.1] [--port 8787] [--persist-to DIR]
//     [--test-scheduled] [--var NAME:VALUE]… [--inspector-port PORT]
//
// The options are `wrangler dev`'s. Secrets come from the .dev.vars beside the configuration, as with
// `wrangler dev`; a --var overrides them and an earlier --var of the same name. --inspector-port opens an
// inspector on 127.0.0.1:PORT after all, for debugging. wrangler's output ("Ready on http://…", the Worker's
// console) is printed as it comes. Runs until SIGINT or SIGTERM, then stops workerd and exits 0; exits 1 with
// the error if the Worker does not start or fails.

import { once } from 'node:events';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { unstable_startWorker as startWorker } from 'wrangler';

// Returns startWorker's input for the command line `argv`; throws a TypeError on an unknown option, or on a
// --var or a port that is malformed.
/** @param {string[]} argv @returns {Parameters<typeof startWorker>[0]} */
function devInput(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string', default: 'wrangler.toml' },
      ip: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8787' },
      'persist-to': { type: 'string' },
      'test-scheduled': { type: 'boolean', default: false },
      var: { type: 'string', multiple: true, default: [] },
      'inspector-port': { type: 'string' },
    },
  });
  const port = (text, option) => {
    if (!/^\d+$/.test(text) || Number(text) > 65535) throw new TypeError(`--${option} takes a port number, not "${text}"`);
    return Number(text);
  };
  /** @type {Record<string, { type: 'plain_text', value: string }>} */
  const bindings = {};
  for (const pair of values.var) {
    const colon = pair.indexOf(':');
    if (colon < 1) throw new TypeError(`--var takes NAME:VALUE, not "${pair}"`);
    bindings[pair.slice(0, colon)] = { type: 'plain_text', value: pair.slice(colon + 1) };
  }
  const inspectorPort = values['inspector-port'];
  return {
    config: values.config,
    bindings,
    sendMetrics: false,
    dev: {
      // Local only: no remote bindings, so nothing asks for a Cloudflare login.
      remote: false,
      server: { hostname: values.ip, port: port(values.port, 'port') },
      persist: values['persist-to'],
      testScheduled: values['test-scheduled'],
      inspector: inspectorPort === undefined ? false : { hostname: '127.0.0.1', port: port(inspectorPort, 'inspector-port') },
    },
  };
}

// The folder the Worker keeps its local D1 and queues in: --persist-to, else wrangler's .wrangler/state beside
// the configuration.
function persistFolder(argv) {
  const { values } = parseArgs({ args: argv, strict: false, options: { config: { type: 'string' }, 'persist-to': { type: 'string' } } });
  return String(values['persist-to'] ?? join(dirname(String(values.config ?? 'wrangler.toml')), '.wrangler', 'state'));
}

// Takes the group's and others' bits off `path` and everything below it (a folder that is not there is left).
function privateTree(path) {
  if (!existsSync(path)) return;
  const stat = statSync(path);
  chmodSync(path, stat.mode & 0o700);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) privateTree(join(path, entry));
}

// Starts the Worker for `argv` and returns once it answers; throws what stopped it from starting (startWorker's
// error, or the first error its dev environment reports before it is ready), the Worker disposed of.
async function start(argv) {
  const worker = await startWorker(devInput(argv));
  // wrangler reports bundling and runtime failures as 'error' events on the dev environment, not by rejecting.
  const failed = once(worker.raw, 'error').then(([event]) => { throw failure(event); });
  try {
    await Promise.race([worker.ready, failed]);
  } catch (error) {
    await worker.raw.teardown().catch(() => {});
    throw error;
  }
  failed.catch(() => {}); // from here on the listener in main() reports errors
  return worker;
}

// Returns an Error for an 'error' event of wrangler's dev environment ({source, reason, cause}, or an Error).
function failure(event) {
  if (event instanceof Error) return event;
  return new Error(`${event.source}: ${event.reason}`, { cause: event.cause });
}

// Runs the launcher: starts the Worker, stops it on SIGINT or SIGTERM (exit 0) or when it fails (exit 1).
async function main() {
  // The local D1 holds every endpoint and payload: what the Worker writes (workerd inherits this) is private to
  // the user who runs it, and so is a state folder that an earlier run left readable.
  process.umask(0o077);
  privateTree(persistFolder(process.argv.slice(2)));
  let worker;
  try {
    worker = await start(process.argv.slice(2));
  } catch (error) {
    console.error('dev-relay: the Worker did not start:', error);
    process.exit(1);
  }
  worker.raw.on('error', async (event) => {
    console.error('dev-relay: the Worker failed:', failure(event));
    await worker.dispose().catch(() => {});
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    // Once: a second signal ends the process at once, should disposing hang.
    process.once(signal, async () => {
      await worker.dispose().catch((error) => console.error('dev-relay: stopping the Worker failed:', error));
      process.exit(0);
    });
  }
}

await main();
