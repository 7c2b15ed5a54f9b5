// A source's page: what it is (repository, webhook, state), its Recent deliveries, and its settings
// (events, filters, pull request threads, destination, template), secret rotation, disconnect and delete.
// A little over 400 lines: the page's head, its notices and the Settings tab's four sections.

import { filtersInWords } from '/filter-patterns.mjs';
import { api } from '/sources-api.mjs';
import { refusalNotice } from '/sources-connect.mjs';
import { renderDeliveries } from '/sources-deliveries.mjs';
import {
  confirmDialog, copyable, crumbs, describeError, eventsInWords, exactTime, externalLink, fill, h, navLink, notice, sentence, stateBadge,
  timeElement,
} from '/sources-dom.mjs';
import { endpointForm } from '/sources-form.mjs';

// Draws the source the URL names. Returns a cleanup function.
export async function renderSource(main, ctx) {
  const id = ctx.url.searchParams.get('endpoint');
  const tab = ctx.url.searchParams.get('tab') === 'settings' ? 'settings' : 'deliveries';
  let endpoint;
  try {
    endpoint = (await api('GET', `/api/endpoints/${encodeURIComponent(id)}`, undefined, { signal: ctx.signal })).body;
  } catch (error) {
    if (error.status !== 404) throw error;
    ctx.setTitle('No such source');
    fill(main, crumbs('Not found'), h('h1', { tabindex: '-1' }, 'No such source'),
      notice('warn', 'dispatch has no source or endpoint with this address: it was deleted, or the link is from another relay.',
        h('p', {}, navLink('/sources', 'See every source', { class: 'button' }))));
    return undefined;
  }
  const title = titleOf(endpoint);
  ctx.setTitle(title);
  const base = `/sources?endpoint=${encodeURIComponent(endpoint.id)}`;
  const flash = ctx.takeFlash();
  const panel = h('div', { class: 'tab-panel', id: 'tab-panel', role: 'region', 'aria-label': tab === 'settings' ? 'Settings' : 'Recent deliveries' });
  let trail = crumbs(title);
  let head = pageHead(endpoint, ctx);
  fill(main,
    trail,
    head,
    flash ? flashPanel(flash, endpoint, ctx) : null,
    ...stateNotices(endpoint, flash, ctx),
    h('nav', { class: 'tabs', 'aria-label': 'Source' },
      navLink(base, 'Recent deliveries', { 'aria-current': tab === 'deliveries' ? 'page' : null }),
      navLink(`${base}&tab=settings`, 'Settings', { 'aria-current': tab === 'settings' ? 'page' : null })),
    panel);
  ctx.rendered('source');
  // What Settings saved shows in the page's head at once: its name, events, filters and threads.
  const saved = () => {
    ctx.setTitle(titleOf(endpoint));
    const fresh = [crumbs(titleOf(endpoint)), pageHead(endpoint, ctx)];
    trail.replaceWith(fresh[0]);
    head.replaceWith(fresh[1]);
    [trail, head] = fresh;
  };
  if (tab === 'settings') return renderSettings(panel, ctx, endpoint, saved);
  return renderDeliveries(panel, ctx, endpoint);
}

const titleOf = (endpoint) => endpoint.name || endpoint.source?.repository || endpoint.id;

// The head of a source's page: its name and state, where it comes from, and what it relays (events, filters,
// pull request threads), as `endpoint` has them.
function pageHead(endpoint, ctx) {
  const source = endpoint.source;
  return h('div', { class: 'page-head' },
    h('div', { class: 'title-block' },
      h('div', { class: 'title-line' }, h('h1', { tabindex: '-1' }, titleOf(endpoint)), stateBadge(endpoint.state)),
      h('p', { class: 'sub' }, source
        ? ['Bitbucket repository ', source.repository_url ? externalLink(source.repository_url, source.repository) : source.repository,
          source.hook_uuid ? [' · webhook ', h('code', { class: 'uuid' }, source.hook_uuid)] : null]
        : 'Hand-made endpoint: its webhook was added in Bitbucket by hand'),
      h('p', { class: 'sub' }, h('span', { class: 'label' }, 'Events: '), eventsInWords(endpoint.events, ctx.catalogue)),
      endpoint.filters ? h('p', { class: 'sub' }, h('span', { class: 'label' }, 'Filters: '), filtersInWords(endpoint.filters)) : null,
      endpoint.threads === 'pull_request' ? h('p', { class: 'sub' }, h('span', { class: 'label' }, 'Pull requests: '), 'one live thread each') : null));
}


