// Discord's markdown as the page draws it (web/discord-markdown.mjs): parsed ASTs compared as
// compact prints, and the DOM built from them on a fake document that records what was created.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { appendMarkdown, parseMarkdown, printAst } from '../../../web/discord-markdown.mjs';
import { loadCore } from '../helpers.mjs';

const parsed = (text, mode = 'full') => printAst(parseMarkdown(text, mode));

// The core's own escaping (escape_markdown, through its Mustache engine in Discord mode), so the parser is
// held to what the core really sends rather than to a copy of it.
const core = await loadCore();
function escapeLikeCore(text) {
  const answer = core.mustache('{{text}}', JSON.stringify({ text }));
  assert.equal(answer.code, 'rendered', JSON.stringify(answer));
  return answer.text;
}

// What a reader sees of the nodes as text: the texts, a newline for each br.
const shown = (nodes) => nodes.map((node) => {
  if (node.type === 'text') return node.text;
  if (node.type === 'br') return '\n';
  return node.children ? shown(node.children) : `<${node.type}>`;
}).join('');

test('bold and plain text split where the markers are', () => {
  assert.equal(parsed('Hello **world**'), 'text{Hello }bold{text{world}}');
});

test('italic takes * or _, and _ only at word boundaries', () => {
  assert.equal(parsed('*a* _b_'), 'italic{text{a}}text{ }italic{text{b}}');
  assert.equal(parsed('snake_case_name x*y*z'), 'text{snake_case_name x}italic{text{y}}text{z}');
  assert.equal(parsed('* not italic *'), 'list{item{text{not italic *}}}');
  assert.equal(parsed('a * b *'), 'text{a * b *}');
});

test('underline, strike and spoiler nest inside one another', () => {
  assert.equal(parsed('__a **b ~~c~~**__ ||d||'),
    'underline{text{a }bold{text{b }strike{text{c}}}}text{ }spoiler{text{d}}');
});

test('runs of stars resolve as Discord does: bold first, then italic', () => {
  assert.equal(parsed('***bold italic***'), 'bold{italic{text{bold italic}}}');
  assert.equal(parsed('**foo***'), 'bold{text{foo*}}');
  assert.equal(parsed('****'), 'italic{text{**}}');
  assert.equal(parsed('*****'), 'bold{text{*}}');
  assert.equal(parsed('___x___'), 'underline{italic{text{x}}}');
});

test('unclosed markers are literal text', () => {
  assert.equal(parsed('**a *b __c ~~d ||e `f'), 'text{**a *b __c ~~d ||e `f}');
});

test('a backslash escapes any character but a letter, digit or space', () => {
  assert.equal(parsed('\\* \\[ \\< \\# \\- \\\\ \\a \\1 \\ x'), 'text{* [ < # - \\ \\a \\1 \\ x}');
});

test('a name the core escaped comes back as the original text', () => {
  assert.equal(escapeLikeCore('Zoë *Ortega* [ops]'), 'Zoë \\*Ortega\\* \\[ops\\]');
  assert.equal(parsed('Zoë \\*Ortega\\* \\[ops\\]'), 'text{Zoë *Ortega* [ops]}');
  assert.equal(parsed('Add \\*bold\\* claims to the README @everyone'), 'text{Add *bold* claims to the README @everyone}');
  assert.equal(parsed(escapeLikeCore('<img src=x onerror=alert(1)>')), 'text{<img src=x onerror=alert(1)>}');
  assert.equal(parsed(escapeLikeCore('# not a heading\n  - nor a list\n> nor a quote')),
    'text{# not a heading}br{}text{  - nor a list}br{}text{> nor a quote}');
});

test('any text the core escapes round-trips, alone, in bold and as a link label', () => {
  let seed = 42;
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = ['a', 'b', ' ', ' ', '\n', '\\', '*', '_', '~', '`', '|', '<', '>', '[', ']', '#', '-', ':', '@', 'ë', '1', '2', '.'];
  for (let round = 0; round < 500; round++) {
    const original = `x${Array.from({ length: 1 + random(24) }, () => alphabet[random(alphabet.length)]).join('')}`;
    const escaped = escapeLikeCore(original);
    const alone = parseMarkdown(escaped);
    assert.ok(alone.every((node) => node.type === 'text' || node.type === 'br'), JSON.stringify(original));
    assert.equal(shown(alone), original);
    const bold = parseMarkdown(`**${escaped}**`);
    assert.deepEqual([bold.length, bold[0].type, shown(bold)], [1, 'bold', original], JSON.stringify(original));
    const link = parseMarkdown(`[${escaped}](https://x.example)`);
    assert.deepEqual([link.length, link[0].type, shown(link)], [1, 'link', original], JSON.stringify(original));
  }
});

