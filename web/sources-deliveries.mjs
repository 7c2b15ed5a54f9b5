// Recent deliveries, as GitHub shows a webhook's: newest first, filtered by status and event, paged by the
// relay's cursor, kept current while the page is open. Opened, a delivery shows the request as received
// (headers, payload), every attempt and the destination's answers, the message drawn as Discord draws it,
// and Redeliver / Retry now. Also "Send test event": a signed sample through the real receive path.
// Over 400 lines: the log (DeliveryLog) and the opened delivery's views (facts, message, attempts, headers,
// payload) are one view, and the wording of each refusal lives beside it.

import { drawMessage } from '/discord-view.mjs';
import { eventName, groupByCategory } from '/page-core.mjs';
import { api } from '/sources-api.mjs';
import {
  copyButton, deliveryStatuses, describeError, exactTime, fill, h, navLink, notice, statusIcon, statusWord, timeElement,
} from '/sources-dom.mjs';

const pageSize = 50;
const pollMs = 4000;
const verdictWords = { deliver: 'Accepted', ignore: 'Ignored', reject: 'Refused' };

// What to do about a refused request, for each code the receive path refuses with (js-shim/hooks.mjs and the
// core's pipeline): `connected` for a source whose webhook dispatch manages, `manual` for a webhook added by
// hand, `both` when they read alike; `settings` names the fix Settings holds (linked from the opened request).
const refusalSteps = {
  signature_mismatch: {
    connected: 'The secret in Bitbucket\'s webhook is not this source\'s: rotate the secret in Settings, and dispatch gives the new one to the webhook.',
    manual: 'The secret in Bitbucket\'s webhook is not this endpoint\'s: paste the secret you kept into the webhook (in Bitbucket: Repository settings → Webhooks → Edit), or rotate it in Settings and paste the new one there.',
    settings: 'Rotate the secret in Settings',
  },
  signature_missing: {
    connected: 'The request was not signed: the webhook in Bitbucket has no secret set (someone removed it), or the request did not come from Bitbucket. Rotate the secret in Settings, and dispatch sets it on the webhook again.',
    manual: 'The request was not signed: the webhook in Bitbucket has no secret set. Edit it (Repository settings → Webhooks → Edit), paste this endpoint\'s secret and save; if you no longer have the secret, rotate it in Settings first.',
    settings: 'Rotate the secret in Settings',
  },
  signature_malformed: {
    both: 'The signature is not written the way Bitbucket writes it, so the request did not come from Bitbucket\'s webhook, or something on the way changed it. If a proxy sits in front of dispatch, make it pass X-Hub-Signature through unchanged; otherwise there is nothing to change.',
  },
  algorithm_unsupported: {
    both: 'The request is signed with another method than Bitbucket\'s (sha256), so it did not come from Bitbucket\'s webhook. Nothing to change: nothing was delivered.',
  },
  event_key_missing: {
    both: 'The request does not say which event it is (Bitbucket always does), so it did not come from Bitbucket\'s webhook, or a proxy in front of dispatch drops the X-Event-Key header. Nothing was delivered.',
  },
  event_key_invalid: {
    both: 'The request names its event in a way Bitbucket never does, so it did not come from Bitbucket\'s webhook. Nothing to change: nothing was delivered.',
  },
  event_key_mismatch: {
    both: 'A body signed with this secret came in under another event\'s name, which Bitbucket never does: someone may be sending again a request they copied. Rotate the secret in Settings, so that copied requests stop being accepted.',
    settings: 'Rotate the secret in Settings',
  },
  body_not_json: {
    both: 'The body is not a Bitbucket payload, so it did not come from Bitbucket\'s webhook, or something on the way changed it. If a proxy sits in front of dispatch, make it pass the body through unchanged.',
  },
  body_too_large: {
    both: 'The body is over the 1 MiB dispatch takes, far more than a Bitbucket payload holds (a push lists its first commits only, and says when it left some out), so it did not come from Bitbucket\'s webhook. Nothing to change: nothing was delivered.',
  },
  endpoint_inactive: {
    connected: 'This source is disconnected, so dispatch takes nothing more from it. To relay the repository again, connect it again from Sources; if its webhook is still in Bitbucket, delete it there.',
    manual: 'This endpoint is disconnected, so dispatch takes nothing more: delete its webhook in Bitbucket (Repository settings → Webhooks).',
  },
  method_not_allowed: {
    both: 'Something opened the hook URL instead of posting to it, such as a browser or a link preview. Bitbucket only ever posts: nothing to do.',
  },
  core_failed: {
    both: 'dispatch could not check the request just then and asked Bitbucket to send it again, which it does by itself. Nothing to do unless it keeps happening; then the relay\'s log says why.',
  },
  endpoint_invalid: {
    both: 'dispatch could not use this source\'s own settings. Open Settings, check the events, filters and templates, and save them again.',
    settings: 'Open Settings',
  },
};
refusalSteps.body_too_deep = refusalSteps.body_not_json;
refusalSteps.body_not_object = refusalSteps.body_not_json;
refusalSteps.headers_invalid = refusalSteps.endpoint_invalid;
refusalSteps.envelope_invalid = refusalSteps.endpoint_invalid;

