// Draws a Discord Execute Webhook body the way Discord's client draws it: avatar and username, content,
// then each embed with its colour bar, author line, title link, description, field grid, images and footer.
// Built with createElement and text nodes only: every string in a message comes from a payload.
// Images are never loaded (the preview sends nothing over the network): each is drawn as a placeholder
// that names its address.

import { appendMarkdown, parseMarkdown } from './discord-markdown.mjs';

// Discord's default embed bar, when a message sets no colour.
const defaultBar = '#1e1f22';

// Returns `parent` after drawing `message` into it. `cuts` is the core's list of what Discord's limits
// shortened ({path, reason}); each such place is marked. `now` (a Date) is the message's send time.
export function drawMessage(parent, message, { cuts = [], now = new Date() } = {}) {
  const doc = parent.ownerDocument;
  const cutAt = new Map(cuts.map((cut) => [cut.path, cut.reason]));
  const el = (tag, className, text) => {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  // Marks a drawn string that a limit shortened, with the core's reason as its tooltip and for readers.
  const marked = (node, path) => {
    const reason = cutAt.get(path);
    if (!reason) return node;
    node.classList.add('dc-cut');
    node.title = reason;
    const badge = el('span', 'dc-cut-badge', '✂');
    badge.setAttribute('role', 'img');
    badge.setAttribute('aria-label', `cut: ${reason}`);
    node.appendChild(badge);
    return node;
  };
  const markdown = (tag, className, text, mode, path) =>
    marked(appendMarkdown(el(tag, className), parseMarkdown(text, mode), { now: now.getTime() }), path);

  const root = el('article', 'dc-message');
  root.setAttribute('aria-label', 'Discord message preview');
  const name = message.username ?? 'Webhook';
  root.appendChild(placeholderImage(el, message.avatar_url, name, 'dc-avatar'));

  const body = el('div', 'dc-body');
  const header = el('h3', 'dc-header');
  header.appendChild(marked(el('span', 'dc-username', name), 'username'));
  header.appendChild(el('span', 'dc-app-tag', 'APP'));
  const time = el('time', 'dc-time', `Today at ${now.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })}`);
  time.dateTime = now.toISOString();
  header.appendChild(time);
  body.appendChild(header);

  if (message.content) body.appendChild(markdown('div', 'dc-content', message.content, 'full', 'content'));
  (message.embeds ?? []).forEach((embed, index) => {
    body.appendChild(drawEmbed(embed, `embeds[${index}]`, { el, marked, markdown, now }));
  });
  root.appendChild(body);
  allowBreaksAfterSlashes(root);
  parent.appendChild(root);
  return parent;
}

// Lets a line wrap after a "/" (as it already may after a "-"), so that a branch name or a path such as
// feature/retry-window wraps between its parts instead of inside one. The text itself is unchanged: a <wbr>
// adds no character, to the page's text or to a copy.
function allowBreaksAfterSlashes(root) {
  const doc = root.ownerDocument;
  const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (/\/[^/]/.test(node.data)) texts.push(node);
  }
  for (const node of texts) {
    const parts = node.data.split(/(?<=\/)(?=[^/])/);
    node.replaceWith(...parts.flatMap((part, i) => (i ? [doc.createElement('wbr'), part] : [part])));
  }
}