test('inline code keeps its content literal, backslashes included', () => {
  assert.equal(parsed('`a*b` `\\*` `<@1>`'), 'code{a*b}text{ }code{\\*}text{ }code{<@1>}');
  assert.equal(parsed('``x`y``'), 'code{x`y}');
  assert.equal(parsed('`` `x` ``'), 'code{`x`}');
});

test('a code block names its language only on a line of its own, and trims its newlines', () => {
  assert.equal(parsed('```js\nx = 1\n```\nafter'), 'codeblock{js|x = 1}text{after}');
  assert.equal(parsed('```\n**x** <@1>\n\n```'), 'codeblock{|**x** <@1>}');
  assert.equal(parsed('```js```'), 'codeblock{|js}');
  assert.equal(parsed('```two words\ny```'), 'codeblock{|two words\ny}');
  assert.equal(parsed('see ```x``` here'), 'text{see }codeblock{|x}text{ here}');
});

test('headings take one to three # and a space at a line start', () => {
  assert.equal(parsed('# One\n## Two\n### Three\ntext'),
    'heading1{text{One}}heading2{text{Two}}heading3{text{Three}}text{text}');
  assert.equal(parsed('#### four\n#x\n# # x'), 'text{#### four}br{}text{#x}br{}text{# # x}');
  assert.equal(parsed('# **Big** news'), 'heading1{bold{text{Big}}text{ news}}');
});

test('-# makes subtext', () => {
  assert.equal(parsed('-# posted by *bot*\nbody'), 'subtext{text{posted by }italic{text{bot}}}text{body}');
});

test('- and * make one list of consecutive items; two spaces more nest one', () => {
  assert.equal(parsed('- a\n* b\n  - c\n- d\nafter'),
    'list{item{text{a}}item{text{b}br{}list{item{text{c}}}}item{text{d}}}text{after}');
});

test('numbered items make an ordered list that starts at the first number', () => {
  assert.equal(parsed('3. three\n4. four'), 'olist{3|item{text{three}}item{text{four}}}');
  assert.equal(parsed('1. one\n- other'), 'olist{1|item{text{one}}}list{item{text{other}}}');
});

test('> quotes a line, consecutive lines make one quote, >>> quotes the rest, quotes do not nest', () => {
  assert.equal(parsed('> a\n> **b**\nc'), 'quote{text{a}br{}bold{text{b}}}text{c}');
  assert.equal(parsed('>>> a\n> b\nc'), 'quote{text{a}br{}text{> b}br{}text{c}}');
  assert.equal(parsed('>no space'), 'text{>no space}');
  assert.equal(parsed('> - item'), 'quote{list{item{text{item}}}}');
});

test('block markers away from a line start are text', () => {
  assert.equal(parsed('a # b - c > d 1. e -# f'), 'text{a # b - c > d 1. e -# f}');
});

test('a masked link takes styles in its label and an optional <> around its target', () => {
  assert.equal(parsed('[the **docs**](https://x.example/a_(b))'), 'link{https://x.example/a_(b)|text{the }bold{text{docs}}}');
  assert.equal(parsed('[docs](<https://x.example/a>)'), 'link{https://x.example/a|text{docs}}');
  assert.equal(parsed('[Fix \\[ops\\]](https://x.example)'), 'link{https://x.example|text{Fix [ops]}}');
});

test('the push description: commit links labelled with inline code, one per line', () => {
  const description = '[`7a1f3c2`](https://bitbucket.org/acme/relay-api/commits/7a1f3c2aa) Fix the retry window for 429s — Zoë Ortega\n'
    + '[`3c4d5e6`](https://bitbucket.org/acme/relay-api/commits/3c4d5e6bb) Add \\*bold\\* claims';
  assert.equal(parsed(description),
    'link{https://bitbucket.org/acme/relay-api/commits/7a1f3c2aa|code{7a1f3c2}}text{ Fix the retry window for 429s — Zoë Ortega}'
    + 'br{}link{https://bitbucket.org/acme/relay-api/commits/3c4d5e6bb|code{3c4d5e6}}text{ Add *bold* claims}');
});