// Returns what to do about a refused request of `code` to `endpoint`: {words, settings?}.
export function refusalStep(code, endpoint) {
  const step = refusalSteps[code];
  if (!step) return { words: 'Nothing was delivered. The reason says what dispatch found in the request.' };
  return { words: step.both ?? (endpoint.source ? step.connected : step.manual), settings: step.settings };
}

// Draws the log of `endpoint` into `panel`. Returns a cleanup function (it stops the polling).
export function renderDeliveries(panel, ctx, endpoint) {
  const params = ctx.url.searchParams;
  const filters = { status: params.get('status') ?? '', event: params.get('event') ?? '' };
  const view = logView(ctx, endpoint, filters);
  fill(panel,
    h('section', { class: 'card log', 'aria-labelledby': 'log-title' },
      h('div', { class: 'log-head' }, h('h2', { id: 'log-title' }, 'Recent deliveries'), view.filterBar),
      view.testForm, view.testResult,
      view.list, view.empty,
      h('div', { class: 'more-row' }, view.older, view.listStatus)));
  const log = new DeliveryLog(ctx, endpoint, filters, view, params.get('delivery'));

  view.refresh.addEventListener('click', () => log.poll());
  view.statusSelect.addEventListener('change', () => log.applyFilters());
  view.eventSelect.addEventListener('change', () => log.applyFilters());
  view.older.addEventListener('click', () => log.loadOlder());
  view.testForm.addEventListener('submit', (event) => {
    event.preventDefault();
    return sendTest(ctx, endpoint, view, () => log.poll());
  });
  const onVisible = () => {
    if (!document.hidden) log.poll();
  };
  document.addEventListener('visibilitychange', onVisible);

  log.loadFirst().then(() => log.schedulePoll(), (error) => ctx.fail(error, view.testResult));
  return () => {
    log.stop();
    document.removeEventListener('visibilitychange', onVisible);
  };
}

// The log's parts before anything is loaded: the filter bar (status, event, Refresh), the test form, the list
// and what is said under it.
function logView(ctx, endpoint, filters) {
  const statusSelect = h('select', { id: 'filter-status' },
    h('option', { value: '' }, 'All statuses'),
    deliveryStatuses.map((status) => h('option', { value: status, selected: filters.status === status }, statusWord(status))));
  const eventSelect = h('select', { id: 'filter-event' }, h('option', { value: '' }, 'All events'), eventOptions(ctx.catalogue, filters.event));
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  const filterBar = h('div', { class: 'filters', role: 'group', 'aria-label': 'Filter deliveries' },
    h('div', { class: 'field inline' }, h('label', { for: 'filter-status' }, 'Status'), statusSelect),
    h('div', { class: 'field inline' }, h('label', { for: 'filter-event' }, 'Event'), eventSelect),
    refresh);
  return {
    list: h('ol', { class: 'delivery-list', 'aria-label': 'Deliveries, newest first' }),
    older: h('button', { type: 'button', class: 'secondary', hidden: true }, 'Older deliveries'),
    listStatus: h('p', { class: 'muted list-status', 'aria-live': 'polite' }),
    empty: h('div', { class: 'empty-log', hidden: true }),
    statusSelect, eventSelect, refresh, filterBar,
    testResult: h('div', { class: 'test-result' }),
    ...testFormView(ctx, endpoint),
  };
}

