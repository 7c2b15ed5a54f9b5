#!/usr/bin/env node
// Creates the local relay's demo endpoint once (pointed at the local Discord stand-in), then prints its URL,
// its secret and a ready curl that sends a signed sample push. Run by script/server.
//
//   ADMIN_TOKEN=… node script/demo-endpoint.mjs http://127.0.0.1:8787 http://127.0.0.1:8789
//
// What the user changed is theirs: an endpoint this script made before (.wrangler/dispatch-demo.json keeps its
// id and secret) is never patched, re-activated, re-pointed or given a new secret, and one deleted is not made
// again (remove .wrangler/dispatch-demo.json for a new one).

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const demoName = 'demo (local Discord stand-in)';

// Returns {endpoint, secret, note} for the demo endpoint of the relay at BASE, creating it (pointed at SINK)
// only when STATE_FILE names none and no endpoint is called demoName; otherwise {endpoint: null, note} when
// the one it names is gone. Throws on a refused admin call.
export async function ensureDemoEndpoint({ base, sink, token, stateFile, fetchImpl = fetch }) {
  async function api(method, path, body) {
    const response = await fetchImpl(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
    let parsed = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      throw new Error(`${method} ${base}${path} answered ${response.status} with something that is not dispatch's JSON ` +
        `(${JSON.stringify(text.slice(0, 60))}): is another server on that port?`);
    }
    return { status: response.status, body: parsed };
  }

  const shown = relative(process.cwd(), stateFile) || stateFile;
  const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : null;
  if (state?.id) {
    const found = await api('GET', `/api/endpoints/${encodeURIComponent(state.id)}`);
    if (found.status === 200) return { endpoint: found.body, secret: state.secret ?? null, note: null };
    return {
      endpoint: null,
      note: `the demo endpoint ${state.id} no longer exists (deleted, or the local database was reset);\n` +
        `  for a new one: rm ${shown} and run script/server again`,
    };
  }
  const existing = (await api('GET', '/api/endpoints?limit=500')).body.find((item) => item.name === demoName);
  if (existing) {
    // Made by an earlier run whose state file is gone: adopted as it is. Its secret is not shown by the API,
    // and rotating it here could break a webhook that uses it.
    save(stateFile, { id: existing.id, secret: null });
    return {
      endpoint: existing,
      secret: null,
      note: `its secret is not known here (${shown} was lost); a new one, shown once:\n` +
        `  curl -sS -X POST -H 'Authorization: Bearer ${token}' ${base}/api/endpoints/${existing.id}/secret`,
    };
  }
  const destination = `${sink}/api/webhooks/1200000000000000001/demo-webhook-token`;
  const created = await api('POST', '/api/endpoints', { name: demoName, destination_url: destination, events: { mode: 'all' } });
  save(stateFile, { id: created.body.id, secret: created.body.secret });
  return { endpoint: created.body, secret: created.body.secret, note: null };
}

// Writes STATE to FILE (mode 0600: it holds a secret) through a temporary file, so a crash leaves the old one.
function save(file, state) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.new`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

// Returns the lines script/server prints about the demo endpoint.
/**
 * @param {{ base: string, sink: string, token: string, endpoint: any, secret?: string | null,
 *   note?: string | null }} demo
 */
export function describe({ base, sink, token, endpoint, secret, note }) {
  const lines = [`\ndispatch is running on ${base}\n`, `  admin token     ${token}`];
  if (!endpoint) {
    lines.push(`  demo endpoint   ${note}`);
  } else {
    const local = endpoint.destination_url.startsWith(`${sink}/`);
    lines.push(
      `  demo endpoint   ${endpoint.url}${endpoint.state && endpoint.state !== 'active' ? `  (${endpoint.state}: as you left it)` : ''}`,
      `  its secret      ${secret ?? '(not known here: see below)'}`,
      local
        ? `  delivers to     the local Discord stand-in on ${sink} (messages are printed below)`
        : `  delivers to     ${endpoint.destination_url} (your change: script/server leaves it alone)`,
    );
  }
  lines.push(`  preview page    ${base}/preview  (see a payload as Discord will draw it)`);
  if (endpoint && secret) {
    lines.push(`
Send a signed sample push (from the repository folder; each run sends a new one: the same bytes sent again
would be a replay, answered 200 "duplicate" and not delivered again):

  body=$(node script/sample-push.mjs)
  curl -sS ${endpoint.url} \\
    -H 'X-Event-Key: repo:push' -H "X-Request-UUID: $(cat /proc/sys/kernel/random/uuid)" \\
    -H "X-Hub-Signature: sha256=$(printf %s "$body" | openssl dgst -sha256 -hmac '${secret}' -r | cut -d' ' -f1)" \\
    --data-binary "$body"

or with the dispatch command (README: "The \`dispatch\` command"; \`node wasm/cli.mjs\` is it, built for wasm):

  node script/sample-push.mjs --forced | node wasm/cli.mjs send ${endpoint.url} --secret '${secret}' --event repo:push -`);
  } else if (endpoint) {
    lines.push('', note);
  }
  if (endpoint) {
    lines.push(`
Then its delivery log:

  curl -sS -H 'Authorization: Bearer ${token}' ${base}/api/endpoints/${endpoint.id}/deliveries

To see it in a real channel, point it at a Discord webhook (script/server never changes it back; put the
channel's webhook URL, from Discord's channel settings → Integrations → Webhooks, in place of <…>):

  curl -sS -X PATCH -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' \\
    -d '{"destination_url": "<your Discord webhook URL>"}' ${base}/api/endpoints/${endpoint.id}`);
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const [base, sink] = process.argv.slice(2);
  const token = process.env.ADMIN_TOKEN;
  const stateFile = resolve(root, '.wrangler/dispatch-demo.json');
  try {
    const found = await ensureDemoEndpoint({ base, sink, token, stateFile });
    process.stdout.write(describe({ base, sink, token, ...found }));
  } catch (error) {
    console.error(`demo-endpoint: ${error.message}`);
    process.exit(1);
  }
}