test('pull request fields: a bold actor, and branches in inline code', () => {
  assert.equal(parsed('**Gianpaolo Macario** approved this pull request.'),
    'bold{text{Gianpaolo Macario}}text{ approved this pull request.}');
  assert.equal(parsed('`gmacario/dev03` → `main`'), 'code{gmacario/dev03}text{ → }code{main}');
});

test('bare URLs link up to whitespace, leaving trailing punctuation out', () => {
  assert.equal(parsed('see https://x.example/a?b=1. Then http://y.example/c), done'),
    'text{see }url{https://x.example/a?b=1}text{. Then }url{http://y.example/c}text{), done}');
  assert.equal(parsed('(https://en.wikipedia.org/wiki/Foo_(bar))'), 'text{(}url{https://en.wikipedia.org/wiki/Foo_(bar)}text{)}');
  assert.equal(parsed('<https://x.example/a>.'), 'url{https://x.example/a}text{.}');
});

test('no scheme but http and https ever links', () => {
  assert.equal(parsed('[x](javascript:alert(1))'), 'text{[x](javascript:alert(1))}');
  assert.equal(parsed('<javascript:alert(1)> data:text/html,x ftp://x.example'),
    'text{<javascript:alert(1)> data:text/html,x ftp://x.example}');
});

test('a label that shows a URL of its own is plain text, whole', () => {
  assert.equal(parsed('[https://bank.example](https://evil.example)'), 'text{[https://bank.example](https://evil.example)}');
});

test('mentions, custom emoji and timestamps', () => {
  assert.equal(parsed('<@123> <@!4> <@&5> <#6>'), 'mention{user|123}text{ }mention{user|4}text{ }mention{role|5}text{ }mention{channel|6}');
  assert.equal(parsed('<:party:77> <a:wave:88>'), 'text{:party: :wave:}');
  assert.equal(parsed('<t:1700000000> <t:1700000000:R> <t:1700000000:x>'),
    'timestamp{1700000000|f}text{ }timestamp{1700000000|R}text{ <t:1700000000:x>}');
});

test('@everyone and @here are plain text', () => {
  assert.equal(parsed('@everyone @here'), 'text{@everyone @here}');
});

test('newlines are breaks; leading and trailing whitespace stays', () => {
  assert.equal(parsed('  a\n\nb  \n'), 'text{  a}br{}br{}text{b  }br{}');
});

test('titles take inline styles only; everything else shows literally', () => {
  assert.equal(parsed('**a** *b* __c__ ~~d~~ ||e|| `f` \\*', 'title'),
    'bold{text{a}}text{ }italic{text{b}}text{ }underline{text{c}}text{ }strike{text{d}}text{ }spoiler{text{e}}text{ }code{f}text{ *}');
  assert.equal(parsed('# [x](https://x.example) https://y.example <@1>', 'title'),
    'text{# [x](https://x.example) https://y.example <@1>}');
  assert.equal(parsed('- a\n> b', 'title'), 'text{- a}br{}text{> b}');
});

test('plain mode is one text node; empty text is no node', () => {
  assert.equal(parsed('**Zoë** <@1>\n# x', 'plain'), 'text{**Zoë** <@1>\n# x}');
  assert.equal(parsed('', 'full'), '');
  assert.throws(() => parseMarkdown('x', 'html'), TypeError);
});

// A document that records what it was asked to create: elements have tagName, className, attributes
// and children; text nodes have only textContent.
function fakeDocument() {
  const doc = {
    createElement(tag) {
      return {
        tagName: tag.toUpperCase(),
        className: '',
        attributes: {},
        children: [],
        ownerDocument: doc,
        setAttribute(name, value) {
          this.attributes[name] = String(value);
        },
        appendChild(child) {
          this.children.push(child);
          return child;
        },
        get textContent() {
          return this.children.map((child) => child.textContent).join('');
        },
      };
    },
    createTextNode(text) {
      return { textContent: text };
    },
  };
  return doc;
}