// "Send test event": the event to send and the button, disabled where the relay would not send it.
function testFormView(ctx, endpoint) {
  const testSelect = h('select', { id: 'test-event' }, eventOptions(ctx.catalogue, defaultTestEvent(endpoint)));
  const testButton = h('button', { type: 'submit', class: 'primary' }, 'Send test event');
  const testForm = h('form', { class: 'test-form' },
    h('div', { class: 'field inline' }, h('label', { for: 'test-event' }, 'Test event'), testSelect),
    testButton,
    h('p', { class: 'hint' }, 'Sends a signed sample of that event to the hook URL, through the same path as Bitbucket\'s deliveries. An event this source does not select is answered “ignored”, as Bitbucket\'s would be.'));
  if (endpoint.state === 'disconnected') {
    testButton.disabled = true;
    testSelect.disabled = true;
  } else if (endpoint.destination_status === 'broken') {
    // Said before anything is sent: the relay would refuse it (409 destination_broken) and nothing would arrive.
    testButton.disabled = true;
    testForm.append(h('p', { class: 'hint' }, h('strong', {}, 'Nothing is sent while the destination is broken: '), 'resume it (above) first.'));
  }
  return { testSelect, testButton, testForm };
}

// Sends the test event the form names and says what came of it; `poll()` brings the new delivery in.
async function sendTest(ctx, endpoint, { testSelect, testButton, testResult }, poll) {
  testButton.disabled = true;
  testResult.replaceChildren(notice('info', `Sending a signed ${testSelect.value} sample…`));
  try {
    const { body: answer } = await api('POST', `/api/endpoints/${encodeURIComponent(endpoint.id)}/test`, { event: testSelect.value });
    const tone = answer.status === 'accepted' ? 'ok' : answer.status === 'ignored' ? 'warn' : 'error';
    const words = {
      accepted: `Accepted (${answer.answered}): it is on its way to the destination, at the top of the list.`,
      ignored: `Ignored (${answer.answered})${answer.reason ? `: ${answer.reason}` : ''}. Bitbucket would get the same answer.`,
      rejected: `Refused (${answer.answered})${answer.reason ? `: ${answer.reason}` : ''}.`,
    }[answer.status] ?? `${answer.status} (${answer.answered}).`;
    testResult.replaceChildren(notice(tone, h('p', {}, h('strong', {}, `Test ${answer.event}: `), words)));
    await poll();
  } catch (error) {
    if (error.status === 401) return ctx.fail(error);
    testResult.replaceChildren(describeError(error));
  } finally {
    testButton.disabled = endpoint.state === 'disconnected' || endpoint.destination_status === 'broken';
  }
  return undefined;
}

// The log as it stands: its rows (delivery id -> {item, element, detail}), the cursor of the next older page,
// the delivery opened, and the polling that keeps the first page current.
class DeliveryLog {
  constructor(ctx, endpoint, filters, view, openId) {
    this.ctx = ctx;
    this.endpoint = endpoint;
    this.filters = filters;
    this.view = view;
    this.openId = openId;
    this.rows = new Map();
    this.cursor = null;
    this.stopped = false;
    this.pollTimer = null;
    // Polls run one after another, so two of them never add the same new delivery twice.
    this.polling = Promise.resolve();
  }

  // The deliveries' address with the filters and `extra` (a cursor).
  query(extra = {}) {
    const search = new URLSearchParams({ limit: String(pageSize) });
    if (this.filters.status) search.set('status', this.filters.status);
    if (this.filters.event) search.set('event', this.filters.event);
    for (const [key, value] of Object.entries(extra)) search.set(key, value);
    return `/api/endpoints/${encodeURIComponent(this.endpoint.id)}/deliveries?${search}`;
  }

