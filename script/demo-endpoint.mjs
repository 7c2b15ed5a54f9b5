#!/usr/bin/env node
// Makes sure the local relay has a demo endpoint pointed at the local Discord stand-in, then prints its URL,
// its secret and a ready curl that sends a signed sample push. Run by script/server.
//
//   ADMIN_TOKEN=… node script/demo-endpoint.mjs http://127.0.0.1:8787 http://127.0.0.1:8789

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [base, sink] = process.argv.slice(2);
const token = process.env.ADMIN_TOKEN;
const stateFile = resolve(root, '.wrangler/dispatch-demo.json');
const name = 'demo (local Discord stand-in)';
const destination = `${sink}/api/webhooks/1200000000000000001/demo-webhook-token`;

async function api(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

let state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : null;
let endpoint = state ? (await api('GET', `/api/endpoints/${state.id}`)) : null;
if (endpoint?.status === 200) {
  endpoint = (await api('PATCH', `/api/endpoints/${state.id}`, { destination_url: destination, active: true })).body;
} else {
  // The state file is gone (or the database was reset): reuse a demo endpoint by name with a new secret,
  // or create one.
  const existing = (await api('GET', '/api/endpoints')).body.find((item) => item.name === name);
  if (existing) {
    endpoint = (await api('PATCH', `/api/endpoints/${existing.id}`, { destination_url: destination, active: true })).body;
    state = { id: existing.id, secret: (await api('POST', `/api/endpoints/${existing.id}/secret`)).body.secret };
  } else {
    endpoint = (await api('POST', '/api/endpoints', { name, destination_url: destination, events: { mode: 'all' } })).body;
    state = { id: endpoint.id, secret: endpoint.secret };
  }
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

const sample = 'tests/vectors/bodies/push.json';
console.log(`
dispatch is running on ${base}

  admin token     ${token}
  demo endpoint   ${endpoint.url}
  its secret      ${state.secret}
  delivers to     the local Discord stand-in on ${sink} (messages are printed below)
  preview page    ${base}/preview  (see a payload as Discord will draw it)

Send a signed sample push (from the repository folder):

  curl -sS ${endpoint.url} \\
    -H 'X-Event-Key: repo:push' -H "X-Request-UUID: $(cat /proc/sys/kernel/random/uuid)" \\
    -H "X-Hub-Signature: sha256=$(openssl dgst -sha256 -hmac '${state.secret}' -r ${sample} | cut -d' ' -f1)" \\
    --data-binary @${sample}

Then its delivery log:

  curl -sS -H 'Authorization: Bearer ${token}' ${base}/api/endpoints/${endpoint.id}/deliveries

A real Discord webhook works the same way: PATCH the endpoint's destination_url, or POST /api/endpoints.
`);
