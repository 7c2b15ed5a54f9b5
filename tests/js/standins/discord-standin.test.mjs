// The Discord stand-in (script/discord-sink.mjs), driven through HTTP as the relay drives Discord: what real
// Discord refuses, it must refuse, with Discord's status, JSON code and message. The facts and their sources
// are at the top of the stand-in.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, test } from 'node:test';

import { startDiscordSink } from '../../../script/discord-sink.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let sink;
before(async () => {
  sink = await startDiscordSink();
});
after(() => sink.close());
beforeEach(() => sink.reset());

async function call(method, url, body) {
  const answer = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await answer.text();
  return { status: answer.status, headers: answer.headers, body: text ? JSON.parse(text) : null };
}

const post = (token, body, query = '?wait=true', webhookId) => call('POST', `${sink.webhook(token, webhookId)}${query}`, body);
const onMessage = (method, token, id, query = '', body) => call(method, `${sink.webhook(token)}/messages/${id}${query}`, body);
const patch = (token, id, body, query) => onMessage('PATCH', token, id, query, body);
const control = (method, path, body) => call(method, `${sink.url}${path}`, body);

// Asserts Discord's plain error answer: status, code and message, verbatim, and nothing else.
function refused(answer, status, code, message) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.deepEqual(answer.body, { message, code });
}

function formRefused(answer, errors) {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.deepEqual(answer.body, { message: 'Invalid Form Body', code: 50035, errors });
}

const unknownChannel = (answer) => refused(answer, 404, 10003, 'Unknown Channel');
const unknownMessage = (answer) => refused(answer, 404, 10008, 'Unknown Message');
const archived = (answer) => refused(answer, 400, 50083, 'Thread is archived');