  async loadFirst() {
    const { list, listStatus } = this.view;
    listStatus.textContent = 'Loading…';
    const answer = await api('GET', this.query(), undefined, { signal: this.ctx.signal });
    list.replaceChildren();
    this.rows.clear();
    for (const item of answer.body) list.append(this.addRow(item));
    this.cursor = answer.headers.get('x-next-cursor');
    this.showListState();
    this.ctx.rendered('log');
    if (this.openId && this.rows.has(this.openId)) await this.toggle(this.openId, true);
    else if (this.openId) await this.openAlone(this.openId);
  }

  async loadOlder() {
    const { older, list, listStatus } = this.view;
    older.disabled = true;
    listStatus.textContent = 'Loading older deliveries…';
    try {
      const answer = await api('GET', this.query({ cursor: this.cursor }), undefined, { signal: this.ctx.signal });
      for (const item of answer.body) if (!this.rows.has(item.id)) list.append(this.addRow(item));
      this.cursor = answer.headers.get('x-next-cursor');
      this.showListState();
    } catch (error) {
      this.ctx.fail(error, this.view.testResult);
    } finally {
      older.disabled = false;
    }
  }

  // The first page again: new deliveries go on top, changed ones are redrawn in place.
  poll() {
    const once = () => this.pollOnce();
    this.polling = this.polling.then(once, once);
    return this.polling;
  }

  async pollOnce() {
    if (this.stopped) return;
    try {
      const answer = await api('GET', this.query(), undefined, { signal: this.ctx.signal });
      const fresh = [];
      for (const item of answer.body) {
        const known = this.rows.get(item.id);
        if (!known) {
          fresh.push(item);
        } else if (changed(known.item, item)) {
          // A folded row that took another request is news again: it goes back on top, as the relay lists it.
          const again = item.last_seen_at !== known.item.last_seen_at;
          await this.updateRow(known, item);
          if (again) {
            known.element.classList.add('fresh');
            fresh.push(known);
          }
        }
      }
      const { list } = this.view;
      for (const entry of fresh.reverse()) list.prepend(entry.element ?? this.addRow(entry, true));
      if (this.rows.size > 0 && this.cursor === null && answer.headers.get('x-next-cursor') && list.children.length <= pageSize) this.cursor = answer.headers.get('x-next-cursor');
      this.showListState();
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (error.status === 401) {
        this.ctx.fail(error);
        return;
      }
    }
    this.schedulePoll();
  }

