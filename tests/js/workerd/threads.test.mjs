// One live thread per pull request, under the real runtime (`wrangler dev`) against the Discord
// stand-in: a forum post made once per pull request (also for first events at once), every later event in it,
// the card edited in place to the newest state and never back, retries that never make a second thread, a
// deleted thread made again, and a text channel's way (the card one message edited in place, events after it).
// Pull request events are built from the repository's captures (tests/vectors/bodies), with the times and
// states each case needs; one case replays a real pull request's events from ../shared when it is there.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';

import { eventually, loadCore, postHook, productionWasmPath, root, sharedDir, sign } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'threads-test-admin-token-0123456789';
// Short leases (DESTINATION_TIMEOUT_SECONDS + 5 = 8 s) and frequent sweeps, for the case of a relay killed while
// it makes a post.
const vars = {
  RETRY_BASE_SECONDS: 1, RETRY_MAX_SECONDS: 2, MAX_FAILURES: 3, DESTINATION_TIMEOUT_SECONDS: 3, LEASE_SECONDS: 1,
  SWEEP_GRACE_SECONDS: 1, SWEEP_INTERVAL_SECONDS: 2,
};

const { relay, sink } = withRelay({ token, sink: true, vars });
let core;

before(async () => {
  core = await loadCore(productionWasmPath);
});

const capture = (name) => JSON.parse(readFileSync(resolve(root, `tests/vectors/bodies/${name}.json`), 'utf8'));
// Minutes after the captures' own updated_on (2026-11-20T10:15:00+00:00), as Bitbucket writes times.
const at = (minutes) => new Date(Date.UTC(2026, 10, 20, 10, 15 + minutes)).toISOString().replace('Z', '000+00:00');

// A pull request event from the captures: pr-push.json (an open pull request) for created, updated, push,
// approved (with Bitbucket's `approval`) and fulfilled (MERGED); pr-comment.json and pr-changes-request.json
// for theirs. `minutes` is the pull request's updated_on. Returns {event, body (bytes)}.
function pr(event, minutes, { id = 42, title } = {}) {
  const from = { 'pullrequest:comment_created': 'pr-comment', 'pullrequest:changes_request_created': 'pr-changes-request' };
  const payload = capture(from[event] ?? 'pr-push');
  const pull = payload.pullrequest;
  Object.assign(pull, { id, updated_on: at(minutes), state: event === 'pullrequest:fulfilled' ? 'MERGED' : 'OPEN' });
  if (title !== undefined) pull.title = title;
  if (event === 'pullrequest:created') pull.created_on = pull.updated_on;
  if (event === 'pullrequest:approved') payload.approval = { date: pull.updated_on, user: pull.participants[0].user };
  return { event, body: Buffer.from(JSON.stringify(payload)) };
}

