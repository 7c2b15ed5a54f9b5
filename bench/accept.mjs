// What a request costs on the accept path, POST /hooks/{endpoint} answered 202, measured with wrk on
// loopback against three Workers in the same run, each under `wrangler dev` (workerd), one at a time:
//   noop       answers 202 at once: the runtime's and wrangler dev's own floor
//   core-only  reads the body and runs the wasm core (verify, filter, render): no storage
//   relay      the real Worker: the D1 read of the endpoint, the core, the D1 insert (with dedupe) and the
//              queue send; also measured on an unknown endpoint (the read alone) and an ignored event (read,
//              core and log write, no queue)
// Every request is the same signed push body with a fresh X-Request-UUID, so the relay accepts each one
// (no duplicates). The relay's deliveries go to the local Discord stand-in meanwhile, as they would.
//
//   node bench/accept.mjs [--seconds 15] [--connections 8]      (needs wrk: apt-get install wrk)

import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { startDiscordSink } from '../script/discord-sink.mjs';
import { root } from '../tests/js/helpers.mjs';
import { startRelay } from '../tests/js/relay.mjs';

const option = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const seconds = option('seconds', 15);
const connections = option('connections', 8);
const secret = 'bench-secret-0123456789abcdef';
const body = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));
const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed: apt-get install wrk');
  process.exit(2);
}

// A wrk script: the body and headers once, a random X-Request-UUID per request.
const scratch = mkdtempSync(join(tmpdir(), 'dispatch-bench-'));
writeFileSync(join(scratch, 'body.json'), body);
const script = (event) => {
  const path = join(scratch, `${event.replace(':', '-')}.lua`);
  writeFileSync(path, luaFor(event));
  return path;
};
const luaFor = (event) => `
local f = io.open("${join(scratch, 'body.json')}", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Event-Key"] = "${event}"
wrk.headers["X-Hub-Signature"] = "${signature}"
local counter = 0
request = function()
  counter = counter + 1
  wrk.headers["X-Request-UUID"] = string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff), math.random(0, 0xfff), counter)
  return wrk.format()
end
`;

function wrk(url, duration, event) {
  const run = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', '-s', script(event), url], { encoding: 'utf8' });
  const out = run.stdout;
  const number = (pattern) => Number((pattern.exec(out) ?? [])[1]);
  const ms = (label) => {
    const match = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!match) return NaN;
    return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2]];
  };
  const requests = number(/(\d+) requests in/);
  const errors = number(/Non-2xx or 3xx responses: (\d+)/) || 0;
  return { rps: number(/Requests\/sec:\s+([\d.]+)/), p50: ms(' 50%'), p99: ms(' 99%'), requests, errors, raw: out };
}

async function measure(name, relay, url, event = 'repo:push', keep = false) {
  wrk(url, 3, event); // warm-up: isolates, the wasm instance, D1's file
  const result = wrk(url, seconds, event);
  if (!keep) await relay.kill();
  console.error(`${name}: ${result.rps} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.errors} of ${result.requests} not 2xx`);
  return { name, ...result };
}

const token = 'bench-admin-token-0123456789';
const results = [];
const noop = await startRelay({ token, config: 'bench/workers/noop.toml', migrate: false });
results.push(await measure('noop', noop, `${noop.base}/hooks/bench`));
const coreOnly = await startRelay({ token, config: 'bench/workers/core-only.toml', migrate: false, vars: { BENCH_SECRET: secret } });
results.push(await measure('core-only', coreOnly, `${coreOnly.base}/hooks/bench`));
const sink = await startDiscordSink();
const relay = await startRelay({ token });
const endpoint = await relay.api('POST', '/api/endpoints', {
  name: 'bench', destination_url: sink.webhook('bench-token'), events: { mode: 'all' }, secret,
});
const pushOnly = await relay.api('POST', '/api/endpoints', {
  name: 'bench push only', destination_url: sink.webhook('bench-token'), events: { mode: 'push' }, secret,
});
// An unknown endpoint: one D1 read, answered 404.
results.push(await measure('relay, unknown endpoint (404)', relay, `${relay.base}/hooks/unknown`, 'repo:push', true));
// An event the endpoint does not select: the D1 read and the log write, no queue and no delivery.
results.push(await measure('relay, ignored event', relay, pushOnly.body.url, 'repo:fork', true));
results.push(await measure('relay', relay, endpoint.body.url));
await sink.close();

const floor = results[0].rps;
console.log(`accept path, ${seconds} s per Worker, ${connections} connections, wrk on loopback (${body.length}-byte push)`);
console.log('| Worker | requests/s | vs no-op | p50 ms | p99 ms | not 2xx |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${(r.rps / floor).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} of ${r.requests} |`);
}
