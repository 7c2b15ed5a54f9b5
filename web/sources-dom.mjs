// Small DOM and wording helpers shared by the Sources page's views. Every string that comes from the relay
// or from Bitbucket goes into the page as text, never as markup.

import { ApiError } from '/sources-api.mjs';

const properties = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'open', 'type', 'id', 'name', 'tabIndex']);

// Returns a new element: `props` sets class, text, dataset, on<Event> listeners, DOM properties and any
// other attribute; `children` are nodes, strings, or (nested) arrays of them, null and false skipped.
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2).toLowerCase(), value);
    else if (properties.has(key)) node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

// Replaces the children of `parent` as h() adds them: nodes, strings or arrays, null and false skipped.
export function fill(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
  return parent;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child);
  }
}

// Returns a link inside the Sources page: the shell intercepts it and changes the view without a reload.
export function navLink(href, text, props = {}) {
  return h('a', { ...props, href, dataset: { nav: '' } }, text);
}

// Returns the breadcrumb back to the list, ending with the current page's `title`.
export function crumbs(title) {
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    navLink('/sources', 'Sources'), h('span', { 'aria-hidden': 'true' }, ' / '), h('span', { class: 'clip', 'aria-current': 'page' }, title));
}

// Returns a reason from the relay as a sentence of running text: a capital first, a full stop last. A closing
// parenthesis ends nothing: "passes (no tag filter)" gets its full stop, "(see above.)" does not.
export function sentence(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return '';
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]\)?$/.test(capital) ? capital : `${capital}.`;
}

// Returns a Bitbucket connection's account as people know it: "Ada Lovelace (ada)".
export function accountName(connection) {
  const { display_name: name, nickname } = connection.account ?? {};
  return nickname && nickname !== name ? `${name} (${nickname})` : name ?? 'a Bitbucket account';
}

// Returns a link that opens another site in a new tab, saying so to screen readers.
export function externalLink(href, text, props = {}) {
  return h('a', { ...props, href, target: '_blank', rel: 'noopener noreferrer' }, text,
    h('span', { class: 'external', 'aria-hidden': 'true' }, ' ↗'), h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'));
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
/** @type {[number, Intl.RelativeTimeFormatUnit][]} */
const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];

// Returns `iso` as people say it relative to `now`: "just now", "3 minutes ago", "yesterday", "in 2 minutes".
export function relativeTime(iso, now = Date.now()) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  let amount = (at - now) / 1000;
  if (Math.abs(amount) < 10) return 'just now';
  for (const [size, unit] of steps) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return '';
}

// Returns a <time> that reads relatively and shows the exact local time on hover; refreshTimes() keeps it
// current.
export function timeElement(iso, props = {}) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const node = h('time', { ...props, class: `rel ${props.class ?? ''}`.trim(), datetime: iso, title: exactTime(iso) }, relativeTime(iso));
  return node;
}