function stateNotices(endpoint, flash, ctx) {
  const notices = [];
  const source = endpoint.source;
  if (endpoint.state === 'needs_reconnect') {
    notices.push(notice('warn',
      h('p', {}, h('strong', {}, 'Bitbucket no longer accepts dispatch\'s access for this source\'s account. '),
        'Events still arrive, but dispatch cannot change or remove the webhook until you reconnect.'),
      h('p', {}, h('a', { class: 'button primary', href: '/connect/bitbucket' }, 'Reconnect Bitbucket'))));
  }
  if (endpoint.destination_status === 'broken') notices.push(brokenNotice(ctx, endpoint));
  if (source?.status === 'left_behind') notices.push(leftBehind(source.left_behind ?? {}));
  if (endpoint.state === 'disconnected' && source?.status !== 'left_behind' && flash?.kind !== 'disconnected') {
    notices.push(notice('info', source
      ? 'Disconnected: dispatch removed the webhook from Bitbucket and delivers nothing more. The log below stays until you delete the source.'
      : 'Disconnected: the hook URL answers 410 to Bitbucket, and nothing is delivered. Remove the webhook from the repository\'s settings in Bitbucket.'));
  }
  return notices;
}

// A destination marked broken: why, and the two ways back: Resume (the webhook works again) or a new URL.
function brokenNotice(ctx, endpoint) {
  const result = h('div', { class: 'resume-result' });
  const resume = h('button', { type: 'button', class: 'primary' }, 'Resume deliveries');
  resume.addEventListener('click', async () => {
    resume.disabled = true;
    try {
      const { body: answer } = await api('POST', `/api/endpoints/${encodeURIComponent(endpoint.id)}/resume`, {});
      // The whole view again (its badge, its test form), with what failed meanwhile offered on top.
      ctx.setFlash({ kind: 'resumed', unsent: answer.unsent });
      ctx.navigate(location.href, { replace: true });
    } catch (error) {
      if (error.status === 401) return ctx.fail(error);
      result.replaceChildren(describeError(error));
      resume.disabled = false;
    }
    return undefined;
  });
  const panel = notice('error broken-destination',
    h('p', {}, h('strong', {}, 'The destination is broken: '), sentence(endpoint.destination_error ?? 'Discord said the webhook does not exist'),
      ' Nothing is sent to it, test events included, until you resume it or give a new webhook URL in Settings.'),
    h('p', {}, 'If the webhook was deleted, make a new one in Discord and save its URL in Settings. If the webhook works '
      + 'again, resume: what failed meanwhile is offered for redelivery.'),
    h('div', { class: 'form-actions start' }, resume,
      navLink(`/sources?endpoint=${encodeURIComponent(endpoint.id)}&tab=settings`, 'Change the webhook URL', { class: 'button secondary' })),
    result);
  return panel;
}

// After a broken destination is resumed or given again: the deliveries that failed meanwhile (the relay's
// `unsent`), with one button that sends them all again; nothing when there are none.
function unsentOffer(ctx, unsent) {
  if (!unsent?.length) return notice('info', 'Nothing failed while it was broken: there is nothing to send again.');
  const count = unsent.length === 1 ? '1 delivery' : `${unsent.length} deliveries`;
  const result = h('div');
  const again = h('button', { type: 'button', class: 'primary' }, `Redeliver ${count}`);
  again.addEventListener('click', async () => {
    again.disabled = true;
    let queued = 0;
    const failures = [];
    for (const item of unsent) {
      try {
        await api('POST', `/api/deliveries/${encodeURIComponent(item.id)}/redeliver`, {});
        queued += 1;
      } catch (error) {
        if (error.status === 401) return ctx.fail(error);
        failures.push(error);
      }
    }
    result.replaceChildren(queued ? notice('ok', `${queued === 1 ? '1 delivery is' : `${queued} deliveries are`} queued again: `
      + 'they appear in Recent deliveries as redeliveries.') : null, ...failures.slice(0, 1).map(describeError));
    if (failures.length === 0) again.hidden = true;
    else again.disabled = false;
    return undefined;
  });
  return notice('info', h('p', {}, `${count} failed while the destination was broken: `,
    unsent.slice(0, 3).map((item) => item.title ?? item.event).join('; '), unsent.length > 3 ? '; …' : ''),
  h('div', { class: 'form-actions start' }, again), result);
}