  schedulePoll() {
    clearTimeout(this.pollTimer);
    if (!this.stopped) this.pollTimer = setTimeout(() => this.poll(), document.hidden ? pollMs * 4 : pollMs);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.pollTimer);
  }

  // Says how many deliveries are shown, or why there are none, and offers older ones when there are.
  showListState() {
    const { older, list, empty, listStatus } = this.view;
    older.hidden = !this.cursor;
    const count = list.children.length;
    const filtered = this.filters.status || this.filters.event;
    empty.hidden = count > 0;
    if (count === 0) {
      const source = this.endpoint.source;
      empty.replaceChildren(filtered
        ? h('p', {}, 'No delivery matches these filters. ', h('button', { type: 'button', class: 'link', onClick: () => this.clearFilters() }, 'Show every delivery'))
        : h('div', {}, h('p', {}, h('strong', {}, 'No deliveries yet.')),
          h('p', { class: 'muted' }, source
            ? `Push to ${source.repository}, or send a test event above: each request Bitbucket makes shows up here within seconds, refused ones too.`
            : 'Once the webhook is added in Bitbucket, each request it makes shows up here, refused ones too. Or send a test event above.')));
    }
    listStatus.textContent = count === 0 ? '' : `${count} ${count === 1 ? 'delivery' : 'deliveries'} shown${this.cursor ? '; older ones below' : ''}.`;
  }

  clearFilters() {
    this.view.statusSelect.value = '';
    this.view.eventSelect.value = '';
    this.applyFilters();
  }

  applyFilters() {
    this.filters.status = this.view.statusSelect.value;
    this.filters.event = this.view.eventSelect.value;
    this.openId = null;
    this.ctx.setQuery({ status: this.filters.status, event: this.filters.event, delivery: null });
    this.loadFirst().catch((error) => this.ctx.fail(error, this.view.testResult));
  }

  addRow(item, fresh = false) {
    const element = h('li', { class: `delivery status-${item.status}${fresh ? ' fresh' : ''}`, dataset: { id: item.id } });
    const record = { item, element, detail: null };
    this.rows.set(item.id, record);
    this.drawRow(record);
    return element;
  }

  drawRow(record) {
    const { item, element } = record;
    element.className = `delivery status-${item.status}${element.classList.contains('fresh') ? ' fresh' : ''}`;
    const expanded = this.openId === item.id;
    const detailId = `delivery-${item.id}`;
    const head = rowHead(item, this.endpoint, { expanded, detailId });
    head.addEventListener('click', () => this.toggle(item.id));
    const detail = record.detail ?? h('div', { id: detailId, class: 'delivery-detail', hidden: !expanded });
    record.detail = detail;
    element.replaceChildren(head, detail);
  }

  async updateRow(record, item) {
    record.item = item;
    this.drawRow(record);
    if (this.openId === item.id) await this.showDetail(record);
  }

  async toggle(id, open = this.openId !== id) {
    if (this.openId && this.openId !== id && this.rows.has(this.openId)) {
      const previous = this.rows.get(this.openId);
      previous.detail.hidden = true;
      previous.element.querySelector('.delivery-row').setAttribute('aria-expanded', 'false');
    }
    const record = this.rows.get(id);
    this.openId = open ? id : null;
    this.ctx.setQuery({ delivery: this.openId });
    record.element.querySelector('.delivery-row').setAttribute('aria-expanded', String(open));
    record.detail.hidden = !open;
    if (open) await this.showDetail(record);
  }

  // A delivery named in the URL that is not on the first page (an older one, or another filter's).
  async openAlone(id) {
    try {
      const { body: item } = await api('GET', `/api/deliveries/${encodeURIComponent(id)}`, undefined, { signal: this.ctx.signal });
      if (item.endpoint !== this.endpoint.id) return;
      this.view.list.prepend(this.addRow(item));
      this.showListState();
      await this.toggle(id, true);
    } catch (error) {
      if (error.status === 404) this.view.testResult.replaceChildren(notice('warn', 'The delivery in this link is no longer in the log.'));
      else this.ctx.fail(error, this.view.testResult);
    }
  }

  async showDetail(record) {
    const { detail } = record;
    const { signal } = this.ctx;
    if (!detail.firstChild) detail.replaceChildren(h('p', { class: 'loading' }, 'Loading the delivery…'));
    try {
      // Only an accepted delivery keeps its body (for redelivery); a refusal, an ignored event or a repeat never
      // does: nothing to ask for.
      const bodyKept = record.item.verdict === 'deliver' && !record.item.duplicate_of;
      const [full, payload] = await Promise.all([
        api('GET', `/api/deliveries/${encodeURIComponent(record.item.id)}`, undefined, { signal }).then((answer) => answer.body),
        bodyKept
          ? api('GET', `/api/deliveries/${encodeURIComponent(record.item.id)}/payload`, undefined, { signal, text: true })
            .then((answer) => ({ text: answer.body })).catch((error) => ({ error }))
          : { notKept: true },
      ]);
      const wasOpen = detail.querySelector('details.payload')?.open ?? true;
      detail.replaceChildren(this.deliveryDetail(full, payload, wasOpen));
    } catch (error) {
      this.ctx.fail(error, detail);
    }
  }

  deliveryDetail(full, payload, payloadOpen) {
    const result = h('div', { class: 'action-result' });
    return h('div', { class: 'detail-body' },
      facts(full, this.endpoint),
      this.detailActions(full, result), result,
      h('div', { class: 'detail-grid' },
        h('div', { class: 'detail-col' },
          h('section', { 'aria-label': 'Message' }, h('h3', {}, 'Message'), messageView(full)),
          h('section', { 'aria-label': 'Attempts' }, h('h3', {}, 'Attempts'), attemptsView(full))),
        h('div', { class: 'detail-col' },
          h('section', { 'aria-label': 'Request headers' }, h('h3', {}, 'Request headers'), headersView(full.request_headers)),
          h('section', { 'aria-label': 'Payload' }, payloadView(full, payload, payloadOpen)))));
  }

  // Redeliver (an accepted delivery), Retry now (one waiting for its backoff) and Copy link; what the first
  // two did is said in `result`.
  detailActions(full, result) {
    const actions = h('div', { class: 'detail-actions' });
    // A button that POSTs `path` once at a time, says what came of it in `result`, then refreshes the log.
    const action = (label, path, said) => {
      const button = h('button', { type: 'button', class: 'secondary' }, label);
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          const { body: answer } = await api('POST', `/api/deliveries/${encodeURIComponent(full.id)}/${path}`, {});
          result.replaceChildren(notice('ok', said(answer)));
          await this.poll();
        } catch (error) {
          if (error.status === 401) return this.ctx.fail(error);
          result.replaceChildren(describeError(error));
        } finally {
          button.disabled = false;
        }
        return undefined;
      });
      return button;
    };
    if (full.verdict === 'deliver') {
      actions.append(action('Redeliver', 'redeliver', (answer) => h('p', {}, 'Queued again as a new delivery, rendered with the current settings. ',
        h('button', { type: 'button', class: 'link', onClick: () => this.openNew(answer.delivery) }, 'Open it'))));
    }
    if (full.status === 'pending' && full.next_attempt_at) {
      actions.append(action('Retry now', 'retry', () => 'Sending now instead of waiting for the backoff.'),
        h('span', { class: 'muted' }, 'Next attempt ', timeElement(full.next_attempt_at)));
    }
    actions.append(copyButton(`${location.origin}/sources?endpoint=${encodeURIComponent(this.endpoint.id)}&delivery=${encodeURIComponent(full.id)}`, 'Copy link'));
    return actions;
  }

  async openNew(id) {
    await this.poll();
    if (this.rows.has(id)) {
      await this.toggle(id, true);
      this.rows.get(id).element.querySelector('.delivery-row').focus();
    }
  }
}

