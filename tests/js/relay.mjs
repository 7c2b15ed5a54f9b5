// Starts the relay as script/server does, for the integration suites: the D1 migrations applied to a
// scratch state folder, then script/dev-relay.mjs (`wrangler dev` without its V8 inspector: the real workerd
// runtime) on a free loopback port. The relay can be killed outright and started again on the same state, as
// a crashed worker would be.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { root } from './helpers.mjs';

const wrangler = resolve(root, 'node_modules/.bin/wrangler');
const devRelay = resolve(root, 'script/dev-relay.mjs');
const quiet = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' };

export function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address());
      probe.close(() => done(port));
    });
  });
}

// Copies what the Worker runs (its configuration, js-shim/, the site and the wasm module) into `state` and
// returns the copy's configuration: wrangler watches the Worker's files and reloads it when one is saved,
// which kills the requests in flight (its proxy answers them 503 "Your worker restarted mid-request"), so a
// relay of the tests runs from a snapshot that an edit made meanwhile does not touch.
function snapshot(state) {
  const into = join(state, 'worker');
  for (const path of ['wrangler.toml', 'js-shim', 'build/site', 'build/wasm/dispatch.wasm']) {
    cpSync(resolve(root, path), join(into, path), { recursive: true });
  }
  return join(into, 'wrangler.toml');
}

// `config` picks another wrangler configuration (the benchmarks' Workers); `migrate: false` skips D1; `port`
// a port picked beforehand (freePort), for a peer that must know the relay's URL before it starts. The relay
// serves /__scheduled (relay.scheduled) and its D1 can be read (relay.sql).
// ALLOW_LOCAL_DESTINATIONS is on unless `vars` says otherwise: the suites deliver to stand-ins on 127.0.0.1.
/**
 * @param {{ token: string, vars?: Record<string, string | number>, config?: string, migrate?: boolean,
 *   port?: number }} options
 */
export async function startRelay({ token, vars: given = {}, config = 'wrangler.toml', migrate = true, port: chosen }) {
  const vars = { ALLOW_LOCAL_DESTINATIONS: 'true', ...given };
  assert.ok(existsSync(wrangler), 'wrangler is not installed: run script/bootstrap');
  const state = mkdtempSync(join(tmpdir(), 'dispatch-relay-'));
  if (migrate) {
    const applied = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'dispatch', '--local', '--persist-to', state],
      { cwd: root, env: quiet, encoding: 'utf8' });
    assert.equal(applied.status, 0, `migrations failed:\n${applied.stdout}\n${applied.stderr}`);
  }
  const port = chosen ?? await freePort();
  const relay = { base: `http://127.0.0.1:${port}`, token, log: '', process: null, state };
  const runs = config === 'wrangler.toml' ? snapshot(state) : config;
  const args = () => [devRelay, '--config', runs, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state,
    '--test-scheduled', '--var', `ADMIN_TOKEN:${token}`,
    ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`])];

  // `changed` vars apply from this start on (a restart with another configuration, same state).
  relay.start = async (changed = {}) => {
    Object.assign(vars, changed);
    const child = spawn(process.execPath, args(), { cwd: root, detached: true, env: quiet });
    relay.process = child;
    child.stdout.on('data', (chunk) => { relay.log += chunk; });
    child.stderr.on('data', (chunk) => { relay.log += chunk; });
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await fetch(`${relay.base}/api/events`);
        return;
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`the relay did not start:\n${relay.log}`);
        await new Promise((wait) => setTimeout(wait, 200));
      }
    }
  };

  // Kills the launcher and workerd at once (SIGKILL: no graceful shutdown, as in a crash).
  relay.kill = async () => {
    const child = relay.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await exited;
    // workerd may linger a moment after its parent; wait until the port is free again.
    for (let i = 0; i < 50; i += 1) {
      try {
        await fetch(`${relay.base}/api/events`);
        await new Promise((wait) => setTimeout(wait, 100));
      } catch {
        return;
      }
    }
  };

  // Runs SQL on the relay's local D1 (the files wrangler dev writes), for what the API does not show: `query`
  // text, or {file} for a file of statements. Returns the first statement's rows.
  // The relay's workerd holds the same SQLite file: a statement that meets one of its writes gets SQLITE_BUSY
  // (real D1 has one writer and never answers so), and is tried again a moment later.
  relay.sql = (query) => {
    const source = typeof query === 'string' ? ['--command', query] : ['--file', query.file];
    for (let attempt = 1; ; attempt += 1) {
      const run = spawnSync(wrangler, ['d1', 'execute', 'dispatch', '--local', '--persist-to', state, '--json', ...source],
        { cwd: root, encoding: 'utf8', env: quiet });
      if (run.status === 0) return JSON.parse(run.stdout)[0].results;
      if (attempt === 10 || !`${run.stdout}${run.stderr}`.includes('SQLITE_BUSY')) assert.fail(`${run.stdout}\n${run.stderr}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  };

  // Runs the scheduled handler (sweep, retention, re-sealing) once, as the cron would.
  relay.scheduled = async () => {
    const response = await fetch(`${relay.base}/__scheduled?cron=*+*+*+*+*`);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
  };

  relay.api = async (method, path, body) => {
    const call = () => fetch(`${relay.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    let response;
    try {
      response = await call();
    } catch (error) {
      // A kept-alive connection the runtime's proxy closed while idle fails the next request on it before it
      // is sent ("other side closed"); a read is safe to make again, once, on a new connection.
      if (method !== 'GET' || error?.name !== 'TypeError') throw new Error(`${method} ${path}: ${error.cause?.message ?? error.message}`, { cause: error });
      response = await call();
    }
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: response.headers };
  };

  await relay.start();
  return relay;
}