function leftBehind({ reason, steps }) {
  const list = Array.isArray(steps) ? steps : typeof steps === 'string' ? steps.split('\n').filter(Boolean) : [];
  return notice('warn',
    h('p', {}, h('strong', {}, 'Disconnected, but the webhook was left behind in Bitbucket. '), reason ?? ''),
    list.length ? h('p', {}, 'Remove it by hand:') : null,
    list.length ? h('ol', { class: 'how' }, list.map((step) => h('li', {}, step))) : null);
}

function flashPanel(flash, endpoint, ctx) {
  if (flash.kind === 'resumed') {
    return h('div', { class: 'resumed' },
      notice('ok', h('p', {}, h('strong', {}, 'Resumed. '), 'Deliveries go to the destination again.')),
      unsentOffer(ctx, flash.unsent));
  }
  if (flash.kind === 'disconnected') {
    const answer = flash.answer;
    if (answer.source?.status === 'left_behind') return leftBehind(answer.source);
    if (answer.source?.status === 'removed') return notice('ok', h('p', {}, h('strong', {}, 'Disconnected. '), 'dispatch removed the webhook from Bitbucket: nothing more will arrive.'));
    return notice('ok', h('p', {}, h('strong', {}, 'Disconnected. '), 'The hook URL now answers 410. Delete the webhook in the repository\'s settings in Bitbucket (Repository settings → Webhooks).'));
  }
  const created = flash.endpoint;
  if (created.source) {
    const events = eventsInWords(created.events, ctx.catalogue);
    return h('section', { class: 'notice ok created', role: 'status', 'aria-labelledby': 'created-title' },
      h('h2', { id: 'created-title' }, `✓ ${created.source.repository} is connected`),
      h('p', {}, `Bitbucket now sends ${events.toLowerCase() === 'all events' ? 'every event' : events} to dispatch, and dispatch posts each to your channel.`),
      h('dl', { class: 'summary' },
        h('dt', {}, 'Webhook'), h('dd', {}, copyable(created.source.hook_uuid ?? '—', 'webhook uuid'), ' ', h('span', { class: 'badge state-active' }, created.source.status ?? 'registered')),
        h('dt', {}, 'URL'), h('dd', {}, copyable(created.url, 'hook URL')),
        h('dt', {}, 'Events'), h('dd', {}, events),
        created.filters ? [h('dt', {}, 'Filters'), h('dd', {}, filtersInWords(created.filters))] : null,
        created.threads === 'pull_request' ? [h('dt', {}, 'Pull requests'), h('dd', {}, 'One live thread each')] : null,
        h('dt', {}, 'Secret'), h('dd', {}, 'Set on the webhook by dispatch; rotate it from Settings whenever you like.')),
      h('p', {}, 'Push to the repository, or send a test event below: it appears in Recent deliveries within seconds.',
        created.source.repository_url ? [' ', externalLink(`${created.source.repository_url}/admin/webhooks`, 'See the webhook in Bitbucket')] : null));
  }
  return h('section', { class: 'notice ok created', role: 'status', 'aria-labelledby': 'created-title' },
    h('h2', { id: 'created-title' }, '✓ Endpoint created: now add its webhook in Bitbucket'),
    h('p', { class: 'warning-line' }, h('strong', {}, 'The secret is shown only this once.'), ' Copy it now; if you lose it, rotate it from Settings.'),
    h('ol', { class: 'how' },
      h('li', {}, 'In Bitbucket, open the repository → ', h('strong', {}, 'Repository settings → Webhooks → Add webhook'), '.'),
      h('li', {}, 'Title: ', h('code', {}, 'dispatch'), '. URL: ', copyable(created.url, 'hook URL')),
      h('li', {}, 'Secret: ', copyable(created.secret, 'secret')),
      h('li', {}, 'Triggers: ', triggerWords(created.events, ctx.catalogue), '. Then Save.'),
      h('li', {}, 'Push to the repository, or send a test event below, and watch Recent deliveries.')));
}

