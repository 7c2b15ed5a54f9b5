// Writes the seed corpus of dispatch_fuzz_template (tests/fuzz/corpus-template/) in its input format: the
// template document, then NUL-separated partials ("name\nsource"), then three bytes read from the end:
// flags, the event key's index in the catalogue, the payload's index (0: push.json with ten commits, then
// tests/vectors/bodies/*.json in name order). Run from the repository: node tests/fuzz/template-seeds.mjs

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(root, 'tests/fuzz/corpus-template');

// The catalogue's order, as event_catalogue() returns it.
const events = readFileSync(join(root, 'src/dispatch/events.cpp'), 'utf8');
const catalogue = [...events.matchAll(/^\s*\{"([a-z_]+:[a-z_]+)"/gm)].map((match) => match[1]);
const bodyFiles = readdirSync(join(root, 'tests/vectors/bodies')).filter((name) => name.endsWith('.json'));
const bodies = ['push.json, ten commits', ...bodyFiles.sort()];

const RENDER_WITH = 1;
const AS_OBJECT = 2;

function seed(name, { event, body, flags = 0, template, partials = {} }) {
  const eventIndex = catalogue.indexOf(event);
  const bodyIndex = body === 'ten' ? 0 : bodies.indexOf(body);
  if (eventIndex < 0 || bodyIndex < 0) throw new Error(`${name}: unknown event ${event} or body ${body}`);
  const text = [typeof template === 'string' ? template : JSON.stringify(template)]
    .concat(Object.entries(partials).map(([partial, source]) => `${partial}\n${source}`))
    .join('\0');
  const tail = Buffer.from([flags, eventIndex, bodyIndex]);
  writeFileSync(join(out, name), Buffer.concat([Buffer.from(text, 'utf8'), tail]));
}

// depth sections over the commits around `inner`.
const commits = (inner, depth) =>
  '{{#dispatch.commits}}'.repeat(depth) + inner + '{{/dispatch.commits}}'.repeat(depth);

mkdirSync(out, { recursive: true });

seed('content-actor', {
  event: 'repo:push',
  body: 'push.json',
  template: { content: '{{dispatch.actor}} pushed to {{dispatch.repository}} ({{dispatch.branch}})' },
});
seed('embed-commit-list', {
  event: 'repo:push',
  body: 'ten',
  template: {
    embeds: [
      {
        title: '{{dispatch.commit_count}} commits to {{dispatch.branch}}',
        description: '{{#dispatch.commits}}[`{{short_hash}}`]({{url}}) {{subject}} - {{author}}\n{{/dispatch.commits}}',
        color: '{{dispatch.color}}',
      },
    ],
  },
});
seed('nested-sections-commits', {
  event: 'repo:push',
  body: 'ten',
  flags: RENDER_WITH,
  template: { content: commits('{{short_hash}}', 3) },
});
seed('partials-inheritance', {
  event: 'repo:push',
  body: 'push.json',
  template: { content: '{{dispatch.label}}: {{<parent}}{{$block}}by {{dispatch.actor}}{{/block}}{{/parent}} {{>p1}}' },
  partials: {
    parent: '{{dispatch.repository}}: {{$block}}someone{{/block}} on {{$branch}}{{dispatch.branch}}{{/branch}}',
    p1: '{{#dispatch.commits}}{{>line}}{{/dispatch.commits}}',
    line: '  * {{subject}}\n',
  },
});
seed('delimiter-change', {
  event: 'repo:push',
  body: 'push.json',
  template: { content: '{{=<% %>=}}<% dispatch.actor %> on <%& dispatch.branch %> <%={{ }}=%>{{dispatch.event}}' },
});
seed('auto-embeds', {
  event: 'pullrequest:created',
  body: 'pr-push.json',
  flags: AS_OBJECT,
  template: { content: '{{dispatch.label}}: {{pullrequest.title}}', embeds: '{{dispatch.auto.embeds}}' },
});
seed('pr-embed-members', {
  event: 'pullrequest:changes_request_created',
  body: 'pr-changes-request.json',
  template: {
    username: '{{dispatch.actor}}',
    embeds: [
      {
        title: '{{pullrequest.title}}',
        url: '{{pullrequest.links.html.href}}',
        author: { name: '{{actor.display_name}}' },
        footer: { text: '{{repository.full_name}} {{dispatch.source_branch}} -> {{dispatch.destination_branch}}' },
        fields: [{ name: 'State', value: '{{pullrequest.state}}', inline: 'true' }],
      },
    ],
  },
});
seed('pr-comment-raw', {
  event: 'pullrequest:comment_created',
  body: 'pr-comment.json',
  flags: RENDER_WITH,
  template: { content: '{{{comment.content.raw}}} / {{&comment.content.raw}} / {{comment.content.raw}}' },
});
seed('inverted-no-commits', {
  event: 'repo:updated',
  body: 'sparse.json',
  template: { content: '{{^dispatch.commits}}no commits{{/dispatch.commits}}{{! a comment }}{{dispatch.label}}' },
});
seed('commit-status', {
  event: 'repo:commit_status_updated',
  body: 'team-status.json',
  template: {
    embeds: [{ title: '{{commit_status.state}}: {{commit_status.name}}', description: '{{commit_status.url}}' }],
  },
});
seed('push-changes-forced', {
  event: 'repo:push',
  body: 'push-forced-deleted.json',
  flags: RENDER_WITH | AS_OBJECT,
  template: {
    content:
      '{{#push.changes}}{{#new}}{{name}}{{/new}}{{^new}}deleted {{old.name}}{{/new}}' +
      '{{#forced}} (forced){{/forced}}\n{{/push.changes}}',
  },
});
seed('dynamic-partial', {
  event: 'repo:transfer',
  body: 'transfer.json',
  template: { content: '{{dispatch.label}}: {{>*dispatch.event}}' },
  partials: { 'repo:transfer': '{{dispatch.repository}} moved from {{previous_owner.display_name}}' },
});
seed('syntax-unclosed-section', {
  event: 'repo:push',
  body: 'push.json',
  template: '{"content":"{{#dispatch.commits}}{{subject}}"}',
});
seed('invalid-member', {
  event: 'pullrequest:comment_deleted',
  body: 'pr-comment-deleted.json',
  template: '{"contnet":"{{dispatch.actor}}",\n "embeds":[{"titel":"x"}]}',
});
seed('content-over-limit', {
  event: 'repo:push',
  body: 'ten',
  template: {
    content: commits('{{message}} {{message}} {{message}} {{url}} {{url}}', 1),
    embeds: [{ title: commits('{{hash}}', 1) }],
  },
});

// Regressions: a template that asks for more than any message can hold, or nests past max_nesting. Before the
// render budget each of the first two ran past -timeout=2 (a few hundred bytes asking for gigabytes).
seed('nested-sections-blowup', {
  event: 'repo:push',
  body: 'ten',
  template: { content: commits('{{short_hash}} {{subject}}\n', 7) },
});
seed('recursive-partials-blowup', {
  event: 'repo:push',
  body: 'ten',
  template: { content: '{{>p}}' },
  partials: { p: '{{>p}}{{>p}}' },
});
seed('deep-nesting-sections', {
  event: 'repo:push',
  body: 'ten',
  template: { content: `${'{{#.}}'.repeat(200)}x${'{{/.}}'.repeat(200)}` },
});
// Found by the fuzzer on the bounded core (586162a): a template given as text in a preview request, starting with
// a byte order mark and holding an embed, crashed compile_part (an index past the positions it had recorded).
seed('preview-bom-template-segv', {
  event: 'repo:push',
  body: 'ten',
  template: '\uFEFF{"embeds":[{"title":"x"}]}',
});
