#!/usr/bin/env node
// A local stand-in for Discord's webhook API, for script/server and the integration tests. It is held to
// Discord's documented behaviour: what Discord refuses, it refuses, with Discord's status, code and message.
//   - POST /api/webhooks/{id}/{token}[?wait=true][&thread_id=][&with_components=true]: a JSON body with
//     content, embeds or components; limits checked as Discord does (400, code 50035 "Invalid Form Body";
//     50006 "Cannot send an empty message"); 200 with the created message when `?wait=true`, else 204;
//   - GET|PATCH|DELETE /api/webhooks/{id}/{token}/messages/{message_id}[?thread_id=]; GET /api/webhooks/{id}/{token};
//   - rate-limit headers on every answer (X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket).
// A test scripts what the next answers for a webhook are, whatever the method: {status:429, retry_after}
// (Discord's body and headers), {status:429, bare:true} (Cloudflare's block: no retry_after, no Retry-After),
// {status:500}, {status:404} (Unknown Webhook), {status:401|400|403}, {hang_ms} (answers late).
// startDiscordSink is one function of about 300 lines on purpose: its routes share one running stand-in's
// messages, threads and scripted answers through its closure.
//
// Threads, as Discord documents them (W = docs/resources/webhook.mdx, C = docs/topics/opcodes-and-status-codes.md,
// T = docs/topics/threads.md, all in github.com/discord/discord-api-docs; D = docs.discord.food/resources/webhook):
//   - A forum (15) or media (16) channel takes only threads: a webhook post needs `thread_id` or `thread_name`
//     (W, Execute Webhook), else 400 220001 "Webhooks posted to forum channels must have a thread_name or
//     thread_id" (C; status seen in louislam/uptime-kuma#4096). Both: 220002 "… cannot have both a thread_name
//     and thread_id" (C). `thread_name` elsewhere: 220003 "Webhooks can only create threads in forum channels"
//     (C; W: "requires the webhook channel to be a forum or media channel"). 400 for both is inferred.
//   - A post's thread has the id of its starter message (T, "Creating Threads in Forum and Media Channels"); a
//     message's channel_id is the channel it was sent in (docs/resources/message.mdx), so the thread's id.
//   - thread_name is 1-100 characters (D); longer: 50035 BASE_TYPE_BAD_LENGTH "Must be between 1 and 100 in
//     length." (Discord's wording for thread names, LandOfTheRair/LandOfTheRair#441). UNCONFIRMED for
//     webhooks: one report says Discord cuts it instead (Sarrus1/DiscordWebhookAPI#7). Stricter is safer here.
//   - `thread_id` posts into a thread of the webhook's channel and unarchives it (W); T: "unless the thread
//     has been locked", answered here 400 50083 "Thread is archived" (UNCONFIRMED). An unknown or deleted
//     thread: 404 10003 "Unknown Channel" (C; the status is inferred from Get Channel, discord-api-docs#3104).
//   - A webhook cannot start a thread from a message (that is POST /channels/…/threads, a bot's call) nor
//     reply: message_reference is no Execute Webhook parameter (W; discord-api-docs#2251), so it is ignored.
//   - Get/Edit/Delete Webhook Message act on "a previously-sent webhook message from the same token", with
//     `thread_id` "id of the thread the message is in" (W). Another token's message, or a thread message
//     without its thread_id: 404 10008 "Unknown Message" (discord-api-docs#3519). Edit fields are optional
//     and nullable (W). Editing or deleting in an archived thread: 400 50083 "Thread is archived" (T: "Users
//     cannot edit messages … in archived threads"; the answer as seen in victornpb/undiscord#399).
//   - A path or query id that is not a snowflake: 50035 NUMBER_TYPE_COERCE 'Value "x" is not snowflake.'.
// Knowingly unlike Discord: no files, polls or forum tags (applied_tags is kept on the thread, unchecked).
//
//   node script/discord-sink.mjs [--port 8789]      prints each message, post, edit and refusal
//
// Control (JSON): POST /_sink/script/{token} [answers…]; GET /_sink/received/{token} (POST, PATCH and DELETE
// requests, each {method, at, query, answered, body, id?, message_id?}); POST /_sink/reset;
// POST /_sink/channel/{token} {kind: "text"|"forum"|"media", channel_id?} → the channel;
// POST /_sink/thread/{token} {name} → a thread a person made in that webhook's channel;
// POST /_sink/delete-thread/{thread_id}; POST /_sink/archive-thread/{thread_id} {locked?};
// GET /_sink/messages/{token}; GET /_sink/threads. The module's sink object has the same calls.

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const limits = {
  content: 2000, embeds: 10, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024,
  footer: 2048, author: 256, total: 6000, threadName: 100,
};

