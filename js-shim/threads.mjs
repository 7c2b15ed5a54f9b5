// One live thread per pull request (an endpoint with threads: "pull_request"). A delivery whose
// outcome carried `thread` {key, name, updated_us, state, card} is sent here instead of as one POST:
//   1. the pull request's thread is found (pull_request_threads), or made: in a forum or media channel a post
//      named after the pull request whose first message is the card (POST ?wait=true with thread_name;
//      Discord answers with that message, whose channel_id is the new thread); in a text channel, where a
//      webhook cannot make threads (400 220003), the card as a message of its own;
//   2. the event's message is posted into the thread (?thread_id=), or in a text channel after the card. Its id
//      is recorded at once (deliveries.message_id), so a retry of what follows never posts it twice;
//   3. the card is edited in place (PATCH …/messages/{card}?thread_id=) unless the event is older than the card
//      (the pull request's updated_on): events come out of order and retried, the card never goes back.
// Making a thread and editing a card are done by one delivery at a time per pull request (the row's busy_*
// claim); another that needs to meanwhile waits, re-queued, and no attempt is counted for it.
// Every Discord call is one entry of the attempt log, saying what it did (thread_created, posted,
// card_updated, card_kept, thread_gone, …); a destination that is not a Discord webhook URL never gets here.
// Over 400 lines on purpose: it is one sequence of steps over one `run` (the delivery, its claim, its log), and
// the steps read in the order they happen; split, each part would need the whole run and the order would hide.

import { decide, discordCode, discordWebhookPart, waitUrl } from './policy.mjs';
import { hex } from './shared/encoding.mjs';
import { settle, settleDecision } from './store.mjs';
import {
  claimThreadRow, deleteTextChannel, forgetThreadRow, getDestinationChannel, getThreadRow, recordMessageId,
  releaseThreadRow, saveMadeThread, saveTextChannel, saveThreadCard,
} from './store-threads.mjs';

const discordCodes = {
  unknownChannel: 10003,   // a thread that was deleted (or is not in the webhook's channel)
  unknownMessage: 10008,   // a card that was deleted
  forumNeedsThread: 220001, // a plain post to a forum or media channel
  notAForum: 220003,        // thread_name anywhere else
};
const longestWaitSeconds = 15;

// True when `destination` is a Discord webhook URL, the only kind that has threads and editable messages.
export const threadable = (destination) => discordWebhookPart(destination) === 'webhook';

// The thread and card of a destination: another destination_url (or ?thread_id= in it) starts afresh. Its
// SHA-256, as the URL holds the webhook's token.
async function destinationKey(destination) {
  const url = new URL(destination);
  const place = `${url.origin}${url.pathname.replace(/\/+$/, '')}?thread_id=${url.searchParams.get('thread_id') ?? ''}`;
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(place)));
}

// Execute Webhook with ?wait=true, into `threadId` when given.
function postUrl(destination, threadId = null) {
  const url = new URL(waitUrl(destination));
  if (threadId !== null) url.searchParams.set('thread_id', threadId);
  return url.toString();
}