// A Discord webhook of the stand-in in a channel of `kind`, and an endpoint with threads relaying to it.
async function endpoint(name, kind = 'forum', extra = {}) {
  const hook = `${name}-${randomUUID().slice(0, 8)}`;
  if (kind !== null) sink.channel(hook, kind);
  const created = await relay.api('POST', '/api/endpoints', {
    name, destination_url: sink.webhook(hook), events: { mode: 'all' }, threads: 'pull_request', ...extra,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return { ...created.body, hook };
}

// Sends one event as Bitbucket does; returns the delivery's id.
async function send(ep, { event, body }) {
  const answer = await postHook(ep.url, ep.secret, event, body);
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return answer.body.delivery;
}

const delivery = async (id) => (await relay.api('GET', `/api/deliveries/${id}`)).body;
const settled = (id, status = 'delivered', timeoutMs = 30_000) => eventually(async () => {
  const current = await delivery(id);
  return `delivery ${id} to be ${status}; it is ${current.status}: ${current.last_error ?? ''}`;
}, async () => {
  const current = await delivery(id);
  return current.status === status ? current : null;
}, timeoutMs);
const deliver = async (ep, event) => settled(await send(ep, event));

// What the core makes of an event: its message and the card (the same wasm as the Worker's).
function rendered(ep, { event, body }) {
  const outcome = core.handle({ secrets: [ep.secret], events: { mode: 'all' }, threads: 'pull_request' },
    { 'x-event-key': event, 'x-hub-signature': sign(ep.secret, body) }, body);
  assert.equal(outcome.verdict, 'deliver', outcome.reason);
  return outcome;
}

const threadsOf = (ep) => sink.threads().filter((thread) => thread.created_by_token === ep.hook);
const inThread = (ep, thread) => sink.messages(ep.hook).filter((message) => message.thread_id === thread.id);
const calls = (ep, method) => sink.received(ep.hook).filter((entry) => entry.method === method);
const outcomes = (done) => done.attempt_log.map((entry) => entry.outcome);
const cardOf = (ep, thread) => sink.messages(ep.hook).find((message) => message.id === thread.id);

describe('a forum channel', () => {
  test('the first event makes one post named after the pull request; later events land in it; the card, edited with the thread named, ends merged', async () => {
    const ep = await endpoint('forum');
    const first = pr('pullrequest:created', 0);
    const opened = await deliver(ep, first);
    assert.deepEqual(outcomes(opened), ['thread_created', 'posted']);

    const [thread] = threadsOf(ep);
    assert.equal(threadsOf(ep).length, 1);
    assert.equal(thread.name, '#42 Honour retry_after on 429');
    assert.equal(thread.parent_kind, 'forum');
    const starter = cardOf(ep, thread);
    assert.equal(starter.thread_name, thread.name);
    const { thread: { card: openCard }, message: openMessage } = rendered(ep, first);
    assert.deepEqual(starter.body, { ...openCard, thread_name: thread.name });
    assert.deepEqual(inThread(ep, thread).map((message) => message.body), [starter.body, openMessage]);
    assert.equal(opened.message_id, inThread(ep, thread)[1].id, 'the delivery keeps its event message\'s id');

    const later = [pr('pullrequest:approved', 1), pr('pullrequest:comment_created', 2),
      pr('pullrequest:changes_request_created', 3), pr('pullrequest:push', 4), pr('pullrequest:fulfilled', 5)];
    for (const event of later) {
      const done = await deliver(ep, event);
      assert.deepEqual(outcomes(done), ['posted', 'card_updated'], event.event);
    }
    assert.equal(threadsOf(ep).length, 1, 'one pull request, one post');
    const messages = inThread(ep, thread);
    assert.deepEqual(messages.slice(2).map((message) => message.body), later.map((event) => rendered(ep, event).message));
    assert.equal(sink.messages(ep.hook).length, messages.length, 'nothing was posted outside the thread');

    const merged = rendered(ep, pr('pullrequest:fulfilled', 5));
    assert.equal(merged.thread.state, 'MERGED');
    assert.deepEqual(cardOf(ep, thread).body.embeds, merged.thread.card.embeds);
    for (const edit of calls(ep, 'PATCH')) assert.deepEqual(Object.keys(edit.body), ['content', 'embeds', 'allowed_mentions']);
    const edits = calls(ep, 'PATCH');
    assert.equal(edits.length, later.length);
    for (const edit of edits) {
      assert.equal(new URLSearchParams(edit.query).get('thread_id'), thread.id, 'an edit in a thread names it');
      assert.equal(edit.message_id, thread.id);
      assert.equal(edit.answered, 200);
    }
  });

  test('first events at once make exactly one thread; every event lands in it', async () => {
    const ep = await endpoint('race');
    // The post answers late, so the others come while it is being made.
    sink.script(ep.hook, [{ hang_ms: 1500 }]);
    const events = [pr('pullrequest:created', 0), pr('pullrequest:comment_created', 1), pr('pullrequest:approved', 2)];
    const ids = await Promise.all(events.map((event) => send(ep, event)));
    const done = await Promise.all(ids.map((id) => settled(id)));

    assert.equal(threadsOf(ep).length, 1, `threads: ${JSON.stringify(threadsOf(ep).map((t) => t.name))}`);
    const [thread] = threadsOf(ep);
    assert.equal(calls(ep, 'POST').filter((entry) => entry.body.thread_name !== undefined).length, 1, 'one post was asked for');
    const bodies = inThread(ep, thread).slice(1).map((message) => JSON.stringify(message.body)).sort();
    assert.deepEqual(bodies, events.map((event) => JSON.stringify(rendered(ep, event).message)).sort());
    assert.equal(done.filter((d) => outcomes(d).includes('thread_created')).length, 1);
    // The others came while it was being made: they waited, then posted. A wait counts no attempt: only the
    // attempts that called Discord (those between the waits) are counted.
    assert.ok(done.some((d) => outcomes(d).includes('waiting')), 'no event waited for the post: the case did not happen');
    for (const d of done) {
      const sending = outcomes(d).join(' ').split('waiting').filter((part) => part.trim() !== '').length;
      assert.equal(d.attempts, sending, `${d.id}: ${outcomes(d)}`);
    }
    // The card ends at the newest of the three, whichever order they were delivered in.
    assert.deepEqual(cardOf(ep, thread).body.embeds, rendered(ep, events[2]).thread.card.embeds);
  });

  test('an older `updated` arriving after `fulfilled` is posted in the thread and the card stays merged', async () => {
    const ep = await endpoint('order');
    await deliver(ep, pr('pullrequest:created', 0));
    const merged = await deliver(ep, pr('pullrequest:fulfilled', 10));
    assert.deepEqual(outcomes(merged), ['posted', 'card_updated']);
    const stale = pr('pullrequest:updated', 5, { title: 'Honour retry_after on 429 (v2)' });
    const late = await deliver(ep, stale);
    assert.deepEqual(outcomes(late), ['posted', 'card_kept']);
    assert.match(late.attempt_log[1].note, /^card kept at MERGED: this event \(2026-11-20T10:20:00\.000Z\) is older than the card \(2026-11-20T10:25:00\.000Z\)$/);

    const [thread] = threadsOf(ep);
    assert.equal(threadsOf(ep).length, 1);
    assert.deepEqual(inThread(ep, thread).at(-1).body, rendered(ep, stale).message);
    assert.equal(calls(ep, 'PATCH').length, 1, 'only the merge edited the card');
    assert.deepEqual(cardOf(ep, thread).body.embeds, rendered(ep, pr('pullrequest:fulfilled', 10)).thread.card.embeds);
  });

  test('retries never make a second thread: a 500 on making the post, on the post into the thread, and on the card edit', async () => {
    const ep = await endpoint('retry');
    sink.script(ep.hook, [{ status: 500 }]);
    const opened = await deliver(ep, pr('pullrequest:created', 0));
    assert.deepEqual(outcomes(opened), ['retry', 'thread_created', 'posted']);
    assert.equal(opened.attempts, 2);
    assert.equal(threadsOf(ep).length, 1);
    const [thread] = threadsOf(ep);

    sink.script(ep.hook, [{ status: 500 }]);
    const comment = pr('pullrequest:comment_created', 1);
    const commented = await deliver(ep, comment);
    assert.deepEqual(outcomes(commented), ['retry', 'posted', 'card_updated']);
    assert.equal(commented.attempt_log[0].status, 500);

    // The event is posted, then the edit fails: the retry edits the card and posts nothing again.
    sink.script(ep.hook, [{}, { status: 500 }]);
    const approval = pr('pullrequest:approved', 2);
    const approved = await deliver(ep, approval);
    assert.deepEqual(outcomes(approved), ['posted', 'retry', 'card_updated']);
    assert.equal(approved.attempts, 2);

    assert.equal(threadsOf(ep).length, 1);
    const bodies = inThread(ep, thread).map((message) => JSON.stringify(message.body));
    for (const event of [comment, approval]) {
      assert.equal(bodies.filter((body) => body === JSON.stringify(rendered(ep, event).message)).length, 1, event.event);
    }
    assert.deepEqual(cardOf(ep, thread).body.embeds, rendered(ep, approval).thread.card.embeds);
  });

  test('a deleted thread (Discord 404 10003) is forgotten and made again, the event delivered there, the destination not marked broken', async () => {
    const ep = await endpoint('deleted');
    await deliver(ep, pr('pullrequest:created', 0));
    await deliver(ep, pr('pullrequest:approved', 3));
    const [gone] = threadsOf(ep);
    assert.ok(sink.deleteThread(gone.id));

    // Older than the card shown: the new post starts from the newest card known, not from this event's.
    const comment = pr('pullrequest:comment_created', 2);
    const done = await deliver(ep, comment);
    assert.deepEqual(outcomes(done), ['thread_gone', 'thread_created', 'posted']);
    assert.equal(done.attempt_log[0].status, 404);
    assert.equal(done.attempts, 1);

    const live = threadsOf(ep).filter((thread) => !thread.deleted);
    assert.equal(live.length, 1);
    assert.notEqual(live[0].id, gone.id);
    assert.deepEqual(inThread(ep, live[0]).map((message) => message.body.embeds),
      [rendered(ep, pr('pullrequest:approved', 3)).thread.card.embeds, rendered(ep, comment).message.embeds]);
    assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status, 'ok');

    // The next event goes to the new thread.
    const merged = await deliver(ep, pr('pullrequest:fulfilled', 4));
    assert.deepEqual(outcomes(merged), ['posted', 'card_updated']);
    assert.equal(inThread(ep, live[0]).length, 3);
    assert.equal(threadsOf(ep).length, 2);
  });

  test('a webhook Discord no longer knows (404 10015) fails the delivery at once and marks the destination broken', async () => {
    const ep = await endpoint('gone');
    sink.script(ep.hook, [{ status: 404 }]);
    const done = await settled(await send(ep, pr('pullrequest:created', 0)), 'failed');
    assert.deepEqual(outcomes(done), ['failed']);
    assert.equal(done.attempts, 1);
    assert.equal(done.response_status, 404);
    assert.match(done.last_error, /10015/);
    assert.equal(threadsOf(ep).length, 0);
    const { body: endpointNow } = await relay.api('GET', `/api/endpoints/${ep.id}`);
    assert.equal(endpointNow.destination_status, 'broken');
    assert.match(endpointNow.destination_error, /10015|Unknown Webhook/);
  });

  test('a deleted card (Discord 404 10008) is posted again in the thread and edited from then on', async () => {
    const ep = await endpoint('card');
    await deliver(ep, pr('pullrequest:created', 0));
    const [thread] = threadsOf(ep);
    // Someone deletes the post's first message; the post stays.
    const removed = await fetch(`${sink.webhook(ep.hook)}/messages/${thread.id}?thread_id=${thread.id}`, { method: 'DELETE' });
    assert.equal(removed.status, 204);

    const approval = pr('pullrequest:approved', 1);
    const approved = await deliver(ep, approval);
    assert.deepEqual(outcomes(approved), ['posted', 'card_gone', 'card_posted']);
    const card = inThread(ep, thread).at(-1);
    assert.deepEqual(card.body, rendered(ep, approval).thread.card);

    const merged = await deliver(ep, pr('pullrequest:fulfilled', 2));
    assert.deepEqual(outcomes(merged), ['posted', 'card_updated']);
    assert.equal(calls(ep, 'PATCH').at(-1).message_id, card.id);
    assert.deepEqual(sink.messages(ep.hook).find((message) => message.id === card.id).body.embeds,
      rendered(ep, pr('pullrequest:fulfilled', 2)).thread.card.embeds);
  });
});

describe('a text channel', () => {
  test('the card is posted once and edited in place; events are plain messages after it; the channel\'s kind is remembered', async () => {
    const ep = await endpoint('text', 'text');
    const opened = await deliver(ep, pr('pullrequest:created', 0));
    assert.deepEqual(outcomes(opened), ['not_a_forum', 'card_posted', 'posted']);
    assert.equal(opened.attempt_log[0].status, 400);
    assert.match(opened.attempt_log[0].answer, /220003/);
    assert.equal(threadsOf(ep).length, 0);

    const merged = await deliver(ep, pr('pullrequest:fulfilled', 5));
    assert.deepEqual(outcomes(merged), ['posted', 'card_updated']);
    const [card, ...events] = sink.messages(ep.hook);
    assert.equal(card.thread_id, null);
    assert.deepEqual(card.body.embeds, rendered(ep, pr('pullrequest:fulfilled', 5)).thread.card.embeds);
    assert.equal(card.edits.length, 1);
    assert.deepEqual(events.map((message) => message.body),
      [rendered(ep, pr('pullrequest:created', 0)).message, rendered(ep, pr('pullrequest:fulfilled', 5)).message]);
    const [edit] = calls(ep, 'PATCH');
    assert.equal(edit.message_id, card.id);
    assert.equal(new URLSearchParams(edit.query).get('thread_id'), null);

    // Another pull request: the channel is known to be a text channel, so no post is asked for.
    const before = calls(ep, 'POST').length;
    const other = await deliver(ep, pr('pullrequest:created', 0, { id: 43, title: 'Another one' }));
    assert.deepEqual(outcomes(other), ['card_posted', 'posted']);
    assert.ok(calls(ep, 'POST').slice(before).every((entry) => entry.body.thread_name === undefined));
  });

  test('a changed destination_url starts afresh: a forum after a text channel gets its post', async () => {
    const ep = await endpoint('moved', 'text');
    await deliver(ep, pr('pullrequest:created', 0));
    const forum = `moved-forum-${randomUUID().slice(0, 8)}`;
    sink.channel(forum, 'forum');
    const patched = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { destination_url: sink.webhook(forum) });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const moved = { ...ep, hook: forum };
    const done = await deliver(moved, pr('pullrequest:approved', 1));
    assert.deepEqual(outcomes(done), ['thread_created', 'posted']);
    assert.equal(threadsOf(moved).length, 1);
  });
});