// A delivery's row as the list shows it folded: a button that opens `detailId`.
function rowHead(item, endpoint, { expanded, detailId }) {
  return h('button', { type: 'button', class: 'delivery-row', 'aria-expanded': String(expanded), 'aria-controls': detailId },
    statusIcon(item.status),
    h('span', { class: 'row-main' },
      h('span', { class: 'row-title' }, item.title ?? item.reason ?? item.event ?? '—'),
      h('span', { class: 'row-meta' },
        h('code', { class: 'event' }, item.event ?? 'no event key'),
        item.test ? h('span', { class: 'tag' }, 'test') : null,
        item.redelivery_of ? h('span', { class: 'tag' }, 'redelivery') : null,
        foldedTag(item)),
      item.verdict === 'reject' ? h('span', { class: 'row-next' }, h('strong', {}, 'What to do: '), refusalStep(item.code, endpoint).words) : null),
    h('span', { class: 'row-verdict' }, h('span', { class: 'answered' }, item.answered ? String(item.answered) : ''), ' ', h('code', {}, item.code ?? '')),
    h('span', { class: `row-status chip status-${item.status}` }, statusWord(item.status)),
    h('span', { class: 'row-attempts', title: 'Attempts to deliver' }, item.attempts ? `${item.attempts} ${item.attempts === 1 ? 'attempt' : 'attempts'}` : ''),
    h('span', { class: 'row-time' }, timeElement(item.received_at)));
}

function defaultTestEvent(endpoint) {
  if (endpoint.events?.mode === 'custom' && endpoint.events.custom?.length) return endpoint.events.custom[0];
  return 'repo:push';
}