// Creates a forum post with a webhook and returns the created message.
async function forumPost(token, name = '#42 Add login', body = { content: 'opened' }) {
  const answer = await post(token, { ...body, thread_name: name });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

describe('channels by kind', () => {
  test('a webhook posts into a text channel of its own by default, whose id is the same for the same token', async () => {
    const first = await post('text-a', { content: 'a' });
    const second = await post('text-b', { content: 'b' });
    assert.equal(first.status, 200);
    assert.match(first.body.channel_id, /^\d{17,20}$/);
    assert.notEqual(first.body.channel_id, second.body.channel_id);
    sink.reset();
    assert.equal((await post('text-a', { content: 'again' })).body.channel_id, first.body.channel_id);
    assert.deepEqual(sink.channel('text-a', 'text'), { token: 'text-a', kind: 'text', type: 0, channel_id: first.body.channel_id });
  });

  test('the kinds are text (0), forum (15) and media (16); anything else is a mistake in the test', async () => {
    assert.equal(sink.channel('k1', 'forum').type, 15);
    assert.equal(sink.channel('k2', 'media').type, 16);
    assert.throws(() => sink.channel('k3', 'voice'), TypeError);
    const bad = await control('POST', '/_sink/channel/k3', { kind: 'announcement' });
    assert.equal(bad.status, 400);
  });

  test('over HTTP a channel is made a forum, and a reset makes it a text channel again', async () => {
    const made = await control('POST', '/_sink/channel/http-forum', { kind: 'forum' });
    assert.equal(made.status, 200);
    assert.equal(made.body.type, 15);
    refused(await post('http-forum', { content: 'x' }), 400, 220001, 'Webhooks posted to forum channels must have a thread_name or thread_id');
    assert.equal((await control('POST', '/_sink/reset')).status, 204);
    assert.equal((await post('http-forum', { content: 'x' })).status, 200);
  });
});

for (const kind of ['forum', 'media']) {
  describe(`a ${kind} channel`, () => {
    const token = `${kind}-token`;
    beforeEach(() => sink.channel(token, kind));

    test('thread_name creates a post: the thread has the starter message\'s id, which is the message\'s channel_id', async () => {
      const message = await forumPost(token, '#42 Add login');
      assert.equal(message.channel_id, message.id);
      assert.equal(message.position, 0);
      const parent = sink.channel(token, kind).channel_id;
      assert.notEqual(message.channel_id, parent);
      assert.deepEqual(sink.threads(), [{
        id: message.id, name: '#42 Add login', channel_id: parent, parent_kind: kind, created_by_token: token,
        deleted: false, archived: false, locked: false, applied_tags: [],
      }]);
      const [stored] = sink.messages(token);
      assert.equal(stored.thread_id, message.id);
      assert.equal(stored.thread_name, '#42 Add login');
    });

    test('a post without thread_name or thread_id is refused with 220001', async () => {
      refused(await post(token, { content: 'x' }), 400, 220001, 'Webhooks posted to forum channels must have a thread_name or thread_id');
      refused(await post(token, { content: 'x' }, ''), 400, 220001, 'Webhooks posted to forum channels must have a thread_name or thread_id');
      assert.deepEqual(sink.threads(), []);
    });

    test('a post with both thread_name and thread_id is refused with 220002', async () => {
      const first = await forumPost(token);
      refused(await post(token, { content: 'x', thread_name: 'again' }, `?wait=true&thread_id=${first.id}`),
        400, 220002, 'Webhooks posted to forum channels cannot have both a thread_name and thread_id');
      assert.equal(sink.threads().length, 1);
    });

    test('thread_name is 1 to 100 characters (code points); longer or empty is a 50035 form error', async () => {
      const bad = { thread_name: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] } };
      formRefused(await post(token, { content: 'x', thread_name: 'n'.repeat(101) }), bad);
      formRefused(await post(token, { content: 'x', thread_name: '' }), bad);
      assert.equal((await post(token, { content: 'x', thread_name: 'n'.repeat(100) })).status, 200);
      assert.equal((await post(token, { content: 'x', thread_name: '🧵'.repeat(100) })).status, 200);
      assert.equal(sink.threads().length, 2);
    });

    test('thread_id posts into the thread: the message\'s channel_id is the thread, and it follows the starter', async () => {
      const starter = await forumPost(token);
      const reply = await post(token, { content: 'pushed 2 commits' }, `?wait=true&thread_id=${starter.id}`);
      assert.equal(reply.status, 200);
      assert.equal(reply.body.channel_id, starter.id);
      assert.equal(reply.body.position, 1);
      assert.ok(BigInt(reply.body.id) > BigInt(starter.id), 'ids are monotonic');
      const quiet = await post(token, { content: 'merged' }, `?thread_id=${starter.id}`);
      assert.equal(quiet.status, 204);
      assert.deepEqual(sink.messages(token).map((m) => [m.thread_id, m.body.content]),
        [[starter.id, 'opened'], [starter.id, 'pushed 2 commits'], [starter.id, 'merged']]);
    });

    test('a thread of another channel, or none at all, is an unknown channel (404 10003)', async () => {
      sink.channel('other-forum', 'forum');
      const elsewhere = await forumPost('other-forum');
      unknownChannel(await post(token, { content: 'x' }, `?wait=true&thread_id=${elsewhere.id}`));
      unknownChannel(await post(token, { content: 'x' }, '?wait=true&thread_id=1234567890123456789'));
      formRefused(await post(token, { content: 'x' }, '?wait=true&thread_id=pr-42'),
        { thread_id: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value "pr-42" is not snowflake.' }] } });
    });

    test('webhooks on the same channel share its threads', async () => {
      const { channel_id: channelId } = sink.channel(token, kind);
      sink.channel('second-webhook', kind, { channelId });
      const starter = await forumPost(token);
      const answer = await post('second-webhook', { content: 'from the other webhook' }, `?wait=true&thread_id=${starter.id}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.channel_id, starter.id);
    });

    test('applied_tags are kept on the post they created', async () => {
      await forumPost(token, 'tagged', { content: 'x', applied_tags: ['1000000000000000042'] });
      assert.deepEqual(sink.threads()[0].applied_tags, ['1000000000000000042']);
    });

    test('a person\'s post (made with the control call) takes webhook messages after its own starter', async () => {
      const id = sink.thread(token, 'asked by a person');
      const answer = await post(token, { content: 'x' }, `?wait=true&thread_id=${id}`);
      assert.equal(answer.body.channel_id, id);
      assert.equal(answer.body.position, 1);
      assert.equal(sink.threads()[0].created_by_token, null);
    });
  });
}

describe('a text channel', () => {
  test('refuses thread_name with 220003 and creates nothing', async () => {
    refused(await post('plain', { content: 'x', thread_name: '#42 Add login' }), 400, 220003,
      'Webhooks can only create threads in forum channels');
    assert.deepEqual(sink.threads(), []);
    assert.deepEqual(sink.messages('plain'), []);
    assert.deepEqual(sink.received('plain').map((item) => [item.method, item.answered]), [['POST', 400]]);
  });

  test('takes thread_id of a thread a person started in it, made over JS or HTTP', async () => {
    const viaJs = sink.thread('plain', 'release chatter');
    const viaHttp = await control('POST', '/_sink/thread/plain', { name: 'reviews' });
    assert.equal(viaHttp.status, 200);
    assert.equal(viaHttp.body.parent_kind, 'text');
    for (const id of [viaJs, viaHttp.body.id]) {
      const answer = await post('plain', { content: 'in the thread' }, `?wait=true&thread_id=${id}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.channel_id, id);
    }
    assert.throws(() => sink.thread('plain', 'x'.repeat(101)), TypeError);
  });

  test('a webhook cannot reply: message_reference is not an Execute Webhook parameter and is ignored', async () => {
    const first = await post('plain', { content: 'first' });
    const second = await post('plain', { content: 'reply?', message_reference: { message_id: first.body.id } });
    assert.equal(second.status, 200);
    assert.equal(second.body.message_reference, undefined);
    assert.equal(second.body.channel_id, first.body.channel_id);
  });
});

describe('a deleted thread (a moderator removed the post)', () => {
  test('posts, edits and reads with its thread_id get 404 10003; without it the message is unknown', async () => {
    sink.channel('deleted', 'forum');
    const starter = await forumPost('deleted');
    assert.equal(sink.deleteThread(starter.id), true);
    assert.equal(sink.threads()[0].deleted, true);
    unknownChannel(await post('deleted', { content: 'x' }, `?wait=true&thread_id=${starter.id}`));
    unknownChannel(await patch('deleted', starter.id, { content: 'edited' }, `?thread_id=${starter.id}`));
    unknownChannel(await onMessage('GET', 'deleted', starter.id, `?thread_id=${starter.id}`));
    unknownMessage(await patch('deleted', starter.id, { content: 'edited' }));
    assert.equal(sink.deleteThread('1'), false);
  });

  test('over HTTP too; an unknown thread is the control API\'s 404', async () => {
    const id = sink.thread('deleted-http', 'gone soon');
    assert.equal((await control('POST', `/_sink/delete-thread/${id}`)).status, 204);
    unknownChannel(await post('deleted-http', { content: 'x' }, `?wait=true&thread_id=${id}`));
    assert.equal((await control('POST', '/_sink/delete-thread/1')).status, 404);
    assert.equal((await control('GET', '/_sink/threads')).body[0].deleted, true);
  });
});

describe('an archived thread', () => {
  test('a post with its thread_id unarchives it; an edit in it is refused with 50083; a read is not', async () => {
    sink.channel('archive', 'forum');
    const starter = await forumPost('archive');
    sink.archiveThread(starter.id);
    archived(await patch('archive', starter.id, { content: 'edited' }, `?thread_id=${starter.id}`));
    assert.equal((await onMessage('GET', 'archive', starter.id, `?thread_id=${starter.id}`)).status, 200);
    assert.equal((await post('archive', { content: 'bump' }, `?wait=true&thread_id=${starter.id}`)).status, 200);
    assert.equal(sink.threads()[0].archived, false);
    assert.equal((await patch('archive', starter.id, { content: 'edited' }, `?thread_id=${starter.id}`)).status, 200);
  });

  test('a locked one is not unarchived by a webhook post', async () => {
    const id = sink.thread('locked', 'locked by a moderator');
    assert.equal((await control('POST', `/_sink/archive-thread/${id}`, { locked: true })).status, 204);
    archived(await post('locked', { content: 'x' }, `?wait=true&thread_id=${id}`));
    assert.equal(sink.threads()[0].archived, true);
  });
});

describe('Edit Webhook Message', () => {
  test('edits the starter message of a post with ?thread_id and answers the whole updated message', async () => {
    sink.channel('edit', 'forum');
    const starter = await forumPost('edit', '#7 Fix cache', { content: 'open', embeds: [{ title: 'PR #7', description: 'open' }] });
    await post('edit', { content: 'approved by Ada' }, `?wait=true&thread_id=${starter.id}`);
    const answer = await patch('edit', starter.id, { embeds: [{ title: 'PR #7', description: 'merged' }] }, `?thread_id=${starter.id}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.id, starter.id);
    assert.equal(answer.body.channel_id, starter.id);
    assert.equal(answer.body.content, 'open', 'a field the edit leaves out is kept');
    assert.deepEqual(answer.body.embeds, [{ title: 'PR #7', description: 'merged', type: 'rich' }]);
    assert.equal(answer.body.timestamp, starter.timestamp);
    assert.ok(Date.parse(answer.body.edited_timestamp) >= Date.parse(starter.timestamp));
    assert.equal(starter.edited_timestamp, null);

    const [stored] = sink.messages('edit');
    assert.deepEqual(stored.body, { content: 'open', thread_name: '#7 Fix cache', embeds: [{ title: 'PR #7', description: 'merged' }] });
    assert.deepEqual(stored.edits.map((edit) => edit.body), [{ embeds: [{ title: 'PR #7', description: 'merged' }] }]);
    assert.deepEqual(sink.received('edit').map((item) => [item.method, item.answered, item.id ?? item.message_id]),
      [['POST', 200, starter.id], ['POST', 200, sink.messages('edit')[1].id], ['PATCH', 200, starter.id]]);
  });

  test('a message in a thread edited without its thread_id, or with another thread\'s, is unknown (404 10008)', async () => {
    sink.channel('edit', 'forum');
    const first = await forumPost('edit', 'one');
    const second = await forumPost('edit', 'two');
    unknownMessage(await patch('edit', first.id, { content: 'x' }));
    unknownMessage(await patch('edit', first.id, { content: 'x' }, `?thread_id=${second.id}`));
    assert.deepEqual(sink.messages('edit')[0].edits, []);
  });

  test('a message of another webhook, even in the same channel, an unknown id and a malformed id are refused', async () => {
    const theirs = await post('their-webhook', { content: 'theirs' });
    unknownMessage(await patch('my-webhook', theirs.body.id, { content: 'mine now' }));
    sink.channel('my-webhook', 'text', { channelId: theirs.body.channel_id });
    unknownMessage(await patch('my-webhook', theirs.body.id, { content: 'mine now' }));
    unknownMessage(await onMessage('GET', 'my-webhook', theirs.body.id));
    unknownMessage(await onMessage('DELETE', 'my-webhook', theirs.body.id));
    unknownMessage(await patch('my-webhook', '1234567890123456789', { content: 'x' }));
    formRefused(await patch('my-webhook', 'latest', { content: 'x' }),
      { message_id: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value "latest" is not snowflake.' }] } });
    assert.equal(sink.messages('their-webhook')[0].body.content, 'theirs');
  });

  test('a text channel message is edited without thread_id; with one it is not found there', async () => {
    const sent = await post('plain-edit', { content: 'before' });
    const threadId = sink.thread('plain-edit', 'side');
    unknownMessage(await patch('plain-edit', sent.body.id, { content: 'x' }, `?thread_id=${threadId}`));
    const answer = await patch('plain-edit', sent.body.id, { content: 'after' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.content, 'after');
    assert.equal(answer.body.channel_id, sent.body.channel_id);
  });

  test('an edit is held to the same form checks as a post', async () => {
    const sent = await post('form-edit', { content: 'x' });
    formRefused(await patch('form-edit', sent.body.id, { content: 'x'.repeat(2001) }),
      { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } });
    formRefused(await patch('form-edit', sent.body.id, { embeds: [{ title: 't'.repeat(257) }] }),
      { embeds: { 0: { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 256 or fewer in length.' }] } } } });
    const invalid = await patch('form-edit', sent.body.id, '{"content":');
    refused(invalid, 400, 50109, 'The request body contains invalid JSON.');
    assert.equal(sink.messages('form-edit')[0].body.content, 'x');
  });

  test('null clears a field; an edit that would leave the message empty is refused with 50006', async () => {
    const sent = await post('empty-edit', { content: 'words', embeds: [{ title: 'card' }] });
    refused(await patch('empty-edit', sent.body.id, { content: null, embeds: [] }), 400, 50006, 'Cannot send an empty message');
    refused(await patch('empty-edit', sent.body.id, { content: '', embeds: null }), 400, 50006, 'Cannot send an empty message');
    const cleared = await patch('empty-edit', sent.body.id, { content: null });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.content, '');
    assert.equal(cleared.body.embeds.length, 1);
  });
});

describe('Get and Delete Webhook Message', () => {
  test('GET returns the message as it is now, with the same refusals as an edit', async () => {
    sink.channel('get', 'media');
    const starter = await forumPost('get', 'gallery');
    await patch('get', starter.id, { content: 'changed' }, `?thread_id=${starter.id}`);
    const read = await onMessage('GET', 'get', starter.id, `?thread_id=${starter.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.content, 'changed');
    assert.notEqual(read.body.edited_timestamp, null);
    unknownMessage(await onMessage('GET', 'get', starter.id));
    unknownMessage(await onMessage('GET', 'someone-else', starter.id, ''));
    assert.deepEqual(sink.received('get').map((item) => item.method), ['POST', 'PATCH'], 'reads are not logged');
  });

  test('DELETE removes it: 204, then it is unknown', async () => {
    const sent = await post('delete', { content: 'oops' });
    const gone = await onMessage('DELETE', 'delete', sent.body.id);
    assert.equal(gone.status, 204);
    unknownMessage(await onMessage('GET', 'delete', sent.body.id));
    unknownMessage(await patch('delete', sent.body.id, { content: 'x' }));
    assert.equal(sink.messages('delete')[0].deleted, true);
    assert.deepEqual(sink.received('delete').map((item) => [item.method, item.answered]),
      [['POST', 200], ['DELETE', 204], ['PATCH', 404]]);
  });
});

describe('what stays as it was', () => {
  test('the created message has Discord\'s shape; ids are snowflake strings; every answer has rate-limit headers', async () => {
    const answer = await post('shape', { content: 'hello', username: 'Bitbucket' }, '?wait=true', '1200000000000000777');
    assert.equal(answer.status, 200);
    for (const key of ['id', 'type', 'content', 'embeds', 'channel_id', 'webhook_id', 'author', 'timestamp',
      'edited_timestamp', 'flags', 'attachments', 'mentions', 'mention_roles', 'pinned', 'mention_everyone', 'tts']) {
      assert.ok(key in answer.body, key);
    }
    assert.equal(answer.body.type, 0);
    assert.equal(answer.body.webhook_id, '1200000000000000777');
    assert.equal(answer.body.author.username, 'Bitbucket');
    assert.equal(answer.body.position, undefined, 'position is for messages in threads');
    assert.match(answer.body.id, /^\d+$/);
    assert.equal(answer.headers.get('x-ratelimit-limit'), '5');
    assert.equal((await post('shape', { content: 'no wait' }, '')).status, 204);
    refused(await post('shape', {}), 400, 50006, 'Cannot send an empty message');
    const [first] = sink.received('shape');
    assert.deepEqual(Object.keys(first).sort(), ['answered', 'at', 'body', 'id', 'method', 'query']);
    assert.equal(first.query, '?wait=true');
  });

  test('scripted answers apply to the next request whatever its method', async () => {
    const sent = await post('scripted', { content: 'x' });
    sink.script('scripted', [{ status: 429, retry_after: 0.5 }, { status: 500 }]);
    const limited = await patch('scripted', sent.body.id, { content: 'y' });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.retry_after, 0.5);
    assert.equal((await onMessage('GET', 'scripted', sent.body.id)).status, 500);
    assert.equal((await patch('scripted', sent.body.id, { content: 'y' })).status, 200);
    assert.deepEqual(sink.received('scripted').map((item) => [item.method, item.answered]),
      [['POST', 200], ['PATCH', 429], ['PATCH', 200]]);
    assert.equal(sink.arrivals('scripted'), 4);
  });

  test('over HTTP: scripts, the log, messages and threads; other methods are 405', async () => {
    assert.equal((await control('POST', '/_sink/script/http', [{ status: 404 }])).status, 204);
    refused(await post('http', { content: 'x' }), 404, 10015, 'Unknown Webhook');
    const sent = await post('http', { content: 'x' });
    const log = await control('GET', '/_sink/received/http');
    assert.deepEqual(log.body.map((item) => [item.method, item.answered]), [['POST', 404], ['POST', 200]]);
    const messages = await control('GET', '/_sink/messages/http');
    assert.deepEqual(messages.body.map((m) => [m.id, m.thread_id, m.body.content]), [[sent.body.id, null, 'x']]);
    assert.deepEqual((await control('GET', '/_sink/threads')).body, []);
    assert.equal((await call('PUT', sink.webhook('http'), { content: 'x' })).status, 405);
    assert.equal((await call('POST', `${sink.webhook('http')}/messages/${sent.body.id}`, { content: 'x' })).status, 405);
  });
});

test('print mode tells a person about posts, thread messages and edits', async () => {
  const child = spawn(process.execPath, [join(root, 'script', 'discord-sink.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let output = '';
    let wake = () => {};
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output += chunk;
      wake();
    });
    // Resolves with everything printed so far once it matches the pattern.
    const lines = (pattern) => new Promise((resolve) => {
      const look = () => (pattern.test(output) ? resolve(output) : (wake = look));
      look();
    });
    const [, url] = /listening on (\S+)/.exec(await lines(/listening on \S+/));
    const hook = `${url}/api/webhooks/1200000000000000001/printed`;
    await call('POST', `${url}/_sink/channel/printed`, { kind: 'forum' });
    const starter = (await call('POST', `${hook}?wait=true`, { content: 'opened', thread_name: '#42 Add login' })).body;
    await call('POST', `${hook}?thread_id=${starter.id}`, { embeds: [{ title: 'Approved' }] });
    await call('PATCH', `${hook}/messages/${starter.id}?thread_id=${starter.id}`, { content: 'merged' });
    await call('POST', hook, { content: 'nowhere' });
    const printed = await lines(/refused/);
    assert.match(printed, new RegExp(`webhook 1200000000000000001 created post "#42 Add login" \\(thread ${starter.id}\\)`));
    assert.match(printed, new RegExp(`webhook 1200000000000000001 got "Approved" in thread ${starter.id}`));
    assert.match(printed, new RegExp(`webhook 1200000000000000001 edited message ${starter.id} in thread ${starter.id}: "merged"`));
    assert.match(printed, /refused POST: 400 220001/);
  } finally {
    child.kill();
    await once(child, 'exit');
  }
});