export const channelTypes = { text: 0, forum: 15, media: 16 };

const fault = (code, message) => ({ _errors: [{ code, message }] });
const maxLength = (max) => fault('BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
const count = (value) => (typeof value === 'string' ? [...value].length : 0);
const isSnowflake = (value) => /^\d{1,20}$/.test(value);
const notSnowflake = (key, value) => ({ [key]: fault('NUMBER_TYPE_COERCE', `Value "${value}" is not snowflake.`) });

// Returns Discord's 50035 errors for a message body, or null when it would be accepted.
export function formErrors(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return fault('MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
  }
  const errors = {};
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
  (Array.isArray(embeds) ? embeds : []).forEach((item, i) => {
    const embed = item !== null && typeof item === 'object' ? item : {};
    tooLong(`embeds.${i}.title`, embed.title, limits.title);
    tooLong(`embeds.${i}.description`, embed.description, limits.description);
    tooLong(`embeds.${i}.author.name`, embed.author?.name, limits.author);
    tooLong(`embeds.${i}.footer.text`, embed.footer?.text, limits.footer);
    const fields = Array.isArray(embed.fields) ? embed.fields : [];
    if (fields.length > limits.fields) put(`embeds.${i}.fields`, maxLength(limits.fields));
    fields.forEach((field, j) => {
      tooLong(`embeds.${i}.fields.${j}.name`, field?.name, limits.fieldName);
      tooLong(`embeds.${i}.fields.${j}.value`, field?.value, limits.fieldValue);
      total += count(field?.name) + count(field?.value);
    });
    total += count(embed.title) + count(embed.description) + count(embed.author?.name) + count(embed.footer?.text);
  });
  if (total > limits.total) errors.embeds = fault('MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
  return Object.keys(errors).length > 0 ? errors : null;
}

// Returns the 50035 error for an Execute Webhook thread_name, or null when it is absent or 1-100 characters.
function threadNameError(name) {
  if (name === undefined || name === null) return null;
  if (typeof name !== 'string') return { thread_name: fault('BASE_TYPE_STRING', `Could not interpret "${JSON.stringify(name)}" as string.`) };
  const length = count(name);
  return length < 1 || length > limits.threadName
    ? { thread_name: fault('BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${limits.threadName} in length.`) }
    : null;
}

// A message with nothing Discord would show is refused (50006); components count only when honoured.
const isEmpty = (body, withComponents) => !(typeof body.content === 'string' && body.content.length > 0)
  && !(Array.isArray(body.embeds) && body.embeds.length > 0)
  && !(withComponents && Array.isArray(body.components) && body.components.length > 0);

// A channel id per token that stays the same across resets and runs, so printed ids can be compared.
const defaultChannelId = (token) =>
  String(1_100_000_000_000_000_000n + BigInt(`0x${createHash('sha256').update(token).digest('hex').slice(0, 12)}`));

let snowflake = 1_300_000_000_000_000_000n;
const nextId = () => String((snowflake += 1n));

/**
 * A refusal as Discord words it: the HTTP status and the JSON error body.
 * @typedef {[number, { message: string, code: number, errors?: unknown }]} Refusal
 */
/** @type {Record<string, Refusal>} */
const refusals = {
  unknownChannel: [404, { message: 'Unknown Channel', code: 10003 }],
  unknownMessage: [404, { message: 'Unknown Message', code: 10008 }],
  archived: [400, { message: 'Thread is archived', code: 50083 }],
  threadRequired: [400, { message: 'Webhooks posted to forum channels must have a thread_name or thread_id', code: 220001 }],
  threadBoth: [400, { message: 'Webhooks posted to forum channels cannot have both a thread_name and thread_id', code: 220002 }],
  threadNotForum: [400, { message: 'Webhooks can only create threads in forum channels', code: 220003 }],
  empty: [400, { message: 'Cannot send an empty message', code: 50006 }],
};
/** @type {(errors: unknown) => Refusal} */
const invalidForm = (errors) => [400, { message: 'Invalid Form Body', code: 50035, errors }];

export function startDiscordSink({ port = 0, host = '127.0.0.1', print = false } = {}) {
  const scripts = new Map();   // token -> [answer…]
  const received = new Map();  // token -> [{method, at, query, answered, body, id?, message_id?}] once answered
  const arrivals = new Map();  // token -> requests that arrived, answered or not yet
  const channels = new Map();  // token -> {kind, channel_id}; absent: a text channel of its own
  const threads = new Map();   // id -> {id, name, channel_id, parent_kind, created_by_token, deleted, archived, locked, …}
  const messages = new Map();  // id -> {id, token, webhook_id, channel_id, thread_id, body, edits, …}
  const bucket = { remaining: 5 };
  const say = (line) => print && console.log(`discord-sink: ${line}`);

  const channelOf = (token) => channels.get(token) ?? { kind: 'text', channel_id: defaultChannelId(token) };

  const setChannel = (token, kind, channelId) => {
    if (!Object.hasOwn(channelTypes, kind)) throw new TypeError(`channel kind must be text, forum or media, not ${kind}`);
    if (channelId !== undefined && !isSnowflake(String(channelId))) throw new TypeError(`channel_id must be a snowflake, not ${channelId}`);
    const channel = { kind, channel_id: channelId === undefined ? defaultChannelId(token) : String(channelId) };
    channels.set(token, channel);
    return { token, ...channel, type: channelTypes[kind] };
  };

  const addThread = (token, name, createdBy, id = nextId()) => {
    const { kind, channel_id: channelId } = channelOf(token);
    const thread = {
      id, name, channel_id: channelId, parent_kind: kind, created_by_token: createdBy, deleted: false, archived: false,
      locked: false, applied_tags: [], sent: 0,
    };
    threads.set(id, thread);
    return thread;
  };

  const personThread = (token, name) => {
    if (typeof name !== 'string' || count(name) < 1 || count(name) > limits.threadName) {
      throw new TypeError('a thread name is 1-100 characters');
    }
    const thread = addThread(token, name, null);
    // In a forum the person's starter message is the thread's first; in a text channel it stays outside.
    if (thread.parent_kind !== 'text') thread.sent = 1;
    return thread.id;
  };

  // What a person does to a post in Discord: deletes it, or archives (and maybe locks) it. False when there is
  // no such thread.
  const deleteThread = (id) => {
    const thread = threads.get(String(id));
    if (thread) thread.deleted = true;
    return Boolean(thread);
  };
  const archiveThread = (id, { locked = false } = {}) => {
    const thread = threads.get(String(id));
    if (thread) Object.assign(thread, { archived: true, locked });
    return Boolean(thread);
  };

  const threadView = ({ sent, ...thread }) => ({ ...thread, applied_tags: [...thread.applied_tags] });
  const messageView = (m) => ({
    id: m.id, channel_id: m.channel_id, thread_id: m.thread_id, ...(m.thread_name ? { thread_name: m.thread_name } : {}),
    body: m.body, edits: m.edits, deleted: m.deleted,
  });
  const messageObject = (m) => ({
    id: m.id, type: 0, content: m.body.content ?? '', channel_id: m.channel_id,
    author: { id: m.webhook_id, username: m.username, avatar: null, discriminator: '0000', bot: true },
    attachments: [], embeds: (m.body.embeds ?? []).map((embed) => ({ ...embed, type: 'rich' })), mentions: [],
    mention_roles: [], pinned: false, mention_everyone: false, tts: m.body.tts === true, timestamp: m.timestamp,
    edited_timestamp: m.edited_timestamp, flags: m.body.flags ?? 0,
    components: m.with_components ? (m.body.components ?? []) : [], webhook_id: m.webhook_id,
    ...(m.position === undefined ? {} : { position: m.position }),
  });

  const reset = () => {
    for (const map of [scripts, received, arrivals, channels, threads, messages]) map.clear();
  };

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

  // Answers a scripted failure and returns true, or returns false when the request goes on as Discord's.
  const answerScripted = (scripted, response, record, body) => {
    const status = scripted?.status ?? 200;
    if (status === 404) {
      record(404, body);
      send(response, 404, { message: 'Unknown Webhook', code: 10015 });
    } else if (status === 401) {
      record(401, body);
      send(response, 401, { message: 'Invalid Webhook Token', code: 50027 });
    } else if (status === 400) {
      record(400, body);
      const errors = { embeds: { 0: { description: maxLength(limits.description) } } };
      send(response, 400, { message: 'Invalid Form Body', code: 50035, errors }, rateHeaders());
    } else if (status === 403) {
      record(403, body);
      send(response, 403, { message: 'Missing Permissions', code: 50013 }, rateHeaders());
    } else if (status === 429 && scripted.bare) {
      record(429, body);
      response.writeHead(429, { 'content-type': 'text/html' });
      response.end('<html><body>Error 1015: You are being rate limited.</body></html>');
    } else if (status === 429) {
      record(429, body);
      const retryAfter = scripted.retry_after ?? 1.5;
      send(response, 429, { message: 'You are being rate limited.', retry_after: retryAfter, global: false },
        { ...rateHeaders(), 'retry-after': String(Math.ceil(retryAfter)), 'x-ratelimit-remaining': '0', 'x-ratelimit-scope': 'user' });
    } else if (status >= 500) {
      record(status, body);
      send(response, status, { message: 'Internal Server Error', code: 0 });
    } else {
      return false;
    }
    return true;
  };

  const control = async (request, response, url, text) => {
    const json = () => (text === '' ? {} : JSON.parse(text));
    const [, verb, arg] = /^\/_sink\/([a-z-]+)(?:\/([^/]+))?$/.exec(url.pathname) ?? [];
    const post = request.method === 'POST';
    try {
      if (verb === 'script' && arg && post) {
        scripts.set(arg, json());
        return send(response, 204);
      }
      if (verb === 'received' && arg) return send(response, 200, received.get(arg) ?? []);
      if (verb === 'reset' && post) {
        reset();
        return send(response, 204);
      }
      if (verb === 'channel' && arg && post) {
        const { kind, channel_id: channelId } = json();
        return send(response, 200, setChannel(arg, kind, channelId));
      }
      if (verb === 'thread' && arg && post) return send(response, 200, threadView(threads.get(personThread(arg, json().name))));
      if ((verb === 'delete-thread' || verb === 'archive-thread') && arg && post) {
        const found = verb === 'delete-thread' ? deleteThread(arg) : archiveThread(arg, { locked: json().locked === true });
        return found ? send(response, 204) : send(response, 404, { message: `discord-sink: no thread ${arg}` });
      }
      if (verb === 'messages' && arg) return send(response, 200, [...messages.values()].filter((m) => m.token === arg).map(messageView));
      if (verb === 'threads' && !arg) return send(response, 200, [...threads.values()].map(threadView));
    } catch (error) {
      return send(response, 400, { message: `discord-sink: ${error.message}` });
    }
    return send(response, 404, { message: `discord-sink: no control ${request.method} ${url.pathname}` });
  };

  const handle = async (request, response) => {
    const url = new URL(request.url, 'http://sink');
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    if (url.pathname.startsWith('/_sink/')) return control(request, response, url, text);

    const hook = /^\/api(?:\/v\d+)?\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/.exec(url.pathname);
    if (!hook) return send(response, 404, { message: '404: Not Found', code: 0 });
    const [, webhookId, token, messageId] = hook;
    const { method } = request;
    const allowed = messageId === undefined ? ['GET', 'POST'] : ['GET', 'PATCH', 'DELETE'];
    if (!allowed.includes(method)) return send(response, 405, { message: '405: Method Not Allowed', code: 0 });

    arrivals.set(token, (arrivals.get(token) ?? 0) + 1);
    const scripted = scripts.get(token)?.shift();
    if (scripted?.hang_ms) {
      await new Promise((resume) => setTimeout(resume, scripted.hang_ms));
      if (request.socket.destroyed) return undefined; // the caller gave up or died: nothing was done
    }
    const log = received.get(token) ?? [];
    received.set(token, log);
    // Reads are not logged: the log is what a webhook did to the channel, in order.
    const record = (answered, body, ids = {}) => {
      if (method !== 'GET') log.push({ method, at: new Date().toISOString(), query: url.search, answered, body, ...ids });
    };
    /** @param {Refusal} refusal @param {unknown} body */
    const refuse = ([status, answer], body) => {
      record(status, body, messageId ? { message_id: messageId } : {});
      say(`webhook ${webhookId} refused ${method}: ${status} ${answer.code} ${answer.message}`);
      return send(response, status, answer, rateHeaders());
    };

    let body;
    if (method === 'POST' || method === 'PATCH') {
      try {
        body = JSON.parse(text);
      } catch {
        record(400, text);
        return send(response, 400, { message: 'The request body contains invalid JSON.', code: 50109 }, rateHeaders());
      }
    }
    if (answerScripted(scripted, response, (status, logged) => record(status, logged), body)) return undefined;

    const channel = channelOf(token);
    if (method === 'GET' && messageId === undefined) {
      return send(response, 200, {
        type: 1, id: webhookId, name: 'dispatch', avatar: null, channel_id: channel.channel_id,
        guild_id: '1000000000000000001', application_id: null, token,
      }, rateHeaders());
    }
    if (messageId !== undefined && !isSnowflake(messageId)) return refuse(invalidForm(notSnowflake('message_id', messageId)), body);
    const threadId = url.searchParams.get('thread_id');
    if (threadId !== null && !isSnowflake(threadId)) return refuse(invalidForm(notSnowflake('thread_id', threadId)), body);
    const withComponents = url.searchParams.get('with_components') === 'true';
    // A thread_id names a live thread of this webhook's channel, or Discord knows no such channel.
    const thread = threadId === null ? null : threads.get(threadId);
    const threadUnknown = threadId !== null && (!thread || thread.deleted || thread.channel_id !== channel.channel_id);

    if (method === 'POST') {
      const errors = formErrors(body);
      const nameError = errors ? null : threadNameError(body.thread_name);
      if (errors || nameError) return refuse(invalidForm(errors ?? nameError), body);
      if (isEmpty(body, withComponents)) return refuse(refusals.empty, body);
      const threadName = body.thread_name ?? null;
      if (threadName !== null && threadId !== null) return refuse(refusals.threadBoth, body);
      if (threadName !== null && channel.kind === 'text') return refuse(refusals.threadNotForum, body);
      if (threadName === null && threadId === null && channel.kind !== 'text') return refuse(refusals.threadRequired, body);
      if (threadUnknown) return refuse(refusals.unknownChannel, body);
      if (thread?.archived && thread.locked) return refuse(refusals.archived, body);
      if (thread) thread.archived = false;

      const id = nextId();
      const posted = threadName === null ? thread : addThread(token, threadName, token, id);
      if (threadName !== null && Array.isArray(body.applied_tags)) posted.applied_tags = body.applied_tags.map(String);
      const message = {
        id, token, webhook_id: webhookId, channel_id: posted?.id ?? channel.channel_id, thread_id: posted?.id ?? null,
        ...(threadName === null ? {} : { thread_name: threadName }), body, edits: [], deleted: false,
        username: body.username ?? 'dispatch', timestamp: new Date().toISOString(), edited_timestamp: null,
        with_components: withComponents, ...(posted ? { position: posted.sent } : {}),
      };
      if (posted) posted.sent += 1;
      messages.set(id, message);
      record(200, body, { id });
      if (threadName !== null) say(`webhook ${webhookId} created post "${threadName}" (thread ${id}): ${summary(body)}`);
      else say(`webhook ${webhookId} got ${summary(body)}${posted ? ` in thread ${posted.id}` : ''}`);
      if (url.searchParams.get('wait') !== 'true') return send(response, 204, undefined, rateHeaders());
      return send(response, 200, messageObject(message), rateHeaders());
    }

    if (threadUnknown) return refuse(refusals.unknownChannel, body);
    const message = messages.get(messageId);
    if (!message || message.token !== token || message.deleted || message.channel_id !== (threadId ?? channel.channel_id)) {
      return refuse(refusals.unknownMessage, body);
    }
    if (method === 'GET') return send(response, 200, messageObject(message), rateHeaders());
    if (thread?.archived) return refuse(refusals.archived, body);
    const where = thread ? ` in thread ${thread.id}` : '';
    if (method === 'DELETE') {
      message.deleted = true;
      record(204, undefined, { message_id: messageId });
      say(`webhook ${webhookId} deleted message ${messageId}${where}`);
      return send(response, 204, undefined, rateHeaders());
    }
    // PATCH: every field is optional and nullable; null clears it, absent keeps it.
    const errors = formErrors(body);
    if (errors) return refuse(invalidForm(errors), body);
    const edited = { ...message.body };
    for (const [key, value] of Object.entries(body)) {
      if (value === null) delete edited[key];
      else edited[key] = value;
    }
    if (isEmpty(edited, message.with_components || withComponents)) return refuse(refusals.empty, body);
    const at = new Date().toISOString();
    Object.assign(message, { body: edited, edited_timestamp: at, with_components: message.with_components || withComponents });
    message.edits.push({ at, body });
    record(200, body, { message_id: messageId });
    say(`webhook ${webhookId} edited message ${messageId}${where}: ${summary(edited)}`);
    return send(response, 200, messageObject(message), rateHeaders());
  };
  // A fault of the stand-in itself must not pass for one of Discord's answers, nor end the test process.
  const server = createServer((request, response) => handle(request, response).catch((error) => {
    console.error('discord-sink: internal error', error);
    if (!response.headersSent) send(response, 500, { message: `discord-sink internal error: ${error.message}` });
    else response.destroy();
  }));

  return new Promise((ready) => {
    server.listen(port, host, () => {
      const { port: bound } = /** @type {import('node:net').AddressInfo} */ (server.address());
      ready({
        url: `http://${host}:${bound}`,
        port: bound,
        webhook: (token, id = '1200000000000000001') => `http://${host}:${bound}/api/webhooks/${id}/${token}`,
        script: (token, answers) => scripts.set(token, [...answers]),
        received: (token) => received.get(token) ?? [],
        arrivals: (token) => arrivals.get(token) ?? 0,
        // Puts the webhook's channel of that kind; webhooks given the same channel_id share its threads.
        /** @type {(token: string, kind: string, options?: { channelId?: string }) => unknown} */
        channel: (token, kind, { channelId } = {}) => setChannel(token, kind, channelId),
        thread: (token, name) => personThread(token, name),
        deleteThread,
        archiveThread,
        messages: (token) => [...messages.values()].filter((m) => m.token === token).map(messageView),
        threads: () => [...threads.values()].map(threadView),
        reset,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
      });
    });
  });
}

// One line for a person reading the print mode: the first embed's title or description, else the content.
function summary(body) {
  const first = body.embeds?.[0];
  const text = first ? `"${first.title ?? first.description ?? ''}"` : `"${body.content ?? ''}"`;
  return `${text}${body.embeds?.length > 1 ? ` (+${body.embeds.length - 1} embeds)` : ''}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const index = process.argv.indexOf('--port');
  const port = index > 0 ? Number(process.argv[index + 1]) : 8789;
  const sink = await startDiscordSink({ port, print: true });
  console.log(`discord-sink: listening on ${sink.url} (POST /api/webhooks/{id}/{token}, …/messages/{id})`);
}