function triggerWords(events, catalogue) {
  if (events.mode === 'push') return 'keep “Repository push”';
  if (events.mode === 'all') return 'choose from a full list of triggers and tick every one';
  return `choose from a full list of triggers and tick ${eventsInWords(events, catalogue)}`;
}

// The Settings tab: the webhook, then (while the endpoint is active) its settings and secret, then disconnect
// or delete. `saved()` runs once the settings were saved into `endpoint`.
function renderSettings(panel, ctx, endpoint, saved) {
  const source = endpoint.source;
  const active = endpoint.state !== 'disconnected';
  const webhook = h('section', { class: 'card settings-section', 'aria-labelledby': 'webhook-title' },
    h('h2', { id: 'webhook-title' }, 'Webhook'),
    h('dl', { class: 'summary' },
      h('dt', {}, 'Hook URL'), h('dd', {}, copyable(endpoint.url, 'hook URL')),
      source ? [h('dt', {}, 'Bitbucket webhook'), h('dd', {}, h('code', {}, source.hook_uuid ?? '—'), ' ', h('span', { class: 'muted' }, `(${source.status})`),
        source.repository_url ? [' · ', externalLink(`${source.repository_url}/admin/webhooks`, 'open in Bitbucket')] : null)] : null,
      h('dt', {}, 'Created'), h('dd', {}, timeElement(endpoint.created_at), h('span', { class: 'muted' }, ` (${exactTime(endpoint.created_at)})`))));

  // A disconnected endpoint has nothing left to change: its webhook is gone and nothing is delivered.
  const frozen = notice('info', source
    ? 'A disconnected source keeps its log, and nothing else: to relay this repository again, connect it again from Sources.'
    : 'A disconnected endpoint keeps its log, and nothing else: to relay again, add an endpoint and its webhook anew.');
  // Built only while active: the fields load the core, which a frozen endpoint has no use for.
  fill(panel, webhook, active ? [settingsForm(ctx, endpoint, saved), secretSection(ctx, endpoint)] : frozen, dangerZone(ctx, endpoint, active));
}

