// Discord's markdown, parsed and drawn the way Discord draws it. Discord uses simple-markdown, which makes no
// difference between blocks and inline spans: one rule list is tried at every position, the first rule that
// matches wins, anything else is text. Block rules (quotes, headings, subtext, lists) only fire at a line's
// start, and a block swallows the newline that ends it, as Discord's do; every other newline is a `br`.
//
// Printed AST (printAst), text content raw:
//   text{…} br{} bold{…} italic{…} underline{…} strike{…} spoiler{…} code{…} codeblock{lang|…}
//   heading1{…} heading2{…} heading3{…} subtext{…} quote{…} list{item{…}…} olist{start|item{…}…}
//   link{href|…} url{href} mention{user|id} mention{role|id} mention{channel|id} timestamp{unix|style}

// Matches `pattern` (a sticky regex) at `pos`; `build` turns the match into a node, or refuses it with null.
function rule(pattern, build) {
  return (src, pos, ctx, lineStart) => {
    pattern.lastIndex = pos;
    const match = pattern.exec(src);
    const node = match && build(match, ctx, lineStart);
    return node ? [node, pos + match[0].length] : null;
  };
}

const text = (value) => ({ type: 'text', text: value });

// An inline span inherits the line start of its opening marker, so `*> x*` is an italic quote as in Discord.
const span = (type) => (match, ctx, lineStart) => ({
  type,
  children: parseSpan(match[1] ?? match[2], { ...ctx, startsLine: lineStart, depth: ctx.depth + 1 }),
});

const block = (ctx) => ({ ...ctx, startsLine: true, depth: ctx.depth + 1 });

// Untrusted text can nest lists thousands deep (`- - - …`); past this depth it is text, not a stack overflow.
const maxDepth = 32;