test('an endpoint without threads sends each pull request event as one message, as before', async () => {
  const hook = `plain-${randomUUID().slice(0, 8)}`;
  const created = await relay.api('POST', '/api/endpoints', { name: 'plain', destination_url: sink.webhook(hook), events: { mode: 'all' } });
  assert.equal(created.status, 201);
  const event = pr('pullrequest:created', 0);
  const done = await deliver(created.body, event);
  assert.deepEqual(outcomes(done), ['delivered']);
  const received = sink.received(hook);
  assert.equal(received.length, 1);
  assert.equal(received[0].body.thread_name, undefined);
  const plain = core.handle({ secrets: [created.body.secret], events: { mode: 'all' } },
    { 'x-event-key': event.event, 'x-hub-signature': sign(created.body.secret, event.body) }, event.body);
  assert.equal(plain.thread, undefined);
  assert.deepEqual(received[0].body, plain.message);
});

// A real pull request's events as Bitbucket sent them (arolgroup's #6: updated, approved, merged), from ../shared.
const realDir = resolve(sharedDir, 'fixtures/bitbucket-cloud/B-AROL-O__ble-testsuite');
const real = [['2023-05-11-165428-webhook-site.json', 'pullrequest:updated'], ['2023-05-12-134542-webhook-site.json', 'pullrequest:approved'],
  ['2023-05-12-134550-webhook-site.json', 'pullrequest:fulfilled']];
