// Starts the relay as script/server does, for the integration suites: the D1 migrations applied to a
// scratch state folder of its own, then script/dev-relay.mjs (`wrangler dev` without its V8 inspector: the real
// workerd runtime) on a free loopback port. The relay can be killed outright and started again on the same
// state, as a crashed worker would be. withRelay() is how a suite gets one: the relay and the stand-ins it
// talks to, started before the suite's tests and torn down after them.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';

import { startBitbucketStandin } from '../../script/bitbucket-standin.mjs';
import { startDiscordSink } from '../../script/discord-sink.mjs';
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

// Returns a state folder holding a local D1 with migrations/ applied, made once for each set of migrations (and
// wrangler version) under build/relay-d1/ and copied into each relay's state: applying them is a wrangler run of
// a few seconds, a copy is milliseconds. Suites running side by side may make it at once: each makes its own in a
// scratch folder and renames it into place; the rename that comes second finds the folder there and is dropped.
function migratedState() {
  const hash = createHash('sha256');
  hash.update(JSON.parse(readFileSync(resolve(root, 'node_modules/wrangler/package.json'), 'utf8')).version);
  for (const file of readdirSync(resolve(root, 'migrations')).filter((name) => name.endsWith('.sql')).sort()) {
    hash.update(`\0${file}\0`).update(readFileSync(resolve(root, 'migrations', file)));
  }
  const made = resolve(root, 'build/relay-d1', hash.digest('hex').slice(0, 16));
  if (existsSync(join(made, 'applied'))) return made;
  mkdirSync(resolve(root, 'build/relay-d1'), { recursive: true });
  const scratch = mkdtempSync(resolve(root, 'build/relay-d1/making-'));
  const applied = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'dispatch', '--local', '--persist-to', scratch],
    { cwd: root, env: quiet, encoding: 'utf8' });
  assert.equal(applied.status, 0, `migrations failed:\n${applied.stdout}\n${applied.stderr}`);
  writeFileSync(join(scratch, 'applied'), '');
  try {
    renameSync(scratch, made);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // another suite's copy got there first
  }
  return made;
}

// `config` picks another wrangler configuration (the benchmarks' Workers); `migrate: false` skips D1; `port`
// a port picked beforehand (freePort), for a peer that must know the relay's URL before it starts. The relay
// serves /__scheduled (relay.scheduled) and its D1 can be read (relay.sql); relay.close() stops it for good and
// removes its state folder. ALLOW_LOCAL_DESTINATIONS is on unless `vars` says otherwise: the suites deliver to
// stand-ins on 127.0.0.1. `into`: the object to make the relay of (withRelay hands out one before it starts).
/**
 * @param {{ token: string, vars?: Record<string, string | number>, config?: string, migrate?: boolean,
 *   port?: number }} options
 * @param {Record<string, any>} [into]
 */