function eventOptions(catalogue, selected) {
  return [...groupByCategory(catalogue)].map(([category, events]) => h('optgroup', { label: category },
    events.map((event) => h('option', { value: event.key, selected: event.key === selected }, `${eventName(event)} (${event.key})`))));
}

function changed(before, after) {
  return ['status', 'attempts', 'delivered_at', 'next_attempt_at', 'response_status', 'title', 'count', 'last_seen_at']
    .some((key) => before[key] !== after[key]);
}

// The time of day of `iso` (the date on hover), for "last at …".
function clockTime(iso) {
  const text = new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return h('time', { datetime: iso, title: exactTime(iso) }, text);
}

// A row that stands for several requests (repeated refusals, duplicates): "×N, last at …".
function foldedTag(item) {
  if (!(item.count > 1)) return null;
  return h('span', { class: 'tag folded', title: `${item.count} requests folded into this entry, the first at ${exactTime(item.received_at)}` },
    `×${item.count}, last at `, clockTime(item.last_seen_at));
}

function facts(full, endpoint) {
  const step = full.verdict === 'reject' ? refusalStep(full.code, endpoint) : null;
  const rows = [
    ['Delivery', h('code', {}, full.id)],
    ['Received', [timeElement(full.received_at), h('span', { class: 'muted' }, ` · ${exactTime(full.received_at)}`)]],
    ['Answered Bitbucket', [h('strong', {}, `${full.answered ?? '—'} `), h('code', {}, full.code ?? ''), h('span', { class: 'muted' }, ` (${verdictWords[full.verdict] ?? full.verdict})`)]],
    full.reason ? ['Reason', full.reason] : null,
    step?.settings ? ['Fix it', navLink(`/sources?endpoint=${encodeURIComponent(endpoint.id)}&tab=settings`, step.settings)] : null,
    ['Delivery status', [h('span', { class: `chip status-${full.status}` }, statusWord(full.status)),
      full.response_status ? h('span', { class: 'muted' }, ` · destination answered ${full.response_status}`) : null,
      full.last_error ? h('span', { class: 'muted' }, ` · ${full.last_error}`) : null]],
    full.delivered_at ? ['Delivered', [timeElement(full.delivered_at), h('span', { class: 'muted' }, ` · ${exactTime(full.delivered_at)}`)]] : null,
    full.message_id ? ['Discord message', h('code', {}, full.message_id)] : null,
    full.redelivery_of ? ['Redelivery of', h('code', {}, full.redelivery_of)] : null,
    full.duplicate_of ? ['Repeats', [h('code', {}, full.duplicate_of), h('span', { class: 'muted' }, ' (received before; not delivered again)')]] : null,
    full.count > 1 ? ['Requests', [`${full.count}, the first at ${exactTime(full.received_at)}, the last at `, clockTime(full.last_seen_at),
      h('span', { class: 'muted' }, ' (headers and reason: the latest)')]] : null,
    full.test ? ['Test', 'A signed sample sent from this page'] : null,
  ].filter(Boolean);
  return h('dl', { class: 'facts' }, rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function messageView(full) {
  if (!full.message) {
    if (full.code === 'branch_filtered' || full.code === 'actor_filtered') {
      return h('p', { class: 'muted' }, `Nothing is sent: the source's filters leave this ${full.code === 'actor_filtered' ? 'actor' : 'branch or tag'} out. `,
        navLink(`/sources?endpoint=${encodeURIComponent(full.endpoint)}&tab=settings`, 'Change the filters in Settings'), '.');
    }
    return h('p', { class: 'muted' }, full.verdict === 'deliver' ? 'No message was recorded.' : 'Nothing is sent for a delivery that was ignored or refused.');
  }
  const box = h('div', { class: 'discord' });
  const sent = full.delivered_at ? new Date(full.delivered_at) : new Date(full.received_at);
  drawMessage(box, full.message, { now: Number.isNaN(sent.getTime()) ? new Date() : sent });
  return box;
}

function headersView(headers) {
  const entries = Object.entries(headers ?? {});
  if (!entries.length) return h('p', { class: 'muted' }, 'No headers were recorded.');
  return h('div', { class: 'table-scroll' }, h('table', { class: 'headers' },
    h('tbody', {}, entries.map(([name, value]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, h('code', {}, String(value))))))));
}

function payloadView(full, payload, open) {
  const bytes = full.body_bytes ?? (payload.text ? new TextEncoder().encode(payload.text).length : null);
  const summary = h('summary', {}, h('h3', {}, 'Payload'), bytes !== null ? h('span', { class: 'muted' }, ` ${bytes.toLocaleString()} bytes`) : null);
  if (payload.notKept) {
    const words = full.duplicate_of
      ? `Not kept again: it is the body of delivery ${full.duplicate_of}.`
      : full.verdict === 'ignore'
        ? 'The body of an ignored event is not kept: nothing was sent, so there is nothing to redeliver.'
        : 'The body of a refused request is not kept: it did not pass the checks, so whoever sent it chose it.';
    return h('details', { class: 'payload', open }, summary, h('p', { class: 'muted' }, words));
  }
  if (payload.error) {
    const words = payload.error.code === 'body_expired' || payload.error.status === 410
      ? 'The body is no longer kept: dispatch keeps bodies RETENTION_DAYS days (7 by default) for redelivery.'
      : payload.error.status === 404 ? 'No body was recorded for this request.' : payload.error.reason ?? 'The body could not be read.';
    return h('details', { class: 'payload', open }, summary, h('p', { class: 'muted' }, words));
  }
  let pretty = payload.text;
  try {
    pretty = JSON.stringify(JSON.parse(payload.text), null, 2);
  } catch {
    // Not JSON (a refused body): shown exactly as received.
  }
  return h('details', { class: 'payload', open }, summary,
    h('div', { class: 'json-tools' }, copyButton(payload.text, 'Copy', { 'aria-label': 'Copy the payload exactly as received' }),
      h('span', { class: 'hint' }, 'Copies the exact bytes received, for the preview\'s signature checker.')),
    h('pre', { class: 'code-block', tabindex: '0', 'aria-label': 'Payload, pretty-printed' }, pretty));
}

function attemptsView(full) {
  const log = full.attempt_log ?? [];
  if (!log.length) {
    const why = full.verdict !== 'deliver' ? 'Nothing is sent for a delivery that was ignored or refused.'
      : full.status === 'pending' ? 'Not sent yet: it is queued.' : 'No attempt was recorded.';
    return [h('p', { class: 'muted' }, why), full.response ? answerView(full.response) : null];
  }
  return h('ol', { class: 'attempts' }, log.map((attempt, index) => h('li', { class: `attempt outcome-${attempt.outcome}` },
    h('div', { class: 'attempt-head' },
      h('strong', {}, `#${index + 1}`), ' ',
      h('span', { class: 'chip' }, attempt.outcome ?? '—'),
      attempt.status ? h('code', {}, ` HTTP ${attempt.status}`) : null,
      attempt.duration_ms !== undefined && attempt.duration_ms !== null ? h('span', { class: 'muted' }, ` · ${attempt.duration_ms} ms`) : null,
      h('span', { class: 'muted' }, ' · '), timeElement(attempt.at),
      attempt.retry_in ? h('span', { class: 'muted' }, ` · retry in ${attempt.retry_in} s`) : null),
    // A pull request's thread: what each call did (post created, event posted in it, card edited or kept).
    attempt.note ? h('p', { class: 'attempt-note' }, attempt.note) : null,
    attempt.error ? h('p', { class: 'attempt-error' }, attempt.error) : null,
    attempt.answer !== undefined && attempt.answer !== null ? answerView(attempt.answer) : null)));
}

function answerView(answer) {
  const text = typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2);
  const first = text.replace(/\s+/g, ' ').slice(0, 90);
  return h('details', { class: 'answer' }, h('summary', {}, 'Destination\'s answer ', h('code', { class: 'muted' }, first.length < text.length ? `${first}…` : first)),
    h('pre', { class: 'code-block', tabindex: '0' }, text));
}