// The settings form: name, events, filters, threads, destination and template, saved with one PATCH into
// `endpoint`; then `onSaved()`.
function settingsForm(ctx, endpoint, onSaved) {
  const source = endpoint.source;
  const settings = endpointForm({
    catalogue: ctx.catalogue, parts: ['name', 'events', 'filters', 'threads', 'destination', 'template', 'templates'],
    initial: endpoint, expanded: false, local: ctx.session.local_destinations === true,
    name: { id: 'settings-name' }, destination: { optional: true, label: 'New Discord webhook URL' },
  });
  const { fields } = settings;
  const saved = h('div', { class: 'save-result' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save changes');
  const templatesNote = endpoint.templates?.default === undefined ? null
    : notice('info', 'This endpoint\'s default template was set through the admin API as templates.default; it is kept as it is.');
  const form = h('form', { class: 'card settings-section settings-form', novalidate: true, 'aria-labelledby': 'settings-title' },
    h('h2', { id: 'settings-title' }, 'Settings'),
    fields.name.element,
    fields.events.element,
    fields.filters.element,
    fields.threads.element,
    currentDestination(endpoint),
    fields.destination.element,
    templatesNote,
    fields.template.element,
    fields.templates.element,
    saved,
    h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    saved.replaceChildren();
    if (settings.firstFault(saved)) return;
    const changes = settings.changesFrom(endpoint);
    if (Object.keys(changes).length === 0) {
      saved.replaceChildren(notice('info', 'Nothing changed.'));
      return;
    }
    save.disabled = true;
    save.textContent = 'Saving…';
    const wasBroken = endpoint.destination_status === 'broken';
    try {
      const { body: updated } = await api('PATCH', `/api/endpoints/${encodeURIComponent(endpoint.id)}`, changes);
      Object.assign(endpoint, updated);
      if (changes.template !== undefined && typeof updated.template !== 'undefined') endpoint.template = updated.template;
      if (changes.template === null) delete endpoint.template;
      if (changes.templates === null) delete endpoint.templates;
      saved.replaceChildren(notice('ok', h('p', {}, h('strong', {}, 'Saved. '), savedWords(changes, updated, { ctx, source, wasBroken }))));
      onSaved();
      if (wasBroken && updated.destination_status !== 'broken') {
        // Saving a destination (the same one included) clears the broken mark: offer what failed meanwhile.
        const { body: unsent } = await api('GET', `/api/endpoints/${encodeURIComponent(endpoint.id)}/unsent`);
        saved.append(unsentOffer(ctx, unsent));
        document.querySelector('.broken-destination')?.remove();
        form.querySelector('.current-destination .badge')?.remove();
      }
      fields.destination.element.querySelector('input[type="url"]').value = '';
      form.querySelector('.current-destination code').textContent = updated.destination_url;
    } catch (error) {
      if (error.status === 401) return ctx.fail(error);
      settings.markFault(error.body);
      saved.replaceChildren(refusalNotice(error, source?.repository ?? endpoint.name, null));
    } finally {
      save.disabled = false;
      save.textContent = 'Save changes';
    }
    return undefined;
  });
  return form;
}

// The destination as saved, masked, with its Broken badge.
function currentDestination(endpoint) {
  return h('div', { class: 'field current-destination' },
    h('span', { class: 'label' }, 'Destination'),
    h('p', {}, h('code', { class: 'destination' }, endpoint.destination_url), ' ',
      endpoint.destination_status === 'broken' ? h('span', { class: 'badge state-destination_broken' }, 'Broken') : null),
    h('p', { class: 'hint' }, 'Shown masked: the webhook\'s token is a credential. To change it, paste the new URL below.'));
}

// What a save changed, in words, from the `changes` sent and the endpoint as the relay `updated` it.
function savedWords(changes, updated, { ctx, source, wasBroken }) {
  const words = [];
  if (changes.events) words.push(source ? `Bitbucket's webhook now sends ${eventsInWords(updated.events, ctx.catalogue)}.` : `Events: ${eventsInWords(updated.events, ctx.catalogue)}. Change the webhook's triggers in Bitbucket to match.`);
  if ('filters' in changes) words.push(updated.filters ? `Filters: ${filtersInWords(updated.filters)}.` : 'No filters: every branch, tag and actor passes.');
  if ('threads' in changes) words.push(updated.threads ? 'Each pull request is now one live thread.' : 'Pull request events are now messages of their own.');
  if (changes.destination_url) words.push(`Deliveries now go to ${updated.destination_url}${wasBroken && updated.destination_status !== 'broken' ? ', no longer marked broken' : ''}.`);
  if ('template' in changes) words.push(changes.template ? 'The template is saved.' : 'Messages use the auto-formatted embeds.');
  if ('templates' in changes) {
    const selectors = Object.keys(updated.templates ?? {}).filter((selector) => selector !== 'default');
    words.push(selectors.length ? `Templates for some events: ${selectors.join(', ')}.` : 'No templates for some events.');
  }
  if (changes.name) words.push(`Renamed to ${updated.name}.`);
  return words.join(' ');
}

// Rotate secret: a new one shown once (and given to Bitbucket's webhook for a source).
function secretSection(ctx, endpoint) {
  const source = endpoint.source;
  const rotated = h('div', { class: 'rotate-result' });
  const rotate = h('button', { type: 'button', class: 'secondary' }, 'Rotate secret');
  rotate.addEventListener('click', async () => {
    const sure = await confirmDialog({
      title: 'Rotate the secret?',
      body: source
        ? 'dispatch makes a new secret and gives it to the Bitbucket webhook. Deliveries Bitbucket signed with the old one are still accepted for 10 minutes.'
        : 'dispatch makes a new secret, and the old one stops working at once: deliveries are refused until you paste the new one into the webhook in Bitbucket.',
      confirm: 'Rotate secret',
      tone: 'primary',
    });
    if (!sure) return;
    rotate.disabled = true;
    try {
      const { body: answer } = await api('POST', `/api/endpoints/${encodeURIComponent(endpoint.id)}/secret`, {});
      rotated.replaceChildren(h('div', { class: 'notice ok secret-shown', role: 'status' },
        h('p', {}, h('strong', {}, 'New secret: '), copyable(answer.secret, 'new secret')),
        h('p', { class: 'warning-line' }, h('strong', {}, 'Shown only this once.')),
        h('p', {}, source
          ? ['Bitbucket\'s webhook has it already. ', answer.previous_valid_until
            ? ['The previous secret still verifies until ', h('time', { datetime: answer.previous_valid_until }, exactTime(answer.previous_valid_until)), ' (10 minutes), for deliveries Bitbucket signed before the change.']
            : 'The previous secret still verifies for 10 minutes, for deliveries Bitbucket signed before the change.']
          : 'The old secret stopped working: paste this one into the webhook in Bitbucket now (Repository settings → Webhooks → Edit → Secret).')));
    } catch (error) {
      if (error.status === 401) return ctx.fail(error);
      rotated.replaceChildren(refusalNotice(error, source?.repository ?? endpoint.name, null));
    } finally {
      rotate.disabled = false;
    }
    return undefined;
  });
  return h('section', { class: 'card settings-section', 'aria-labelledby': 'secret-title' },
    h('h2', { id: 'secret-title' }, 'Secret'),
    h('p', {}, 'Bitbucket signs every delivery with the webhook\'s secret, and dispatch refuses what it did not sign. dispatch never shows a secret again after making it.'),
    h('div', { class: 'form-actions start' }, rotate), rotated);
}

// Disconnect (while active) and delete (once disconnected, or a hand-made endpoint), each after a confirmation.
function dangerZone(ctx, endpoint, active) {
  const source = endpoint.source;
  const dangerResult = h('div');
  const disconnect = h('button', { type: 'button', class: 'danger' }, 'Disconnect');
  disconnect.addEventListener('click', async () => {
    const sure = await confirmDialog({
      title: `Disconnect ${source?.repository ?? endpoint.name}?`,
      body: source
        ? ['dispatch deletes its webhook in Bitbucket and stops delivering: nothing more arrives in Discord.', 'The delivery log stays. To relay this repository again, connect it again.']
        : ['The hook URL will answer 410 to Bitbucket, and nothing more is delivered.', 'Remove the webhook from the repository\'s settings in Bitbucket afterwards.'],
      confirm: 'Disconnect',
    });
    if (!sure) return;
    disconnect.disabled = true;
    dangerResult.replaceChildren(notice('info', source ? 'Removing the webhook from Bitbucket…' : 'Disconnecting…'));
    try {
      const { body: answer } = await api('POST', `/api/endpoints/${encodeURIComponent(endpoint.id)}/disconnect`, {});
      ctx.setFlash({ kind: 'disconnected', answer });
      ctx.navigate(`/sources?endpoint=${encodeURIComponent(endpoint.id)}&tab=settings`, { replace: true });
    } catch (error) {
      disconnect.disabled = false;
      if (error.status === 401) return ctx.fail(error);
      dangerResult.replaceChildren(describeError(error));
    }
    return undefined;
  });
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  remove.addEventListener('click', async () => {
    const sure = await confirmDialog({
      title: `Delete ${endpoint.name}?`,
      body: ['dispatch forgets this endpoint and its whole delivery log. This cannot be undone.'],
      confirm: 'Delete',
    });
    if (!sure) return;
    try {
      await api('DELETE', `/api/endpoints/${encodeURIComponent(endpoint.id)}`);
      ctx.navigate('/sources', { replace: true });
    } catch (error) {
      if (error.status === 401) return ctx.fail(error);
      dangerResult.replaceChildren(error.status === 409 ? notice('warn', 'Disconnect it first: dispatch removes the webhook from Bitbucket before forgetting the source.') : describeError(error));
    }
    return undefined;
  });
  const canDelete = !active || !source;
  return h('section', { class: 'card settings-section danger-zone', 'aria-labelledby': 'danger-title' },
    h('h2', { id: 'danger-title' }, 'Disconnect or delete'),
    active ? h('div', { class: 'danger-row' },
      h('div', {}, h('strong', {}, 'Disconnect'), h('p', { class: 'hint' }, source ? 'Delete the webhook in Bitbucket and stop delivering. The log stays.' : 'Stop accepting deliveries (410). The log stays.')),
      disconnect) : null,
    canDelete ? h('div', { class: 'danger-row' },
      h('div', {}, h('strong', {}, 'Delete'), h('p', { class: 'hint' }, 'Forget this endpoint and its delivery log.')),
      remove) : null,
    dangerResult);
}