export async function startRelay({ token, vars: given = {}, config = 'wrangler.toml', migrate = true, port: chosen }, into = {}) {
  const vars = { ALLOW_LOCAL_DESTINATIONS: 'true', ...given };
  assert.ok(existsSync(wrangler), 'wrangler is not installed: run script/bootstrap');
  const state = mkdtempSync(join(tmpdir(), 'dispatch-relay-'));
  if (migrate) cpSync(migratedState(), state, { recursive: true });
  const port = chosen ?? await freePort();
  const relay = Object.assign(into, { base: `http://127.0.0.1:${port}`, token, log: '', process: null, state });
  let d1 = null; // relay.sql's Miniflare, once it is asked
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

  // Kills the launcher and workerd at once (SIGKILL: no graceful shutdown, as in a crash). relay.sql's Miniflare
  // goes too, and is started anew at the next query: it does not hold the file across the relay's restart.
  relay.kill = async () => {
    if (d1) {
      const old = d1;
      d1 = null;
      await old.mf.dispose().catch(() => {});
    }
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

  relay.close = async () => {
    await relay.kill();
    rmSync(state, { recursive: true, force: true });
  };

  // Runs SQL on the relay's local D1 (the SQLite file wrangler dev writes under the state folder), for what the
  // API does not show: `query` text, or {file} for a file of statements. Resolves to the first statement's rows
  // (SQL NULL as null). It goes through a Miniflare of its own on the same folder, started at the first call and
  // kept: a query is then a fraction of a second, where `wrangler d1 execute` started a runtime for each.
  // The relay's workerd holds the same SQLite file: a statement that meets one of its writes gets SQLITE_BUSY
  // (real D1 has one writer and never answers so), and is tried again a moment later; one that meets the file
  // mid-restart of the relay ("internal error") is tried again on a new Miniflare.
  relay.sql = async (query) => {
    const text = typeof query === 'string' ? query : readFileSync(query.file, 'utf8');
    const statements = text.split(/;\s*\n/).map((part) => part.trim().replace(/;$/, '')).filter(Boolean);
    for (let attempt = 1; ; attempt += 1) {
      if (!d1) {
        const { Miniflare } = await import('miniflare');
        const mf = new Miniflare({
          modules: true, script: 'export default { fetch: () => new Response() }',
          d1Databases: { DB: 'dispatch-local' }, d1Persist: join(state, 'v3', 'd1'),
        });
        d1 = { mf, db: await mf.getD1Database('DB') };
      }
      try {
        const [first] = await d1.db.batch(statements.map((statement) => d1.db.prepare(statement)));
        return first.results;
      } catch (error) {
        const message = String(error?.message);
        if (attempt === 10 || !/SQLITE_BUSY|database is locked|internal error/.test(message)) throw error;
        if (/internal error/.test(message)) {
          const old = d1;
          d1 = null;
          await old.mf.dispose().catch(() => {});
        }
      }
      await new Promise((wait) => setTimeout(wait, 250));
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

// Starts a relay and the stand-ins it talks to, each on free ports: a Discord stand-in (`sink: true`), a
// Bitbucket stand-in with an OAuth consumer whose callback is the relay's (`bitbucket: {clientId,
// clientSecret}`), then the relay with admin `token` and `vars` (an object, or a function given {base, sink,
// standin} that returns one: the relay's URL and the stand-ins' are known before it starts). The stand-ins'
// and the relay's objects are `into`'s own when given (withRelay hands them out before they start). Returns
// {relay, sink, standin, close()}; close() stops them all and removes the relay's state.
export async function startFixture({ token, vars = {}, sink: wantSink = false, bitbucket = null }, into = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const fixture = { relay: into.relay ?? {}, sink: null, standin: null };
  const close = async () => {
    await fixture.relay.close?.();
    await fixture.standin?.close();
    await fixture.sink?.close();
  };
  try {
    if (wantSink) fixture.sink = Object.assign(into.sink ?? {}, await startDiscordSink());
    if (bitbucket) {
      const { clientId, clientSecret } = bitbucket;
      const standin = await startBitbucketStandin({ webPort: 0, apiPort: 0, clientId, clientSecret, callbackUrl: `${base}/oauth/bitbucket/callback` });
      fixture.standin = Object.assign(into.standin ?? {}, standin);
    }
    const given = typeof vars === 'function' ? vars({ base, sink: fixture.sink, standin: fixture.standin }) : vars;
    await startRelay({ token, port, vars: given }, fixture.relay);
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return { ...fixture, close };
}

// The one way a suite gets a relay: startFixture's relay and stand-ins, started in a `before` hook of the suite
// (or describe) that calls it and closed in its `after` hook. Returns {relay, sink, standin, ready} at once, as
// objects that are filled in when the hook has run (sink and standin are null unless asked for). The tests run
// after it; another `before` that needs the relay awaits `ready` first: node 20 runs a file's top-level `before`
// hooks side by side, not one after another (those of a describe run in turn).
export function withRelay(options) {
  const into = { relay: {}, sink: options.sink ? {} : null, standin: options.bitbucket ? {} : null };
  let started = null;
  let settle;
  into.ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  into.ready.catch(() => {}); // the hook's own failure is what is reported
  before(async () => {
    try {
      started = await startFixture(options, into);
      settle.resolve();
    } catch (error) {
      settle.reject(error);
      throw error;
    }
  });
  after(() => started?.close());
  return into;
}