function drawEmbed(embed, path, { el, marked, markdown, now }) {
  const article = el('div', 'dc-embed');
  article.style.borderLeftColor = Number.isInteger(embed.color) ? `#${embed.color.toString(16).padStart(6, '0')}` : defaultBar;
  const grid = el('div', 'dc-embed-grid');

  if (embed.author?.name) {
    const author = el('div', 'dc-author');
    if (embed.author.icon_url) author.appendChild(placeholderImage(el, embed.author.icon_url, embed.author.name, 'dc-author-icon'));
    author.appendChild(marked(linkOrSpan(el, 'dc-author-name', embed.author.name, embed.author.url), `${path}.author.name`));
    grid.appendChild(author);
  }
  if (embed.title) {
    const title = el('div', 'dc-title');
    const inner = embed.url ? el('a', 'dc-title-link') : el('span');
    if (embed.url) setLink(inner, embed.url);
    appendMarkdown(inner, parseMarkdown(embed.title, 'title'));
    title.appendChild(inner);
    grid.appendChild(marked(title, `${path}.title`));
  }
  if (embed.description) grid.appendChild(markdown('div', 'dc-description', embed.description, 'full', `${path}.description`));
  if (embed.fields?.length) grid.appendChild(drawFields(embed.fields, path, { el, marked, markdown }));
  if (embed.image?.url) grid.appendChild(placeholderImage(el, embed.image.url, 'image', 'dc-image'));
  if (embed.thumbnail?.url) grid.appendChild(placeholderImage(el, embed.thumbnail.url, 'thumbnail', 'dc-thumbnail'));
  if (embed.footer?.text || embed.timestamp) {
    const footer = el('div', 'dc-footer');
    if (embed.footer?.icon_url) footer.appendChild(placeholderImage(el, embed.footer.icon_url, embed.footer.text ?? '', 'dc-footer-icon'));
    const text = el('span', 'dc-footer-text');
    if (embed.footer?.text) text.appendChild(marked(el('span', '', embed.footer.text), `${path}.footer.text`));
    if (embed.footer?.text && embed.timestamp) text.appendChild(el('span', 'dc-footer-separator', '•'));
    if (embed.timestamp) text.appendChild(el('span', 'dc-footer-time', footerTime(new Date(embed.timestamp), now)));
    footer.appendChild(text);
    grid.appendChild(footer);
  }
  article.appendChild(grid);
  return article;
}

// Discord lays inline fields out three to a row (two beside a thumbnail); a field that is not inline
// takes a whole row and closes the current one. The columns are a custom property, so that the page's
// CSS can put every field on a row of its own on a narrow screen, as Discord's phone app does.
function drawFields(fields, path, { el, marked, markdown }) {
  const box = el('div', 'dc-fields');
  let row = [];
  const flush = () => {
    const columns = 12 / Math.max(row.length, 1);
    row.forEach((node, i) => { node.style.setProperty('--field-columns', `${1 + i * columns} / ${1 + (i + 1) * columns}`); });
    row = [];
  };
  fields.forEach((field, index) => {
    const at = `${path}.fields[${index}]`;
    const node = el('div', 'dc-field');
    node.appendChild(markdown('div', 'dc-field-name', field.name ?? '', 'title', `${at}.name`));
    node.appendChild(markdown('div', 'dc-field-value', field.value ?? '', 'full', `${at}.value`));
    if (!field.inline || row.length === 3) flush();
    row.push(node);
    if (!field.inline) flush();
    box.appendChild(node);
  });
  flush();
  return box;
}

function linkOrSpan(el, className, text, url) {
  if (!url) return el('span', className, text);
  const link = el('a', className, text);
  setLink(link, url);
  return link;
}

function setLink(link, url) {
  link.href = url;
  link.target = '_blank';
  link.rel = 'noopener noreferrer nofollow';
  link.title = url;
}

// An image is drawn as a coloured disc or box with an initial, named by its address: loading it would be
// a request to whoever hosts it.
function placeholderImage(el, url, label, className) {
  const box = el('span', `dc-image-placeholder ${className}`);
  const initial = [...(label.trim() || '?')][0].toUpperCase();
  box.textContent = className === 'dc-image' || className === 'dc-thumbnail' ? '🖼' : initial;
  box.style.setProperty('--hue', String(hue(label)));
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', url ? `${label}: image not loaded (${url})` : `${label}: default avatar`);
  box.title = url ? `Not loaded (the preview sends nothing over the network): ${url}` : 'Default avatar';
  return box;
}

function hue(text) {
  let h = 0;
  for (const char of text) h = (h * 31 + char.codePointAt(0)) % 360;
  return h;
}

// Discord writes an embed's timestamp as "Today at 9:14 AM", "Yesterday at …", or a date.
function footerTime(date, now) {
  if (Number.isNaN(date.getTime())) return '';
  const clock = date.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(now) - day(date)) / 86_400_000);
  if (days === 0) return `Today at ${clock}`;
  if (days === 1) return `Yesterday at ${clock}`;
  return `${date.toLocaleDateString([], { year: 'numeric', month: '2-digit', day: '2-digit' })} ${clock}`;
}