const escape = rule(/\\([^0-9A-Za-z\s])/y, (match) => text(match[1]));
const bold = rule(/\*\*([\s\S]+?)\*\*(?!\*)/y, span('bold'));
const underline = rule(/__([\s\S]+?)__(?!_)/y, span('underline'));
// `_` italics need a word boundary on both sides (`snake_case_name` stays text); `*` italics may not open
// on a space, and `**` or escapes inside them do not close them.
const italic = rule(
  /\b_((?:__|\\[\s\S]|[^\\_])+?)_\b|\*(?=\S)((?:\*\*|\\[\s\S]|\s+(?:\\[\s\S]|[^\s*\\]|\*\*)|[^\s*\\])+?)\*(?!\*)/y,
  span('italic'),
);
const strike = rule(/~~([\s\S]+?)~~/y, span('strike'));
const spoiler = rule(/\|\|([\s\S]+?)\|\|/y, span('spoiler'));
const codeBlock = rule(/```(?:([a-z0-9_+\-.#]+?)\n)?\n*([^\n][\s\S]*?)\n*```\n?/iy, (match) => ({
  type: 'codeblock',
  lang: match[1] ?? '',
  text: match[2],
}));
// simple-markdown drops one space padding a backtick at either end, so `` `x` `` shows `x` with its ticks.
const inlineCode = rule(/(`+)([\s\S]*?[^`])\1(?!`)/y, (match) => ({
  type: 'code',
  text: match[2].replace(/^ (?= *`)|(` *) $/g, '$1'),
}));

const angleLink = rule(/<(https?:\/\/[^\s>]+)>/y, (match, ctx) => !ctx.inLink && { type: 'url', href: match[1] });
const mentionKinds = { '@': 'user', '@!': 'user', '@&': 'role', '#': 'channel' };
const mention = rule(/<(@!?|@&|#)(\d+)>/y, (match) => ({ type: 'mention', kind: mentionKinds[match[1]], id: match[2] }));
const customEmoji = rule(/<a?:(\w+):\d+>/y, (match) => text(`:${match[1]}:`));
const maxUnixSeconds = 8.64e12; // the last instant a Date can hold
const timestamp = rule(/<t:(-?\d{1,13})(?::([tTdDfFR]))?>/y, (match) =>
  Math.abs(Number(match[1])) <= maxUnixSeconds && { type: 'timestamp', unix: Number(match[1]), style: match[2] ?? 'f' });

const countOf = (value, char) => value.split(char).length - 1;
const bareUrlPattern = /https?:\/\/[^\s<]+/y;

// Trailing punctuation ends a sentence, not the URL, except a `)` that closes a `(` of the URL (Wikipedia).
function bareUrl(src, pos, ctx) {
  if (ctx.inLink) return null;
  bareUrlPattern.lastIndex = pos;
  let href = bareUrlPattern.exec(src)?.[0];
  while (href && /[.,:;"')\]]$/.test(href) && !(href.endsWith(')') && countOf(href, '(') >= countOf(href, ')'))) {
    href = href.slice(0, -1);
  }
  return href && /^https?:\/\/./.test(href) ? [{ type: 'url', href }, pos + href.length] : null;
}

const linkTarget = /\(\s*(?:<(https?:\/\/[^\s>]+)>|(https?:\/\/(?:\([^\s()]*\)|[^\s()<>])+))\s*\)/y;

// The label runs to its balancing `]`, escaped brackets not counted (our core writes `[Fix \[ops\]](…)`).
// Discord shows a label that holds a URL of its own, which could disguise the target, as plain text, whole.
function maskedLink(src, pos, ctx) {
  if (src[pos] !== '[' || ctx.inLink) return null;
  let depth = 0;
  let end = pos;
  for (; end < src.length; end++) {
    if (src[end] === '\\') end++;
    else if (src[end] === '[') depth++;
    else if (src[end] === ']' && --depth === 0) break;
  }
  const label = src.slice(pos + 1, end);
  linkTarget.lastIndex = end + 1;
  const target = end < src.length && linkTarget.exec(src);
  if (!target || !/\S/.test(label)) return null;
  const after = end + 1 + target[0].length;
  if (/https?:\/\//i.test(label)) return [text(src.slice(pos, after)), after];
  const children = parseSpan(label, { ...ctx, inLink: true, startsLine: false, depth: ctx.depth + 1 });
  return [{ type: 'link', href: target[1] ?? target[2], children }, after];
}

// Quotes do not nest in Discord: a quote's own `> ` lines show as text.
const quote = (body, ctx) => !ctx.inQuote && { type: 'quote', children: parseSpan(body, { ...block(ctx), inQuote: true }) };
const quoteRest = rule(/ *>>> ([\s\S]+)/y, (match, ctx) => quote(match[1], ctx));
const quoteLines = rule(/(?: *>(?!>>) [^\n]+(?:\n|$))+/y, (match, ctx) =>
  quote(match[0].replace(/\n$/, '').replace(/^ *> /gm, ''), ctx));
const heading = rule(/ *(#{1,3}) (?!#)([^\n]+)\n?/y, (match, ctx) =>
  /\S/.test(match[2]) && { type: 'heading', level: match[1].length, children: parseSpan(match[2].trim(), block(ctx)) });
const subtext = rule(/-# (?!-#)([^\n]+)\n?/y, (match, ctx) =>
  /\S/.test(match[1]) && { type: 'subtext', children: parseSpan(match[1].trim(), block(ctx)) });

// An item goes on over the lines indented two spaces past its bullet, which is how a nested list is written.
const listItem = /( *)([*-]|(\d{1,9})\.) +([^\n]+(?:\n\1 {2}[^\n]+)*)\n?/y;

function list(src, pos, ctx) {
  const items = [];
  let end = pos;
  let ordered = false;
  let start = 1;
  for (;;) {
    listItem.lastIndex = end;
    const match = listItem.exec(src);
    if (!match || (items.length > 0 && ordered !== (match[3] !== undefined))) break;
    if (items.length === 0) [ordered, start] = [match[3] !== undefined, Number(match[3] ?? 1)];
    const body = match[4].split(`\n${match[1]}  `).join('\n');
    items.push(parseSpan(body, block(ctx)));
    end += match[0].length;
  }
  return items.length > 0 ? [{ type: 'list', ordered, start, items }, end] : null;
}

const titleRules = [escape, bold, underline, italic, strike, spoiler, inlineCode];
const fullRules = [escape, bold, underline, italic, strike, spoiler, codeBlock, inlineCode, maskedLink, angleLink,
  mention, customEmoji, timestamp, bareUrl];
const lineStartRules = [quoteRest, quoteLines, heading, subtext, list, ...fullRules];

function rulesAt(ctx, lineStart) {
  if (ctx.depth >= maxDepth) return [];
  if (ctx.mode === 'title') return titleRules;
  return lineStart ? lineStartRules : fullRules;
}

function parseSpan(src, ctx) {
  const nodes = [];
  let pending = '';
  const flush = () => {
    if (pending) nodes.push(text(pending));
    pending = '';
  };
  for (let pos = 0; pos < src.length;) {
    const lineStart = pos === 0 ? ctx.startsLine : src[pos - 1] === '\n';
    let hit = null;
    for (const candidate of rulesAt(ctx, lineStart)) {
      hit = candidate(src, pos, ctx, lineStart);
      if (hit) break;
    }
    const [node, end] = hit ?? [src[pos] === '\n' ? { type: 'br' } : text(src[pos]), pos + 1];
    if (node.type === 'text') {
      pending += node.text;
    } else {
      flush();
      nodes.push(node);
    }
    pos = end;
  }
  flush();
  return nodes;
}

// Returns the AST of `text` as Discord renders it in the place `mode` names ('full': message content, embed
// descriptions and field values; 'title': embed titles and field names; 'plain': no markdown at all).
// Throws a TypeError if `mode` is none of these.
export function parseMarkdown(text, mode = 'full') {
  if (!['full', 'title', 'plain'].includes(mode)) throw new TypeError(`unknown markdown mode: ${mode}`);
  const source = String(text ?? '');
  if (source === '') return [];
  if (mode === 'plain') return [{ type: 'text', text: source }];
  return parseSpan(source, { mode, startsLine: true, inQuote: false, inLink: false, depth: 0 });
}

// Returns the nodes printed compactly in the scheme at the top of this file (for tests and debugging).
export function printAst(nodes) {
  return nodes.map((node) => {
    switch (node.type) {
      case 'text': return `text{${node.text}}`;
      case 'br': return 'br{}';
      case 'code': return `code{${node.text}}`;
      case 'codeblock': return `codeblock{${node.lang}|${node.text}}`;
      case 'heading': return `heading${node.level}{${printAst(node.children)}}`;
      case 'list': {
        const items = node.items.map((item) => `item{${printAst(item)}}`).join('');
        return node.ordered ? `olist{${node.start}|${items}}` : `list{${items}}`;
      }
      case 'link': return `link{${node.href}|${printAst(node.children)}}`;
      case 'url': return `url{${node.href}}`;
      case 'mention': return `mention{${node.kind}|${node.id}}`;
      case 'timestamp': return `timestamp{${node.unix}|${node.style}}`;
      default: return `${node.type}{${printAst(node.children)}}`;
    }
  }).join('');
}

const spanElements = {
  bold: ['strong'],
  italic: ['em'],
  underline: ['u'],
  strike: ['s'],
  spoiler: ['span', 'md-spoiler'],
  subtext: ['small', 'md-subtext'],
  quote: ['blockquote', 'md-quote'],
};

// We never know who an id is, and Discord names the ones it cannot resolve like this.
const unknownMentions = { user: '@unknown-user', role: '@unknown-role', channel: '#unknown' };

const timestampFormats = {
  t: { hour: 'numeric', minute: '2-digit' },
  T: { hour: 'numeric', minute: '2-digit', second: '2-digit' },
  d: { year: 'numeric', month: '2-digit', day: '2-digit' },
  D: { year: 'numeric', month: 'long', day: 'numeric' },
  f: { year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' },
  F: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' },
};

// Discord's relative style rounds like moment's fromNow: up to 44 seconds, 44 minutes, 21 hours, 25 days,
// 10 months, then years.
/** @type {[Intl.RelativeTimeFormatUnit, number, number][]} */
const relativeUnits = [['second', 60, 45], ['minute', 60, 45], ['hour', 24, 22], ['day', 30, 26], ['month', 12, 11],
  ['year', Infinity, Infinity]];

/** @param {number} unix @param {string} style @param {{now?: number, locale?: string, timeZone?: string}} [options] */
function formatTimestamp(unix, style, { now = Date.now(), locale, timeZone } = {}) {
  if (style !== 'R') return new Intl.DateTimeFormat(locale, { ...timestampFormats[style], timeZone }).format(unix * 1000);
  let value = unix - now / 1000;
  for (const [unit, size, limit] of relativeUnits) {
    if (Math.round(Math.abs(value)) < limit) {
      return new Intl.RelativeTimeFormat(locale, { numeric: 'always' }).format(Math.round(value) || 0, unit);
    }
    value /= size;
  }
  return '';
}

function renderNode(node, doc, options) {
  const element = (tag, className) => {
    const created = doc.createElement(tag);
    if (className) created.className = className;
    return created;
  };
  const withText = (parent, value) => {
    parent.appendChild(doc.createTextNode(value));
    return parent;
  };
  const withChildren = (parent, children) => {
    appendMarkdown(parent, children, options);
    return parent;
  };
  switch (node.type) {
    case 'text': return doc.createTextNode(node.text);
    case 'br': return element('br');
    case 'code': return withText(element('code', 'md-code'), node.text);
    case 'codeblock': {
      const code = withText(element('code'), node.text);
      if (node.lang) code.setAttribute('data-lang', node.lang);
      const pre = element('pre', 'md-codeblock');
      pre.appendChild(code);
      return pre;
    }
    case 'heading': return withChildren(element(`h${node.level}`, `md-h${node.level}`), node.children);
    case 'list': {
      const list = element(node.ordered ? 'ol' : 'ul', 'md-list');
      if (node.ordered && node.start !== 1) list.setAttribute('start', String(node.start));
      for (const item of node.items) list.appendChild(withChildren(element('li'), item));
      return list;
    }
    case 'link':
    case 'url': {
      const link = element('a', 'md-link');
      link.setAttribute('href', node.href);
      link.setAttribute('target', '_blank');
      link.setAttribute('rel', 'noopener noreferrer nofollow');
      link.setAttribute('title', node.href);
      return node.type === 'url' ? withText(link, node.href) : withChildren(link, node.children);
    }
    case 'mention': return withText(element('span', 'md-mention'), unknownMentions[node.kind]);
    case 'timestamp': {
      const stamp = withText(element('span', 'md-timestamp'), formatTimestamp(node.unix, node.style, options));
      stamp.setAttribute('title', formatTimestamp(node.unix, 'F', options));
      return stamp;
    }
    default: {
      const [tag, className] = spanElements[node.type];
      return withChildren(element(tag, className), node.children);
    }
  }
}

// Returns `parent` after appending the DOM of `nodes` to it, built with createElement and createTextNode
// only, so untrusted text can never become markup. `options.now` (ms) anchors relative timestamps;
// `options.locale` and `options.timeZone` default to the reader's.
export function appendMarkdown(parent, nodes, options = {}) {
  for (const node of nodes) parent.appendChild(renderNode(node, parent.ownerDocument, options));
  return parent;
}