test('a real pull request\'s events (../shared): one post, its card merged, the first update again changes nothing', {
  skip: existsSync(realDir) ? false : `needs ${realDir}`,
}, async () => {
  const ep = await endpoint('real');
  const events = real.map(([file, event]) => ({ event, body: readFileSync(resolve(realDir, file)) }));
  for (const event of events) await deliver(ep, event);
  const [thread] = threadsOf(ep);
  assert.equal(threadsOf(ep).length, 1);
  assert.equal(thread.name, '#6 [Feat] Integrate branch gmacario/dev03');
  assert.deepEqual(cardOf(ep, thread).body.embeds, rendered(ep, events[2]).thread.card.embeds);
  // Bitbucket retrying the first update late (another X-Request-UUID, a new body: the same one would be a replay).
  const again = { event: events[0].event, body: Buffer.concat([events[0].body, Buffer.from('\n')]) };
  const late = await deliver(ep, again);
  assert.deepEqual(outcomes(late), ['posted', 'card_kept']);
  assert.deepEqual(cardOf(ep, thread).body.embeds, rendered(ep, events[2]).thread.card.embeds);
});

test('a relay killed while it makes the post: the claim runs out, the post is made once, both events land in it', async () => {
  const ep = await endpoint('killed');
  // The post hangs; the relay is killed while it waits, so Discord never makes it.
  sink.script(ep.hook, [{ hang_ms: 6000 }]);
  const first = await send(ep, pr('pullrequest:created', 0));
  await eventually('the post to reach the stand-in', () => sink.arrivals(ep.hook) >= 1);
  await relay.kill();
  await relay.start();
  // Another event of the pull request comes while the dead delivery's claim may still hold.
  const second = await send(ep, pr('pullrequest:comment_created', 1));
  const done = await Promise.all([settled(first, 'delivered', 60_000), settled(second, 'delivered', 60_000)]);
  assert.equal(threadsOf(ep).length, 1);
  assert.equal(done.filter((d) => outcomes(d).includes('thread_created')).length, 1);
  const [thread] = threadsOf(ep);
  assert.equal(inThread(ep, thread).length, 3, 'the card and the two events');
});
