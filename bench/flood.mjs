// What a flood of unsigned requests to a known hook URL costs the real deliveries beside it (the second security
// probe found that the refusal path cost as much as a delivery, a D1 write each). One relay under script/dev-relay.mjs
// (workerd), one endpoint; rounds that alternate, for the same number of seconds each:
//   alone     valid signed pushes, one at a time (c=1), each answered 202 and delivered to the Discord stand-in;
//   floor     the same, while requests to an unknown hook URL arrive at the flood's rate (404: no D1, no core):
//             what any request costs the local runtime (its proxy, workerd, this client), whatever dispatch does;
//   unsigned  the same, while unsigned requests to the endpoint's own URL arrive at that rate (401 each).
// The flood's rate is `--times` (10) the valid rate alone in the round, or `--flood-rate` requests a second;
// paced, with at most 256 in flight. Printed per round: the valid rates and latencies, and two ratios:
//   unsigned/alone   what the flood costs the valid deliveries (the goal: above 0.8);
//   unsigned/floor   what dispatch's refusal path costs beyond the runtime's own per-request cost.
// Then each ratio's median and spread. Ratios within one run, never absolute times: the machine's load
// moves both sides of each ratio alike. Locally the relay, the stand-ins and this client share the cores, so
// a flood past what the runtime takes saturates it whatever the refusal costs: unsigned/floor says that part.
//
//   node bench/flood.mjs [--seconds 8] [--rounds 3] [--times 10 | --flood-rate N]

import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { startDiscordSink } from '../script/discord-sink.mjs';
import { root } from '../tests/js/helpers.mjs';
import { startRelay } from '../tests/js/relay.mjs';

const option = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const seconds = option('seconds', 8);
const rounds = option('rounds', 3);
const times = option('times', 10);
const fixedRate = option('flood-rate', 0);
const maxInFlight = 256; // flood requests outstanding at once; past it the pace is what the relay takes

const token = 'flood-bench-admin-token-0123456789';
const body = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));

// Sends valid signed pushes one after another until `until`; returns each one's latency in ms.
async function valid(endpoint, until) {
  const signature = `sha256=${createHmac('sha256', endpoint.secret).update(body).digest('hex')}`;
  const latencies = [];
  while (Date.now() < until) {
    const started = performance.now();
    const answer = await fetch(endpoint.url, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-event-key': 'repo:push', 'x-hub-signature': signature, 'x-request-uuid': randomUUID() },
    });
    await answer.arrayBuffer();
    if (answer.status !== 202) throw new Error(`a valid push was answered ${answer.status}`);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

// Sends unsigned requests to `url` at `rate` a second until `until`; returns how many were sent and their statuses.
async function flood(url, rate, until) {
  const statuses = new Map();
  let sent = 0;
  let inFlight = 0;
  const started = Date.now();
  const pending = new Set();
  while (Date.now() < until) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (sent < due && inFlight < maxInFlight) {
      sent += 1;
      inFlight += 1;
      const request = fetch(url, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', 'x-event-key': 'repo:push', 'x-request-uuid': randomUUID() },
      }).then(async (answer) => {
        await answer.arrayBuffer();
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }, () => statuses.set('error', (statuses.get('error') ?? 0) + 1)).finally(() => {
        inFlight -= 1;
        pending.delete(request);
      });
      pending.add(request);
    }
    await new Promise((wait) => setTimeout(wait, 5));
  }
  await Promise.all(pending);
  return { sent, statuses: Object.fromEntries(statuses) };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const median = (values) => percentile(values, 50);

const sink = await startDiscordSink();
const relay = await startRelay({ token, vars: { REPLAY_WINDOW_SECONDS: 0 } });
try {
  const created = await relay.api('POST', '/api/endpoints', {
    name: 'flood-bench', destination_url: sink.webhook('flood-bench-token'), events: { mode: 'push' },
  });
  if (created.status !== 201) throw new Error(`endpoint: ${created.status} ${JSON.stringify(created.body)}`);
  const endpoint = created.body;
  await valid(endpoint, Date.now() + 2000); // warm-up: the isolate, the core, D1's pages

  const floodRate = (aloneRate) => (fixedRate > 0 ? fixedRate : aloneRate * times);
  console.log(`flood bench: ${rounds} rounds of ${seconds} s each alone, beside a floor flood and beside an unsigned flood `
    + `(${fixedRate > 0 ? `${fixedRate}/s` : `${times}x the valid rate alone`})`);
  console.log('round  alone/s p50 ms | flood/s  floor: valid/s p50 ms  unsigned: valid/s p50 ms  p99 ms | unsigned/alone unsigned/floor');
  const costs = [];
  const margins = [];
  const beside = async (endpoint, url, rate) => {
    const until = Date.now() + seconds * 1000;
    const [latencies, flooded] = await Promise.all([valid(endpoint, until), flood(url, rate, until)]);
    return { latencies, rate: latencies.length / seconds, flooded };
  };
  for (let round = 1; round <= rounds; round += 1) {
    const alone = await valid(endpoint, Date.now() + seconds * 1000);
    const aloneRate = alone.length / seconds;
    const rate = floodRate(aloneRate);
    const floor = await beside(endpoint, `${relay.base}/hooks/no-such-endpoint`, rate);
    const unsigned = await beside(endpoint, endpoint.url, rate);
    if ((unsigned.flooded.statuses[401] ?? 0) !== unsigned.flooded.sent) console.log(`  (unsigned flood answers: ${JSON.stringify(unsigned.flooded.statuses)})`);
    costs.push(unsigned.rate / aloneRate);
    margins.push(unsigned.rate / floor.rate);
    const f = (value, width, digits = 1) => value.toFixed(digits).padStart(width);
    console.log(`${String(round).padStart(5)}  ${f(aloneRate, 7)} ${f(median(alone), 6)} | ${f(unsigned.flooded.sent / seconds, 7)}  `
      + `${f(floor.rate, 13)} ${f(median(floor.latencies), 6)}  ${f(unsigned.rate, 16)} ${f(median(unsigned.latencies), 6)}  `
      + `${f(percentile(unsigned.latencies, 99), 6)} | ${f(costs.at(-1), 14, 2)} ${f(margins.at(-1), 14, 2)}`);
  }
  const spread = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${median(values).toFixed(2)} (spread ${sorted[0].toFixed(2)}-${sorted.at(-1).toFixed(2)})`;
  };
  console.log(`valid throughput beside the unsigned flood, over alone: ${spread(costs)}; over beside the floor flood: `
    + `${spread(margins)}; ${rounds} rounds`);
} finally {
  await relay.kill();
  await sink.close();
}