const markup = (node) => {
  if (!node.tagName) return node.textContent;
  const tag = node.tagName.toLowerCase();
  const attributes = Object.entries(node.attributes).map(([name, value]) => ` ${name}="${value}"`).join('');
  return `<${tag}${node.className ? `.${node.className}` : ''}${attributes}>${node.children.map(markup).join('')}</${tag}>`;
};

function render(text, mode = 'full', options = {}) {
  const root = fakeDocument().createElement('div');
  appendMarkdown(root, parseMarkdown(text, mode), options);
  return root;
}

test('untrusted markup stays text', () => {
  const root = render('<img src=x onerror=alert(1)> **<b>hi</b>**');
  assert.equal(root.children[0].tagName, undefined);
  assert.equal(root.children[0].textContent, '<img src=x onerror=alert(1)> ');
  assert.equal(markup(root), '<div><img src=x onerror=alert(1)> <strong><b>hi</b></strong></div>');
  assert.equal(root.children[1].children[0].tagName, undefined);
});

test('links open apart, without referrer, with the URL as their title; other schemes are no anchor', () => {
  const attributes = 'href="https://x.example" target="_blank" rel="noopener noreferrer nofollow" title="https://x.example"';
  assert.equal(markup(render('[x](https://x.example) https://x.example')),
    `<div><a.md-link ${attributes}>x</a> <a.md-link ${attributes}>https://x.example</a></div>`);
  assert.equal(markup(render('[x](javascript:alert(1))')), '<div>[x](javascript:alert(1))</div>');
});

test('every node becomes the element and class the page styles', () => {
  assert.equal(markup(render('**b** *i* __u__ ~~s~~ ||p|| `c`\nx')),
    '<div><strong>b</strong> <em>i</em> <u>u</u> <s>s</s> <span.md-spoiler>p</span> <code.md-code>c</code><br></br>x</div>');
  assert.equal(markup(render('# h\n## h\n### h\n-# t\n```js\nx\n```')),
    '<div><h1.md-h1>h</h1><h2.md-h2>h</h2><h3.md-h3>h</h3><small.md-subtext>t</small>'
    + '<pre.md-codeblock><code data-lang="js">x</code></pre></div>');
  assert.equal(markup(render('- a\n2. b\n> q')),
    '<div><ul.md-list><li>a</li></ul><ol.md-list start="2"><li>b</li></ol><blockquote.md-quote>q</blockquote></div>');
});

test('mentions show as Discord shows ids it cannot resolve', () => {
  assert.equal(markup(render('<@1> <@&2> <#3>')),
    '<div><span.md-mention>@unknown-user</span> <span.md-mention>@unknown-role</span> <span.md-mention>#unknown</span></div>');
});

test('timestamps are formatted in the reader\'s locale, relative ones against options.now', () => {
  const at = 1_700_000_000; // 2023-11-14 22:13:20 UTC
  const stamp = (style, options) => render(`<t:${at}:${style}>`, 'full', { locale: 'en-US', timeZone: 'UTC', ...options }).children[0];
  assert.equal(stamp('d').className, 'md-timestamp');
  assert.equal(stamp('d').textContent, '11/14/2023');
  assert.equal(stamp('D').textContent, 'November 14, 2023');
  assert.equal(stamp('t', { locale: 'en-GB' }).textContent, '22:13');
  assert.equal(stamp('T', { locale: 'en-GB' }).textContent, '22:13:20');
  assert.match(stamp('f').attributes.title, /Tuesday, November 14, 2023/);
  assert.equal(stamp('R', { now: (at + 7200) * 1000 }).textContent, '2 hours ago');
  assert.equal(stamp('R', { now: (at - 3 * 86400) * 1000 }).textContent, 'in 3 days');
  assert.equal(stamp('R', { now: (at + 400 * 86400) * 1000 }).textContent, '1 year ago');
});

test('nesting deeper than 32 levels stays text instead of overflowing the stack', () => {
  const printed = printAst(parseMarkdown(`${'- '.repeat(5000)}x`));
  assert.equal(printed.split('list{').length - 1, 32);
  assert.ok(printed.includes(`text{${'- '.repeat(5000 - 32)}x}`));
});