// Returns `iso` as a full local date and time, e.g. "30 Nov 2025, 10:29:14".
export function exactTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString([], { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// Rewrites every relative time under `root` for the present moment.
export function refreshTimes(root) {
  const now = Date.now();
  for (const node of root.querySelectorAll('time.rel')) node.textContent = relativeTime(node.dateTime, now);
}

// Returns a button that copies `text()` to the clipboard and says whether it could, beside itself.
export function copyButton(text, label = 'Copy', props = {}) {
  const status = h('span', { class: 'copy-status', 'aria-live': 'polite' });
  const button = h('button', {
    ...props,
    type: 'button',
    class: `copy ${props.class ?? ''}`.trim(),
    onClick: async () => {
      try {
        await navigator.clipboard.writeText(typeof text === 'function' ? text() : text);
        status.textContent = 'Copied';
      } catch {
        status.textContent = 'The browser refused: select the text and copy it';
      }
      setTimeout(() => { status.textContent = ''; }, 2500);
    },
  }, label);
  return h('span', { class: 'copy-wrap' }, button, status);
}

// Returns a secret-looking value (hook URL, secret, uuid) as selectable code with a Copy button.
export function copyable(value, label) {
  return h('span', { class: 'copyable' }, h('code', { class: 'value' }, value), copyButton(value, 'Copy', { 'aria-label': `Copy ${label}` }));
}

const stateWords = {
  active: 'Active', destination_broken: 'Destination broken', needs_reconnect: 'Needs reconnect', disconnected: 'Disconnected',
};

// Returns the endpoint's state as a badge: active, destination broken, needs reconnect, disconnected.
export function stateBadge(state) {
  return h('span', { class: `badge state-${state}` }, stateWords[state] ?? state);
}

const statusWords = {
  pending: 'Pending', sending: 'Sending', delivered: 'Delivered', failed: 'Failed', ignored: 'Ignored', rejected: 'Rejected',
};
const statusIcons = { pending: '◷', sending: '↻', delivered: '✓', failed: '✕', ignored: '–', rejected: '⊘' };

// Returns a delivery's status in words: "Delivered".
export function statusWord(status) {
  return statusWords[status] ?? status;
}

// Returns a delivery's status as the icon lists show beside it (hidden from screen readers: the words are there).
export function statusIcon(status) {
  return h('span', { class: `status-icon status-${status}`, 'aria-hidden': 'true' }, statusIcons[status] ?? '•');
}

// Every status a delivery can have, in the order the log's filter offers them.
export const deliveryStatuses = Object.keys(statusWords);

// Returns the endpoint's event selection in words: "Push only", "All events", or the chosen events by
// category ("Repository: Push · Pull Request: Created, Merged").
export function eventsInWords(events, catalogue) {
  if (!events || events.mode === 'push') return 'Push only';
  if (events.mode === 'all') return 'All events';
  const chosen = new Set(events.custom ?? []);
  const byCategory = new Map();
  for (const event of catalogue ?? []) {
    if (!chosen.has(event.key)) continue;
    byCategory.set(event.category, [...(byCategory.get(event.category) ?? []), event.label]);
    chosen.delete(event.key);
  }
  const parts = [...byCategory].map(([category, labels]) => `${category}: ${labels.join(', ')}`);
  if (chosen.size) parts.push(...chosen);
  return parts.length ? parts.join(' · ') : 'No events';
}

// Shows a modal confirmation. Returns a promise of true when the user confirms, false otherwise.
export function confirmDialog({ title, body, confirm, tone = 'danger' }) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        ...[body].flat().map((part) => (typeof part === 'string' ? h('p', {}, part) : part)),
        h('div', { class: 'dialog-actions' },
          h('button', { value: 'cancel', type: 'submit', class: 'secondary' }, 'Cancel'),
          h('button', { value: 'confirm', type: 'submit', class: tone }, confirm))));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('button[value="cancel"]').focus();
  });
}

// Returns a message box: tone is ok, info, warn or error; `parts` are nodes or strings (each a paragraph).
export function notice(tone, ...parts) {
  return h('div', { class: `notice ${tone}`, role: tone === 'error' ? 'alert' : 'status' },
    parts.flat().filter(Boolean).map((part) => (typeof part === 'string' ? h('p', {}, part) : part)));
}

// Refusals whose reason is written for the API's callers, in the page's words instead.
const pageWords = {
  destination_broken: 'The destination is marked broken, so nothing is sent to it: once the webhook works again, '
    + 'Resume it (at the top of this page), or give a new webhook URL in Settings.',
};

// Returns an error as a notice people can act on: the relay's reason, and what to do when it says.
export function describeError(error) {
  if (error instanceof ApiError) {
    if (error.status === 0) return notice('error', error.reason);
    if (pageWords[error.code]) return notice('error', pageWords[error.code]);
    const extra = error.body.action ? h('p', {}, h('strong', {}, 'What to do: '), error.body.action) : null;
    return notice('error', error.reason ? sentence(error.reason) : `The relay answered ${error.status}.`, extra);
  }
  return notice('error', `Something failed in this page: ${error.message}. Reload it to try again.`);
}
