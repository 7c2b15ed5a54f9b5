#!/usr/bin/env node
// A local stand-in for Discord's webhook API, for script/server and the integration tests. It follows
// Discord's documented behaviour for `POST /api/webhooks/{id}/{token}`:
//   - a JSON body with content, embeds or components; limits checked as Discord does (400, code 50035
//     "Invalid Form Body"; 50006 "Cannot send an empty message");
//   - 200 with the created message object when `?wait=true`, else 204;
//   - rate-limit headers on every answer (X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket).
// A test scripts what the next answers for a webhook are: {status:429, retry_after} (Discord's body and
// headers), {status:429, bare:true} (Cloudflare's block: no retry_after, no Retry-After), {status:500},
// {status:404} (Unknown Webhook), {hang_ms} (answers late).
//
//   node script/discord-sink.mjs [--port 8789]      prints each message it receives
//
// Control (tests): POST /_sink/script/{token} [answers…]; GET /_sink/received/{token}; POST /_sink/reset.

import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const limits = {
  content: 2000, embeds: 10, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024,
  footer: 2048, author: 256, total: 6000,
};

const fault = (code, message) => ({ _errors: [{ code, message }] });
const maxLength = (max) => fault('BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);

// Returns Discord's 50035 errors for a message body, or null when it would be accepted.
export function formErrors(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return fault('MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
  }
  const errors = {};
  const count = (value) => (typeof value === 'string' ? [...value].length : 0);
  // Discord nests its errors by path: {"embeds": {"0": {"title": {"_errors": […]}}}}.
  const put = (path, error) => {
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce((node, key) => (node[key] ??= {}), errors);
    parent[keys.at(-1)] = error;
  };
  const tooLong = (path, value, max) => {
    if (count(value) > max) put(path, maxLength(max));
  };
  tooLong('content', body.content, limits.content);
  const embeds = body.embeds ?? [];
  if (!Array.isArray(embeds) || embeds.length > limits.embeds) errors.embeds = maxLength(limits.embeds);
  let total = 0;
  (Array.isArray(embeds) ? embeds : []).forEach((embed, i) => {
    tooLong(`embeds.${i}.title`, embed.title, limits.title);
    tooLong(`embeds.${i}.description`, embed.description, limits.description);
    tooLong(`embeds.${i}.author.name`, embed.author?.name, limits.author);
    tooLong(`embeds.${i}.footer.text`, embed.footer?.text, limits.footer);
    const fields = embed.fields ?? [];
    if (fields.length > limits.fields) put(`embeds.${i}.fields`, maxLength(limits.fields));
    fields.forEach((field, j) => {
      tooLong(`embeds.${i}.fields.${j}.name`, field.name, limits.fieldName);
      tooLong(`embeds.${i}.fields.${j}.value`, field.value, limits.fieldValue);
      total += count(field.name) + count(field.value);
    });
    total += count(embed.title) + count(embed.description) + count(embed.author?.name) + count(embed.footer?.text);
  });
  if (total > limits.total) errors.embeds = fault('MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
  return Object.keys(errors).length > 0 ? errors : null;
}

let snowflake = 1_300_000_000_000_000_000n;

export function startDiscordSink({ port = 0, host = '127.0.0.1', print = false } = {}) {
  const scripts = new Map();   // token -> [answer…]
  const received = new Map();  // token -> [{at, query, answered, body, id?}] once answered
  const arrivals = new Map();  // token -> requests that arrived, answered or not yet
  const bucket = { remaining: 5 };

  const send = (response, status, body, headers = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const rateHeaders = () => {
    bucket.remaining = bucket.remaining <= 0 ? 4 : bucket.remaining - 1;
    return {
      'x-ratelimit-limit': '5', 'x-ratelimit-remaining': String(bucket.remaining),
      'x-ratelimit-reset': ((Date.now() + 2000) / 1000).toFixed(3), 'x-ratelimit-reset-after': '2.000',
      'x-ratelimit-bucket': 'a3f0c1d2e5b4a6978812f0e1d2c3b4a5',
    };
  };

  const server = createServer(async (request, response) => {
    const url = new URL(request.url, 'http://sink');
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');

    const control = /^\/_sink\/(script|received)\/([^/]+)$/.exec(url.pathname);
    if (control && control[1] === 'script' && request.method === 'POST') {
      scripts.set(control[2], JSON.parse(text));
      return send(response, 204);
    }
    if (control && control[1] === 'received') return send(response, 200, received.get(control[2]) ?? []);
    if (url.pathname === '/_sink/reset' && request.method === 'POST') {
      scripts.clear();
      received.clear();
      arrivals.clear();
      return send(response, 204);
    }

    const hook = /^\/api(?:\/v\d+)?\/webhooks\/(\d+)\/([^/]+)$/.exec(url.pathname);
    if (!hook) return send(response, 404, { message: '404: Not Found', code: 0 });
    if (request.method !== 'POST') return send(response, 405, { message: '405: Method Not Allowed', code: 0 });
    const [, webhookId, token] = hook;
    arrivals.set(token, (arrivals.get(token) ?? 0) + 1);
    const scripted = scripts.get(token)?.shift();
    if (scripted?.hang_ms) {
      await new Promise((resume) => setTimeout(resume, scripted.hang_ms));
      if (request.socket.destroyed) return undefined; // the caller gave up or died: nothing was posted
    }
    const status = scripted?.status ?? 200;
    const log = received.get(token) ?? [];
    received.set(token, log);
    const record = (answered, body, id) => log.push({ at: new Date().toISOString(), query: url.search, answered, body, id });

    let body;
    try {
      body = JSON.parse(text);
    } catch {
      record(400, text);
      return send(response, 400, { message: 'The request body contains invalid JSON.', code: 50109 }, rateHeaders());
    }
    if (status === 404) {
      record(404, body);
      return send(response, 404, { message: 'Unknown Webhook', code: 10015 });
    }
    if (status === 401) {
      record(401, body);
      return send(response, 401, { message: 'Invalid Webhook Token', code: 50027 });
    }
    if (status === 400) {
      record(400, body);
      const errors = { embeds: { 0: { description: maxLength(limits.description) } } };
      return send(response, 400, { message: 'Invalid Form Body', code: 50035, errors }, rateHeaders());
    }
    if (status === 403) {
      record(403, body);
      return send(response, 403, { message: 'Missing Permissions', code: 50013 }, rateHeaders());
    }
    if (status === 429 && scripted.bare) {
      record(429, body);
      response.writeHead(429, { 'content-type': 'text/html' });
      return response.end('<html><body>Error 1015: You are being rate limited.</body></html>');
    }
    if (status === 429) {
      record(429, body);
      const retryAfter = scripted.retry_after ?? 1.5;
      return send(response, 429, { message: 'You are being rate limited.', retry_after: retryAfter, global: false },
        { ...rateHeaders(), 'retry-after': String(Math.ceil(retryAfter)), 'x-ratelimit-remaining': '0', 'x-ratelimit-scope': 'user' });
    }
    if (status >= 500) {
      record(status, body);
      return send(response, status, { message: 'Internal Server Error', code: 0 });
    }
    const empty = !(typeof body?.content === 'string' && body.content.length > 0) && !(Array.isArray(body?.embeds) && body.embeds.length > 0);
    const errors = formErrors(body);
    if (errors || empty) {
      record(400, body);
      return send(response, 400, empty && !errors
        ? { message: 'Cannot send an empty message', code: 50006 }
        : { message: 'Invalid Form Body', code: 50035, errors }, rateHeaders());
    }
    snowflake += 1n;
    record(200, body, String(snowflake));
    if (print) {
      const first = body.embeds?.[0];
      console.log(`discord-sink: webhook ${webhookId} got ${first ? `"${first.title ?? first.description ?? ''}"` : `"${body.content}"`}${body.embeds?.length > 1 ? ` (+${body.embeds.length - 1} embeds)` : ''}`);
    }
    if (url.searchParams.get('wait') !== 'true') return send(response, 204, undefined, rateHeaders());
    return send(response, 200, {
      id: String(snowflake), type: 0, content: body.content ?? '', embeds: body.embeds ?? [], attachments: [],
      channel_id: '1100000000000000001', webhook_id: webhookId, timestamp: new Date().toISOString(),
      author: { id: webhookId, username: body.username ?? 'dispatch', avatar: null, bot: true },
      flags: 0, tts: false, mention_everyone: false, mentions: [], mention_roles: [], pinned: false,
    }, rateHeaders());
  });

  return new Promise((ready) => {
    server.listen(port, host, () => {
      const { port: bound } = server.address();
      ready({
        url: `http://${host}:${bound}`,
        port: bound,
        webhook: (token, id = '1200000000000000001') => `http://${host}:${bound}/api/webhooks/${id}/${token}`,
        script: (token, answers) => scripts.set(token, [...answers]),
        received: (token) => received.get(token) ?? [],
        arrivals: (token) => arrivals.get(token) ?? 0,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const index = process.argv.indexOf('--port');
  const port = index > 0 ? Number(process.argv[index + 1]) : 8789;
  const sink = await startDiscordSink({ port, print: true });
  console.log(`discord-sink: listening on ${sink.url} (POST /api/webhooks/{id}/{token})`);
}