// Edit Webhook Message; a message in a thread is only found with its thread_id.
function messageUrl(destination, messageId, threadId) {
  const url = new URL(destination);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/messages/${messageId}`;
  url.searchParams.delete('wait');
  if (threadId !== null) url.searchParams.set('thread_id', threadId);
  return url.toString();
}

// The message Discord created, from its answer: {id, channelId} (a forum post's channel is its thread), or nulls.
function created(answer) {
  try {
    const message = JSON.parse(answer.bodyText ?? '');
    const id = (value) => (value === undefined || value === null ? null : String(value));
    return { id: id(message?.id), channelId: id(message?.channel_id) };
  } catch {
    return { id: null, channelId: null };
  }
}

// Whether an event of `mine` (µs, or null when the payload had no updated_on) may replace a card of `shown`:
// not when it is older. Equal re-applies (the same updated_on is the same state); an event without a time
// replaces only a card without one.
function notOlder(mine, shown) {
  if (shown === null || shown === undefined) return true;
  return mine !== null && mine !== undefined && mine >= shown;
}

// The body of an edit that makes a card message show `card`: only what Edit Webhook Message takes (the name
// and avatar stay as posted), and null for what the card lacks, so nothing of the previous card is left over.
function cardEdit(card) {
  return { content: card.content ?? null, embeds: card.embeds ?? null, allowed_mentions: card.allowed_mentions ?? { parse: [] } };
}

// One log line about this delivery and its pull request (never a URL or token: the key is repository#id).
const say = (run, what, fields = {}) => run.io.log(what, {
  delivery: run.delivery.id, endpoint: run.delivery.endpoint_id, key: run.thread.key, ...fields,
});

const usTime = (us) => (us === null || us === undefined ? 'no updated_on' : new Date(Math.floor(us / 1000)).toISOString());

// A mapping that can be posted into as it is: made for this destination, with its card (and thread, in a forum).
const usable = (row, destination) => Boolean(row) && row.destination_key === destination && row.card_message_id !== null
  && (row.mode === 'text' || (row.mode === 'forum' && row.thread_id !== null));

// The row's claim as this delivery holds it or asks for it (store-threads.mjs).
const holder = (run) => ({ endpointId: run.delivery.endpoint_id, key: run.thread.key, deliveryId: run.delivery.id });

const readMapping = (run) => getThreadRow(run.db, run.delivery.endpoint_id, run.thread.key);

// Takes the pull request's claim for this delivery, until its attempt's lease ends. Returns the row, or null when
// another holds it.
const claimRow = (run) => claimThreadRow(run.db, holder(run), run.destination, Date.now(), run.deadline);

const release = (run) => releaseThreadRow(run.db, holder(run), Date.now());

// Records a thread (or text channel card) this delivery made, and gives the claim back. Returns false when the
// claim had run out and another delivery took it meanwhile.
const storeMade = (run, made) => saveMadeThread(run.db, holder(run), { ...made, destinationKey: run.destination },
  Date.now());

// Records the card now shown (and the message showing it, when it was posted anew), never over a newer one,
// and gives the claim back.
const storeCard = (run, cardMessageId) => saveThreadCard(run.db, holder(run), run.thread, cardMessageId, Date.now());

// Forgets a thread or card Discord no longer knows, if the mapping still names it; the newest card stays, so
// the next thread starts from it.
const forgetThread = (run, row) => forgetThreadRow(run.db, run.delivery.endpoint_id, run.thread.key, row, Date.now());

async function knownTextChannel(run) {
  return (await getDestinationChannel(run.db, run.delivery.endpoint_id, run.destination)) === 'text';
}

async function rememberTextChannel(run, text) {
  if (text) {
    await saveTextChannel(run.db, run.delivery.endpoint_id, run.destination, Date.now());
  } else {
    await deleteTextChannel(run.db, run.delivery.endpoint_id, run.destination);
  }
}

// Records that the event's message was posted (its id; '' when Discord's answer had none), before anything else.
const recordPosted = (run, messageId) => recordMessageId(run.db, run.delivery.id, messageId ?? '', Date.now());

// Makes one attempt at a delivery claimed by deliver.mjs (`delivery`: the claimed row with its endpoint, thread and
// message_id; `deadline`: when its lease runs out). `io`: {send(target, method, body, timeoutSeconds), enqueue(id,
// delaySeconds), log(event, fields), describe(answer), keptLogEntries}. Returns 'delivered', 'retry', 'failed' or
// 'waiting'.
/** @param {Env} env */
export async function deliverInThread(env, delivery, { config, deadline, io }) {
  const run = {
    db: env.DB, delivery, thread: delivery.thread, io, config, deadline,
    destination: await destinationKey(delivery.endpoint.destination_url),
    log: delivery.attempt_log.slice(), sent: false, posted: delivery.message_id !== null, answer: null, note: null,
  };
  const end = await advance(run);
  return conclude(run, end);
}

// The steps of one attempt. Returns how it ends: {kind: 'done'}, {kind: 'retry'|'failed', decision, answer},
// {kind: 'wait'} (another delivery holds the claim), or {kind: 'later'} (the lease leaves no time for the next
// call; a new attempt goes on from what is recorded).
async function advance(run) {
  let row = await readMapping(run);
  let made = false;
  for (let round = 0; !run.posted; round += 1) {
    if (!usable(row, run.destination)) {
      const got = await ensureThread(run);
      if (got.end) return got.end;
      ({ row, made } = got);
    }
    const posted = await postEvent(run, row);
    if (posted.end) return posted.end;
    if (!posted.gone) break;
    // Discord lost the thread the mapping names: it is forgotten and made again, once per attempt.
    await forgetThread(run, row);
    if (round > 0) return trouble(run, 'the pull request\'s thread was gone again right after it was made');
    row = null;
    made = false;
  }
  // A thread this attempt made starts with the newest card known: nothing to edit.
  if (made) return { kind: 'done' };
  return updateCard(run, row ?? await readMapping(run));
}

// Finds or makes the pull request's thread under the claim. Returns {row, made} or {end}.
async function ensureThread(run) {
  const claimed = await claimRow(run);
  if (!claimed) return { end: { kind: 'wait' } };
  // Made by another delivery between the read and the claim.
  if (usable(claimed, run.destination)) {
    await release(run);
    return { row: claimed, made: false };
  }
  const card = newestCard(run, claimed);
  const made = await makeThread(run, card);
  if (made.end) {
    await release(run);
    return made;
  }
  if (!(await storeMade(run, { ...made, card }))) {
    say(run, 'thread_claim_lost');
  }
  const row = {
    ...claimed, destination_key: run.destination, mode: made.mode, thread_id: made.threadId, card_message_id: made.cardMessageId,
  };
  return { row, made: true };
}

// The card a new thread starts with: this event's, unless the one last shown (kept when a thread was lost) is newer.
function newestCard(run, row) {
  const { thread } = run;
  if (row.card === null || notOlder(thread.updated_us, row.card_updated_us)) return thread;
  return { name: row.name ?? thread.name, card: JSON.parse(row.card), updated_us: row.card_updated_us, state: row.card_state };
}

// Makes the thread: a forum post whose first message is the card, or in a text channel the card alone. The
// channel's kind is learnt from Discord's refusal (220003: not a forum; 220001: a forum) and remembered per
// destination. Returns {mode, threadId, cardMessageId} or {end}.
async function makeThread(run, card) {
  const { destination_url: destination } = run.delivery.endpoint;
  // A destination_url with ?thread_id= already posts into one thread: the text channel's way, in there.
  const fixedThread = new URL(destination).searchParams.has('thread_id');
  const kinds = fixedThread ? ['text'] : await knownTextChannel(run) ? ['text', 'forum'] : ['forum', 'text'];
  let last = null;
  for (const kind of kinds) {
    const body = kind === 'forum' ? { ...card.card, thread_name: card.name } : card.card;
    const answer = await call(run, 'POST', postUrl(destination), body);
    if (answer.later) return { end: answer };
    const code = discordCode(answer.bodyText);
    if (answer.status === 400 && kind === 'forum' && code === discordCodes.notAForum) {
      note(run, answer, 'not_a_forum', 'not a forum or media channel: the card is posted in the channel and edited there');
      await rememberTextChannel(run, true);
      last = answer;
      continue;
    }
    if (answer.status === 400 && kind === 'text' && code === discordCodes.forumNeedsThread) {
      note(run, answer, 'a_forum', 'a forum or media channel: the pull request gets a post');
      await rememberTextChannel(run, false);
      last = answer;
      continue;
    }
    const decision = judge(run, answer);
    if (decision.outcome !== 'delivered') return { end: failed(answer, decision) };
    const message = created(answer);
    if (message.id === null || (kind === 'forum' && message.channelId === null)) {
      return { end: trouble(run, 'Discord\'s answer to the new card named no message or thread', answer) };
    }
    const threadId = kind === 'forum' ? message.channelId : null;
    note(run, answer, kind === 'forum' ? 'thread_created' : 'card_posted', kind === 'forum'
      ? `post "${card.name}" created (thread ${threadId}); its first message is the card (${card.state ?? 'no state'})`
      : `card posted in the channel (${card.state ?? 'no state'})`);
    say(run, 'thread_created', { mode: kind });
    return { mode: kind, threadId, cardMessageId: message.id };
  }
  return { end: failed(last, judge(run, last)) };
}

// Posts the event's message into the thread (a forum) or in the channel (a text channel). Returns {} once
// posted, {gone: true} when Discord no longer knows the thread (or the channel is no longer a text channel),
// or {end}.
async function postEvent(run, row) {
  const threadId = row.mode === 'forum' ? row.thread_id : null;
  const answer = await call(run, 'POST', postUrl(run.delivery.endpoint.destination_url, threadId), run.delivery.message);
  if (answer.later) return { end: answer };
  const code = discordCode(answer.bodyText);
  if (row.mode === 'forum' && answer.status === 404 && code === discordCodes.unknownChannel) {
    note(run, answer, 'thread_gone', `thread ${threadId} is gone (deleted): a new post is made`);
    say(run, 'thread_gone');
    return { gone: true };
  }
  if (row.mode === 'text' && answer.status === 400 && code === discordCodes.forumNeedsThread) {
    note(run, answer, 'a_forum', 'the channel is now a forum or media channel: the pull request gets a post');
    await rememberTextChannel(run, false);
    return { gone: true };
  }
  const decision = judge(run, answer);
  if (decision.outcome !== 'delivered') return { end: failed(answer, decision) };
  await recordPosted(run, decision.messageId);
  run.posted = true;
  run.answer = answer;
  note(run, answer, 'posted', threadId === null ? 'event posted in the channel' : `event posted in thread ${threadId}`);
  return {};
}

// Edits the card to this event's, unless it is older than the card shown. The event is delivered whatever
// happens to the card, except that a 429 or 5xx is retried (the event is not posted again).
async function updateCard(run, seen) {
  if (!usable(seen, run.destination)) {
    run.note = 'card not updated: the pull request has no card here now (its thread is gone); the next event makes one';
    return { kind: 'done' };
  }
  if (!notOlder(run.thread.updated_us, seen.card_updated_us)) return keepCard(run, seen);
  const row = await claimRow(run);
  if (!row) return { kind: 'wait' };
  if (!usable(row, run.destination)) {
    await release(run);
    return updateCard(run, row);
  }
  if (!notOlder(run.thread.updated_us, row.card_updated_us)) {
    await release(run);
    return keepCard(run, row);
  }
  const threadId = row.mode === 'forum' ? row.thread_id : null;
  const destination = run.delivery.endpoint.destination_url;
  const answer = await call(run, 'PATCH', messageUrl(destination, row.card_message_id, threadId), cardEdit(run.thread.card));
  if (answer.later) {
    await release(run);
    return answer;
  }
  const code = discordCode(answer.bodyText);
  if (answer.status === 404 && code === discordCodes.unknownMessage) {
    note(run, answer, 'card_gone', `card message ${row.card_message_id} is gone (deleted): a new card is posted`);
    return repostCard(run, row, threadId);
  }
  if (answer.status === 404 && code === discordCodes.unknownChannel) {
    note(run, answer, 'thread_gone', `thread ${threadId} is gone (deleted): the next event makes a new post`);
    await forgetThread(run, row);
    await release(run);
    return { kind: 'done' };
  }
  const what = `card edited to ${run.thread.state ?? 'this event'} (${usTime(run.thread.updated_us)})`;
  return cardAnswered(run, answer, null, 'card_updated', what);
}

// A card deleted by someone: posted again where it was (in the thread, or the channel), and remembered.
async function repostCard(run, row, threadId) {
  const answer = await call(run, 'POST', postUrl(run.delivery.endpoint.destination_url, threadId), run.thread.card);
  if (answer.later) {
    await release(run);
    return answer;
  }
  return cardAnswered(run, answer, created(answer).id, 'card_posted', `card posted again (${run.thread.state ?? 'this event'})`);
}

// What a card edit or repost came to: recorded; retried on a 429 or 5xx; else a note on the delivered event.
async function cardAnswered(run, answer, cardMessageId, outcome, what) {
  const decision = judge(run, answer);
  if (decision.outcome === 'delivered') {
    await storeCard(run, cardMessageId);
    note(run, answer, outcome, what);
    say(run, 'card_updated', { state: run.thread.state });
    return { kind: 'done' };
  }
  await release(run);
  if (decision.outcome === 'retry') return failed(answer, decision);
  note(run, answer, 'card_failed', `card not updated: ${decision.why}`);
  run.note = `card not updated: ${decision.why}`;
  return { kind: 'done' };
}

function keepCard(run, row) {
  run.log.push({
    at: new Date().toISOString(), outcome: 'card_kept',
    note: `card kept at ${row.card_state ?? 'its state'}: this event (${usTime(run.thread.updated_us)}) is older than the card `
      + `(${usTime(row.card_updated_us)})`,
  });
  say(run, 'card_kept');
  return { kind: 'done' };
}

// Makes one call to Discord if the attempt's lease leaves time for it; else answers {later: true, kind: 'later'}.
async function call(run, method, target, body) {
  const margin = (run.config.timeoutSeconds + 2) * 1000;
  if (Date.now() + margin > run.deadline) return { later: true, kind: 'later' };
  run.sent = true;
  const at = new Date().toISOString();
  const answer = await run.io.send(target, method, typeof body === 'string' ? body : JSON.stringify(body), run.config.timeoutSeconds);
  return { ...answer, at };
}

// What the delivery policy makes of one answer (attempts and failures so far, this attempt included).
const judge = (run, answer) => decide(answer, { attempts: run.delivery.attempts, failures: run.delivery.failures },
  run.config, Math.random(), Date.now());

// One attempt-log entry for a call that did what it was for.
function note(run, answer, outcome, what) {
  run.log.push({ at: answer.at, outcome, ...run.io.describe(answer), note: what });
}

const failed = (answer, decision) => ({ kind: decision.outcome, decision, answer });

// A failure that is nobody's answer: retried with the backoff of a 5xx.
function trouble(run, why, answer = { error: why, ms: 0, at: new Date().toISOString() }) {
  return failed(answer, judge(run, { trouble: why }));
}

// How long a delivery waits for another's claim: a second at first, longer the longer it has been held, never
// past the moment it runs out.
function waitSeconds(row, now) {
  if (!row?.busy_since) return 1;
  const held = Math.ceil((now - row.busy_since) / 2000);
  const left = Math.ceil((row.busy_until - now) / 1000) + 1;
  return Math.max(1, Math.min(longestWaitSeconds, held, left));
}

// Writes what the attempt came to, and re-queues what is not finished. Returns what deliverOne returns.
async function conclude(run, end) {
  if (end.kind === 'done') return settleDelivered(run);
  if (end.kind === 'wait' || end.kind === 'later') return settleLater(run, end.kind);
  return settleFailure(run, end);
}

const logTail = (run) => run.log.slice(-run.io.keptLogEntries);
// A wait, or an attempt cut short before its first call, sent nothing: the attempt claim() counted is given back.
const attemptsKept = (run) => (run.sent ? undefined : run.delivery.attempts - 1);

async function settleDelivered(run) {
  const { delivery } = run;
  await settle(run.db, delivery.id, {
    response_status: run.answer?.status, response_body: run.answer?.kept, status: 'delivered', failures: delivery.failures,
    attempt_log: logTail(run), last_error: run.note,
  }, Date.now());
  say(run, 'delivered', { attempts: delivery.attempts });
  return 'delivered';
}

// Waiting for another delivery's claim (a few seconds), or continuing at once in a new attempt with a new lease.
async function settleLater(run, kind) {
  const { delivery } = run;
  const now = Date.now();
  const row = kind === 'wait' ? await readMapping(run) : null;
  const delay = kind === 'wait' ? waitSeconds(row, now) : 0;
  const why = kind === 'wait'
    ? `waiting: delivery ${row?.busy_by ?? 'another'} is making the pull request's thread or editing its card`
    : 'continued in a new attempt: the lease ran short';
  // One entry for a run of waits, so polling does not fill the log.
  if (kind === 'wait' && run.log.at(-1)?.outcome !== 'waiting') {
    run.log.push({ at: new Date(now).toISOString(), outcome: 'waiting', note: why });
  }
  await settle(run.db, delivery.id, {
    response_status: run.answer?.status, response_body: run.answer?.kept, status: 'pending', failures: delivery.failures,
    attempts: attemptsKept(run), next_attempt_at: now + delay * 1000, last_error: why, attempt_log: logTail(run),
  }, now);
  await run.io.enqueue(delivery.id, delay);
  say(run, 'thread_wait', { retry_in: delay });
  return 'waiting';
}

// A call the policy retries or gives up on, settled as deliverOne settles a POST's.
async function settleFailure(run, { decision, answer }) {
  const { delivery } = run;
  const entry = { at: answer.at, outcome: decision.outcome, ...run.io.describe(answer), error: decision.why };
  run.log.push(decision.outcome === 'retry' ? { ...entry, retry_in: decision.delaySeconds } : entry);
  await settleDecision(run.db, delivery, decision, {
    response_status: answer.status ?? run.answer?.status, response_body: answer.kept ?? run.answer?.kept,
    attempts: attemptsKept(run), last_error: decision.why, attempt_log: logTail(run),
  }, Date.now());
  if (decision.outcome === 'retry') {
    await run.io.enqueue(delivery.id, decision.delaySeconds);
    say(run, 'delivery_retry', { status: answer.status, retry_in: decision.delaySeconds });
    return 'retry';
  }
  say(run, 'delivery_failed', { status: answer.status, broken: decision.broken });
  return 'failed';
}
