// Connecting a repository, one step per page, after Bitbucket sent the user back with a connection:
// repository (searched, paged) → events (with the filters and pull request threads) → destination → template →
// review and create. Each step's address carries the choices made so far but the destination and the template
// (shareable, and loaded afresh it lands on that step). Also the two ways around Connect Bitbucket: how to
// create the OAuth consumer, and an endpoint made by hand.
// Over 400 lines: five steps and the draft they share, whose address each step keeps; splitting the steps
// apart would scatter that draft.

import { filterKinds, filtersFrom, filtersInWords } from '/filter-patterns.mjs';
import { oauthCallbackUrl } from '/public-url.mjs';
import { api, apiAll } from '/sources-api.mjs';
import {
  accountName, copyable, crumbs, describeError, eventsInWords, externalLink, fill, h, navLink, notice, sentence,
} from '/sources-dom.mjs';
import { showFirstFault } from '/sources-fields.mjs';
import { endpointForm } from '/sources-form.mjs';

const steps = [
  ['repository', 'Repository'],
  ['events', 'Events'],
  ['destination', 'Destination'],
  ['template', 'Message'],
  ['review', 'Create'],
];
// What each step needs from the ones before it.
const needs = { repository: [], events: ['repository'], destination: ['repository'], template: ['repository', 'destination'], review: ['repository', 'destination'] };

// The choices made so far, per connection, for as long as the page stays open; a page loaded afresh starts
// from what its address carries (draftFromQuery).
const drafts = new Map();

const searchDelayMs = 250;

// Draws the step of the connect flow the URL names. Returns a cleanup function.
export async function renderConnect(main, ctx) {
  const connectionId = ctx.url.searchParams.get('connection');
  const draft = drafts.get(connectionId) ?? {
    destination: '', anyway: false, template: null, ...draftFromQuery(ctx.url.searchParams, ctx.catalogue),
  };
  drafts.set(connectionId, draft);
  const step = steps.some(([name]) => name === ctx.url.searchParams.get('step')) ? ctx.url.searchParams.get('step') : 'repository';
  const missing = needs[step].find((name) => !draft[name]);
  if (missing) {
    draft.why = missingWords[missing];
    ctx.navigate(stepHref(connectionId, missing, draft), { replace: true });
    return undefined;
  }
  ctx.setTitle('Connect a repository');
  const connections = (await api('GET', '/api/connections', undefined, { signal: ctx.signal })).body;
  const connection = connections.find((item) => item.id === connectionId);
  const head = [
    crumbs('Connect a repository'),
    h('h1', { tabindex: '-1' }, 'Connect a repository'),
  ];
  if (!connection) {
    fill(main, ...head, notice('error',
      'dispatch does not know this Bitbucket connection: it may have been forgotten, or the link is from another relay.',
      h('p', {}, h('a', { class: 'button primary', href: '/connect/bitbucket' }, 'Connect Bitbucket again'))));
    return undefined;
  }
  // A repository named by the address is checked once: one this account does not administer goes back to the
  // first step, which says so.
  if (draft.repository && !draft.repository.checked && connection.status === 'ok') {
    const name = draft.repository.full_name;
    const found = await findRepository(connection, name, ctx.signal);
    if (ctx.signal.aborted) return undefined;
    if (found) draft.repository = repositoryChoice(found);
    else if (found === null) {
      draft.repository = null;
      draft.why = `${name} is not among the repositories ${accountName(connection)} administers, so dispatch cannot add a webhook to it: choose one of these.`;
      if (step !== 'repository') {
        ctx.navigate(stepHref(connectionId, 'repository', draft), { replace: true });
        return undefined;
      }
    }
  }
  // Each step's summary follows the draft as the current step changes it, not only once it is left; so do
  // the address and the links to the other steps.
  const summaries = new Map(steps.map(([name]) => [name, h('span', { class: 'sub clip' })]));
  const summarise = () => {
    for (const [name, sub] of summaries) {
      sub.textContent = stepSummary(name, draft, ctx) ?? '';
      sub.hidden = sub.textContent === '';
    }
    ctx.setQuery(queryOf(draft));
    for (const link of main.querySelectorAll('a[data-step]')) link.href = stepHref(connectionId, link.dataset.step, draft);
  };
  summarise();
  const stepper = h('ol', { class: 'steps' },
    h('li', { class: 'done' }, h('span', { class: 'step-mark', 'aria-hidden': 'true' }, '✓'),
      h('span', {}, 'Authorised', h('span', { class: 'sub' }, accountName(connection)))),
    steps.map(([name, label], index) => {
      const current = name === step;
      const reachable = !needs[name].some((need) => !draft[need]);
      const done = index < steps.findIndex(([other]) => other === step);
      const content = [h('span', { class: 'step-mark', 'aria-hidden': 'true' }, done ? '✓' : String(index + 2)), h('span', {}, label, summaries.get(name))];
      return h('li', { class: `${current ? 'current' : ''} ${done ? 'done' : ''}`.trim(), 'aria-current': current ? 'step' : null },
        !current && reachable ? stepLink(connectionId, name, draft, content) : content);
    }));
  const body = h('section', { class: 'step card', 'aria-labelledby': 'step-title' });
  // Why this step and not the one the address named: said once.
  const why = draft.why ? notice('warn', draft.why) : null;
  draft.why = null;
  fill(main, ...head, connection.status === 'needs_reconnect' ? reconnectNotice(connection) : null, stepper, why, body);
  const render = { repository: stepRepository, events: stepEvents, destination: stepDestination, template: stepTemplate, review: stepReview }[step];
  const cleanup = render(body, { ctx, draft, connection, summarise, go: (name) => ctx.navigate(stepHref(connectionId, name, draft)) });
  summarise();
  return cleanup;
}

// What sends an address back to an earlier step, in words: the choice it lacks.
const missingWords = {
  repository: 'This address names no repository, so the steps after this one cannot be shown yet: choose one first.',
  destination: 'An address never holds the Discord webhook URL, since the URL holds the webhook\'s token: paste it again to carry on. '
    + 'The repository, events and filters came with the address; a template you wrote did not.',
};

// Returns the address of `step` for the connection: the choices of `draft` that an address may carry.
function stepHref(connectionId, step, draft) {
  const query = new URLSearchParams({ connection: connectionId });
  if (step !== 'repository') query.set('step', step);
  for (const [name, value] of Object.entries(queryOf(draft))) if (value) query.set(name, value);
  return `/sources?${query}`;
}

// Returns a link to another step; summarise() keeps its address current as the draft changes.
function stepLink(connectionId, step, draft, content, props = {}) {
  return navLink(stepHref(connectionId, step, draft), content, { ...props, 'data-step': step });
}

// Returns the choices of `draft` an address carries, as query parameters (null: left out): the repository, the
// events ("all", the chosen keys, or nothing for pushes only), each list of filters one pattern per line, and
// pull request threads. Never the destination, whose URL holds the webhook's token, nor the template.
function queryOf(draft) {
  const { mode, custom = [] } = draft.events;
  return {
    repository: draft.repository?.full_name ?? null,
    events: mode === 'custom' ? (custom.length ? custom.join(',') : 'custom') : mode === 'all' ? 'all' : null,
    ...Object.fromEntries(filterKinds.map(({ member }) => [member, draft.filters?.[member]?.join('\n') ?? null])),
    threads: draft.threads ?? null,
  };
}

// Returns the choices an address carries (queryOf's), as a draft has them; what it does not hold is the default.
// Event keys the catalogue does not have are dropped; the repository is checked later (findRepository).
function draftFromQuery(query, catalogue) {
  const known = new Set(catalogue.map(({ key }) => key));
  const events = query.get('events') ?? 'push';
  const repository = query.get('repository') ?? '';
  return {
    repository: /^[^/\s]+\/[^/\s]+$/.test(repository) ? { full_name: repository, checked: false } : null,
    events: events === 'all' ? { mode: 'all' } : events === 'push' ? { mode: 'push' }
      : { mode: 'custom', custom: events === 'custom' ? [] : events.split(',').filter((key) => known.has(key)) },
    filters: filtersFrom(Object.fromEntries(filterKinds.map(({ member }) => [member, query.get(member) ?? '']))),
    threads: query.get('threads') === 'pull_request' ? 'pull_request' : null,
  };
}

// The draft's repository, from one of the connection's repositories as the relay lists it.
const repositoryChoice = (repository) => ({
  full_name: repository.full_name, url: repository.url, is_private: repository.is_private, checked: true,
});

// Looks `fullName` up among the repositories `connection` administers, by the longest word of its slug (the
// search is on names, which may differ from the slug in case and spaces). Returns the repository, null when it
// is not there, or undefined when the relay could not say.
async function findRepository(connection, fullName, signal) {
  const base = `/api/connections/${encodeURIComponent(connection.id)}/repositories`;
  const word = fullName.split('/')[1].split(/[^A-Za-z0-9]+/).sort((a, b) => b.length - a.length)[0];
  const query = new URLSearchParams({ q: word });
  try {
    for (let pages = 0; pages < 20; pages += 1) {
      const { body: page } = await api('GET', `${base}?${query}`, undefined, { signal });
      const found = page.values.find((repository) => repository.full_name === fullName);
      if (found) return found;
      if (!page.next) return null;
      query.set('page', page.next);
    }
  } catch {
    // Not reachable, or the account needs reconnecting (the page says so): the relay checks when creating.
  }
  return undefined;
}

// The words under a step's name in the stepper: what the draft holds for it, or null.
function stepSummary(name, draft, ctx) {
  return {
    repository: draft.repository?.full_name,
    events: draft.repository ? [eventsInWords(draft.events, ctx.catalogue), draft.filters ? 'filtered' : null].filter(Boolean).join(' · ') : null,
    destination: draft.destination ? hostOf(draft.destination) : null,
    template: draft.destination ? (draft.template ? 'Own template' : 'Auto-formatted') : null,
  }[name] ?? null;
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}


function reconnectNotice(connection) {
  return notice('warn', h('p', {}, h('strong', {}, 'Bitbucket no longer accepts dispatch\'s access for this account. '),
    connection.reason ? `${sentence(connection.reason)} ` : '', 'Reconnect, then come back to this step.'),
  h('p', {}, h('a', { class: 'button primary', href: '/connect/bitbucket' }, 'Reconnect Bitbucket')));
}

// `back`: the link to the step before, or null.
function stepButtons(back, continueLabel = 'Continue') {
  return h('div', { class: 'form-actions' },
    back,
    h('button', { type: 'submit', class: 'primary' }, continueLabel));
}

// The repository step's parts: the search, the list of repositories with More below it, and the form.
function repositoryView(connection) {
  const search = h('input', { id: 'repo-search', type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: 'Type part of a name', 'aria-describedby': 'repo-search-hint', 'aria-controls': 'repo-list' });
  const list = h('ul', { id: 'repo-list', class: 'repo-list' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'More repositories');
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const error = h('div');
  const form = h('form', { class: 'step-form' },
    h('h2', { id: 'step-title' }, 'Choose a repository'),
    h('p', { class: 'hint', id: 'repo-search-hint' }, `The repositories ${accountName(connection)} administers: adding a webhook needs admin rights on the repository.`),
    h('div', { class: 'field' }, h('label', { for: 'repo-search' }, 'Search repositories'), search),
    h('fieldset', { class: 'repo-choices' }, h('legend', { class: 'visually-hidden' }, 'Repositories'), list),
    h('div', { class: 'more-row' }, more, status),
    error,
    stepButtons(null));
  return { search, list, more, status, error, form };
}

// How many repositories the list shows (`shown`, with more to come when `more`), for the search `q`.
function repositoryCount(shown, more, q) {
  if (shown === 0) {
    return q ? `No repository you administer matches “${q}”.` : 'This account administers no repository. Ask a workspace administrator for admin rights, or connect another account.';
  }
  return `${shown} ${shown === 1 ? 'repository' : 'repositories'}${more ? ' shown; there are more' : ''}${q ? ` matching “${q}”` : ''}.`;
}

// One repository of the list, as a choice; `chosen` when the draft holds it.
function repositoryOption(repository, chosen) {
  return h('li', { dataset: { repo: repository.full_name } },
    h('label', { class: 'repo-option' },
      h('input', { type: 'radio', name: 'repository', value: repository.full_name, checked: chosen }),
      h('span', { class: 'repo-text' },
        h('span', { class: 'repo-name' }, h('span', { class: 'muted' }, `${repository.workspace}/`), repository.name),
        h('span', { class: 'repo-meta' }, repository.is_private ? h('span', { class: 'badge private' }, 'Private') : h('span', { class: 'badge public' }, 'Public')))));
}

// The next page of repositories at `base` for `query` (which it moves on) that has any, or the last page.
async function repositoryPage(base, query, signal) {
  let { body: page } = await api('GET', `${base}?${query}`, undefined, { signal });
  // The relay pages workspace by workspace: a page may come back empty with more after it.
  for (let hops = 0; page.values.length === 0 && page.next && hops < 20; hops += 1) {
    query.set('page', page.next);
    ({ body: page } = await api('GET', `${base}?${query}`, undefined, { signal }));
  }
  return page;
}

// The repository step: search (as typed, or at once with Enter), page through with More, choose one. A little
// over 80 lines: its handlers share the search's state (the next page, the request in flight, the timer).
function stepRepository(body, { ctx, draft, connection, summarise, go }) {
  const base = `/api/connections/${encodeURIComponent(connection.id)}/repositories`;
  const { search, list, more, status, error, form } = repositoryView(connection);

  let taken = new Set();
  apiAll('/api/endpoints', { signal: ctx.signal }).then(({ body: endpoints }) => {
    taken = new Set(endpoints.filter((item) => item.source && item.active !== false).map((item) => item.source.repository));
    for (const item of list.querySelectorAll('[data-repo]')) markTaken(item);
  }).catch(() => {});
  const markTaken = (item) => {
    if (taken.has(item.dataset.repo) && !item.querySelector('.taken')) item.querySelector('.repo-meta').append(h('span', { class: 'badge taken' }, 'Already a source'));
  };

  let next = null;
  let controller = null;
  let timer = null;
  let shown = 0;
  async function load({ append }) {
    controller?.abort();
    controller = new AbortController();
    const query = new URLSearchParams({ q: search.value.trim() });
    if (append && next) query.set('page', next);
    status.textContent = append ? 'Loading more…' : 'Searching…';
    more.disabled = true;
    error.replaceChildren();
    try {
      const page = await repositoryPage(base, query, controller.signal);
      if (!append) {
        list.replaceChildren();
        shown = 0;
      }
      for (const repository of page.values) list.append(option(repository));
      shown += page.values.length;
      next = page.next ?? null;
      more.hidden = !next;
      more.disabled = false;
      status.textContent = repositoryCount(shown, Boolean(next), search.value.trim());
      if (draft.repository) {
        const chosen = list.querySelector(`input[value="${CSS.escape(draft.repository.full_name)}"]`);
        if (chosen) chosen.checked = true;
      }
    } catch (failure) {
      if (failure.name === 'AbortError') return;
      status.textContent = '';
      more.disabled = false;
      if (failure.code === 'connection_needs_reconnect') error.replaceChildren(reconnectNotice({ ...connection, reason: failure.reason }));
      else ctx.fail(failure, error);
    }
  }
  function option(repository) {
    const item = repositoryOption(repository, draft.repository?.full_name === repository.full_name);
    item.querySelector('input').addEventListener('change', () => {
      draft.repository = repositoryChoice(repository);
      summarise();
    });
    markTaken(item);
    return item;
  }
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => load({ append: false }), searchDelayMs);
  });
  search.addEventListener('keydown', (event) => {
    // Enter searches at once instead of submitting the step.
    if (event.key !== 'Enter') return;
    event.preventDefault();
    clearTimeout(timer);
    load({ append: false });
  });
  more.addEventListener('click', () => load({ append: true }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // The repository an address named need not be on the page of the list shown.
    if (!draft.repository) {
      error.replaceChildren(notice('error', 'Choose a repository first.'));
      (list.querySelector('input') ?? search).focus();
      return;
    }
    go('events');
  });
  body.replaceChildren(form);
  load({ append: false });
  return () => {
    clearTimeout(timer);
    controller?.abort();
  };
}

function stepEvents(body, { ctx, draft, connection, summarise, go }) {
  const error = h('div');
  const { fields } = endpointForm({
    catalogue: ctx.catalogue, parts: ['events', 'filters', 'threads'], initial: draft,
    onChange: (part) => {
      // The step's notice is about the filters alone: it goes once they change.
      if (part === 'filters') error.replaceChildren();
      draft[part] = fields[part].value();
      summarise();
    },
  });
  const { events: picker, filters, threads } = fields;
  const form = h('form', { class: 'step-form', novalidate: true },
    h('h2', { id: 'step-title' }, `Which events of ${draft.repository.full_name}?`),
    h('p', { class: 'hint' }, 'dispatch asks Bitbucket for these events only, and posts one Discord message for each. You can change them later.'),
    picker.element,
    filters.element,
    threads.element,
    error,
    stepButtons(stepLink(connection.id, 'repository', draft, 'Back', { class: 'button secondary' })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (picker.fault()) {
      picker.showFault();
      picker.focus();
      return;
    }
    if (showFirstFault([filters], error)) return;
    draft.events = picker.value();
    draft.filters = filters.value();
    draft.threads = threads.value();
    go('destination');
  });
  body.replaceChildren(form);
  // What was typed stays when the user leaves the step by its links.
  return () => {
    draft.filters = filters.value();
    draft.threads = threads.value();
  };
}

function stepDestination(body, { ctx, draft, connection, go }) {
  const field = endpointForm({ catalogue: ctx.catalogue, parts: ['destination'], local: ctx.session.local_destinations === true }).fields.destination;
  const input = field.element.querySelector('input[type="url"]');
  input.value = draft.destination || draft.typed || '';
  const anyway = field.element.querySelector('.anyway input');
  input.addEventListener('input', () => { draft.typed = input.value; });
  const form = h('form', { class: 'step-form', novalidate: true },
    h('h2', { id: 'step-title' }, 'Where should the messages go?'),
    h('p', { class: 'hint' }, 'A Discord channel\'s webhook: every event becomes a message there.'),
    field.element,
    stepButtons(stepLink(connection.id, 'events', draft, 'Back', { class: 'button secondary' })));
  if (input.value) {
    input.dispatchEvent(new Event('input'));
    if (draft.anyway) {
      anyway.checked = true;
      anyway.dispatchEvent(new Event('change'));
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const fault = field.fault();
    if (fault) {
      field.showFault();
      field.focus();
      return;
    }
    draft.destination = field.value();
    draft.anyway = anyway.checked;
    go('template');
  });
  body.replaceChildren(form);
  input.focus();
}

function stepTemplate(body, { ctx, draft, connection, go }) {
  const field = endpointForm({ catalogue: ctx.catalogue, parts: ['template'], initial: draft, events: () => draft.events }).fields.template;
  const form = h('form', { class: 'step-form' },
    h('h2', { id: 'step-title' }, 'How should the messages look?'),
    h('p', { class: 'hint' }, 'Optional. The auto-formatted embeds suit most teams; the drawing shows a sample as Discord will show it.'),
    field.element,
    stepButtons(stepLink(connection.id, 'destination', draft, 'Back', { class: 'button secondary' })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (field.fault()) {
      field.focus();
      return;
    }
    draft.template = field.value();
    go('review');
  });
  body.replaceChildren(form);
  return () => { draft.template = field.value(); };
}

// Bitbucket's refusals, in words, each with what to do about it.
const refusals = {
  bitbucket_not_admin: (repo) => [`You are not an administrator of ${repo}.`, 'Bitbucket lets only a repository\'s administrators add webhooks. Ask an administrator to connect it, or choose another repository.', 'repository'],
  bitbucket_scope_missing: (repo, body) => [`dispatch's OAuth consumer lacks a permission${body.required?.length ? `: ${body.required.join(', ')}` : ''}.`,
    'In Bitbucket, open the workspace\'s settings → OAuth consumers, edit dispatch\'s consumer and tick the missing permission (Webhooks: Read and write; Repositories: Admin), save, then reconnect so Bitbucket asks you to grant it.', 'reconnect'],
  bitbucket_repository_not_found: (repo) => [`Bitbucket cannot find ${repo}.`, 'It was renamed, moved or deleted, or this account lost access to it. Search for it again.', 'repository'],
  bitbucket_hook_limit: (repo) => [`${repo} already has 50 webhooks, Bitbucket's limit.`, 'Remove a webhook it no longer needs (Repository settings → Webhooks), then create again.', 'retry'],
  bitbucket_rate_limited: (repo, body) => ['Bitbucket is limiting dispatch\'s requests for now.',
    `Bitbucket counts one hour of requests for every user of the consumer together. Try again ${body.retry_after ? `in ${Math.ceil(body.retry_after / 60)} minutes` : 'later'}.`, 'retry'],
  bitbucket_unavailable: () => ['Bitbucket did not answer.', 'Nothing was created. Try again in a few minutes; status.atlassian.com says whether Bitbucket is having trouble.', 'retry'],
  connection_needs_reconnect: () => ['Bitbucket no longer accepts dispatch\'s access for this account.', 'Reconnect: Bitbucket asks you to authorise dispatch again and brings you back here.', 'reconnect'],
  bitbucket_refused: () => ['Bitbucket refused to add the webhook.', 'Read Bitbucket\'s reason below; fix it in Bitbucket, then create again.', 'retry'],
};

// Returns a notice for a refused creation or change: Bitbucket's refusal in words with what to do, or the
// field at fault with a way back to its step when `hrefOf(step)` can link one.
export function refusalNotice(error, repository, hrefOf) {
  const words = refusals[error.code];
  if (words) {
    const [title, action, next] = words(repository, error.body);
    return notice('error',
      h('p', {}, h('strong', {}, title)),
      error.reason ? h('p', { class: 'muted' }, sentence(error.reason)) : null,
      h('p', {}, h('strong', {}, 'What to do: '), error.body.action ?? action),
      next === 'reconnect' ? h('p', {}, h('a', { class: 'button', href: '/connect/bitbucket' }, 'Reconnect Bitbucket')) : null,
      next === 'repository' && hrefOf ? h('p', {}, navLink(hrefOf('repository'), 'Choose another repository', { class: 'button' })) : null);
  }
  const step = {
    destination_url: 'destination', template: 'template', templates: 'template', events: 'events', filters: 'events', threads: 'events',
  }[error.body.field?.split('.')[0]];
  if (step && hrefOf) {
    const where = error.body.line ? ` (line ${error.body.line}, column ${error.body.column})` : '';
    return notice('error', h('p', {}, `${error.reason}${where}.`), h('p', {}, navLink(hrefOf(step), `Change the ${step === 'destination' ? 'destination' : step}`, { class: 'button' })));
  }
  return describeError(error);
}

function stepReview(body, { ctx, draft, connection }) {
  const result = h('div', { class: 'create-result' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create source');
  const summary = h('dl', { class: 'summary' },
    h('dt', {}, 'Repository'), h('dd', {}, draft.repository.url ? externalLink(draft.repository.url, draft.repository.full_name) : draft.repository.full_name),
    h('dt', {}, 'Events'), h('dd', {}, eventsInWords(draft.events, ctx.catalogue)),
    h('dt', {}, 'Filters'), h('dd', {}, filtersInWords(draft.filters) ?? 'None: every branch, tag and actor passes'),
    h('dt', {}, 'Pull requests'), h('dd', {}, draft.threads ? 'One live thread each' : 'Each event is its own message'),
    h('dt', {}, 'Destination'), h('dd', {}, h('code', { class: 'destination' }, maskedForReview(draft.destination))),
    h('dt', {}, 'Message'), h('dd', {}, draft.template ? `Own template (${draft.template.split('\n').length} lines)` : 'Auto-formatted embeds'));
  const form = h('form', { class: 'step-form' },
    h('h2', { id: 'step-title' }, 'Create the source'),
    h('p', { class: 'hint' }, `dispatch creates a webhook in ${draft.repository.full_name} with a fresh secret, then relays what Bitbucket sends to it.`),
    summary, result,
    h('div', { class: 'form-actions' }, stepLink(connection.id, 'template', draft, 'Back', { class: 'button secondary' }), create));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    create.disabled = true;
    create.textContent = 'Creating…';
    result.replaceChildren(notice('info', `Adding the webhook to ${draft.repository.full_name} in Bitbucket…`));
    const request = {
      name: draft.repository.full_name,
      destination_url: draft.destination,
      events: draft.events,
      source: { connection: connection.id, repository: draft.repository.full_name },
    };
    if (draft.template) request.template = draft.template;
    if (draft.filters) request.filters = draft.filters;
    if (draft.threads) request.threads = draft.threads;
    try {
      const { body: created } = await api('POST', '/api/endpoints', request);
      drafts.delete(connection.id);
      ctx.setFlash({ kind: 'created', endpoint: created });
      ctx.navigate(`/sources?endpoint=${encodeURIComponent(created.id)}`, { replace: true });
    } catch (error) {
      create.disabled = false;
      create.textContent = 'Create source';
      if (error.status === 401) return ctx.fail(error);
      result.replaceChildren(refusalNotice(error, draft.repository.full_name, (step) => stepHref(connection.id, step, draft)));
      result.querySelector('.notice')?.focus?.();
    }
    return undefined;
  });
  body.replaceChildren(form);
}

// The review shows where messages go without the webhook's token, as the relay will.
function maskedForReview(url) {
  try {
    const parsed = new URL(url);
    const parts = parsed.pathname.split('/');
    if (parts.length > 1 && parts.at(-1).length > 8) parts[parts.length - 1] = `${parts.at(-1).slice(0, 4)}…`;
    return `${parsed.origin}${parts.join('/')}`;
  } catch {
    return url;
  }
}

// How to create the OAuth consumer that Connect Bitbucket needs; and the hand-made way instead.
export async function renderSetup(main, ctx) {
  ctx.setTitle('Set up Connect Bitbucket');
  const bitbucket = ctx.session.bitbucket ?? {};
  const callback = bitbucket.callback_url ?? oauthCallbackUrl(location.origin);
  const ready = bitbucket.configured === true;
  fill(main, 
    crumbs('Set up Connect Bitbucket'),
    h('h1', { tabindex: '-1' }, ready ? 'Connect Bitbucket is set up' : 'Connect Bitbucket: first, an OAuth consumer'),
    ready ? notice('ok', h('p', {}, 'This relay has its OAuth consumer. ', h('a', { href: '/connect/bitbucket' }, 'Connect Bitbucket'), '.')) : null,
    h('section', { class: 'card setup' },
      h('p', {}, 'dispatch adds and removes webhooks for you through a Bitbucket OAuth consumer that your workspace owns. Creating it takes two minutes:'),
      h('ol', { class: 'how' },
        h('li', {}, 'In Bitbucket, open your workspace, then ', h('strong', {}, 'Settings → OAuth consumers → Add consumer'), '.'),
        h('li', {}, 'Name it ', h('code', {}, 'dispatch'), '. Callback URL: ', copyable(callback, 'callback URL'),
          h('p', { class: 'hint' }, 'Bitbucket sends people back only to this address, so it must match exactly.')),
        h('li', {}, 'Tick these permissions, then Save:',
          h('ul', { class: 'permissions' },
            h('li', {}, h('strong', {}, 'Account'), ': Read'),
            h('li', {}, h('strong', {}, 'Repositories'), ': Read'),
            h('li', {}, h('strong', {}, 'Pull requests'), ': Read'),
            h('li', {}, h('strong', {}, 'Issues'), ': Read'),
            h('li', {}, h('strong', {}, 'Webhooks'), ': Read and write'))),
        h('li', {}, 'Bitbucket shows the consumer\'s ', h('strong', {}, 'Key'), ' and ', h('strong', {}, 'Secret'), '. Give them to the relay as secrets:',
          h('pre', { class: 'commands' }, 'npx wrangler secret put BITBUCKET_CLIENT_ID       # paste the Key\nnpx wrangler secret put BITBUCKET_CLIENT_SECRET   # paste the Secret'),
          h('p', { class: 'hint' }, 'Running locally, start script/server with BITBUCKET_CLIENT_ID=… and BITBUCKET_CLIENT_SECRET=… in its environment (it writes them to .dev.vars for wrangler), and PUBLIC_BASE_URL set to an address Bitbucket can reach. The relay also needs SECRETS_KEY (32 random bytes in base64, from openssl rand -base64 32): it encrypts the tokens and webhook secrets it keeps; script/server makes one.')),
        h('li', {}, 'Reload this page: Connect Bitbucket then leads to Bitbucket\'s consent page.'))),
    h('section', { class: 'card alternative', 'aria-labelledby': 'manual-title' },
      h('h2', { id: 'manual-title' }, 'Or add an endpoint by hand'),
      h('p', {}, 'No consumer needed: dispatch gives you a webhook URL and a secret, and you add the webhook in the repository\'s settings yourself. dispatch cannot remove it for you later.'),
      navLink('/sources?new=manual', 'Add an endpoint by hand', { class: 'button' })));
  ctx.rendered('setup');
}

// An endpoint made by hand: its settings, then its hook URL and secret (shown once) and the steps to
// paste them into Bitbucket.
export async function renderManual(main, ctx) {
  ctx.setTitle('Add an endpoint by hand');
  const endpoint = endpointForm({
    catalogue: ctx.catalogue, parts: ['name', 'events', 'filters', 'threads', 'destination', 'template'],
    local: ctx.session.local_destinations === true,
    name: { id: 'manual-name', required: true, placeholder: 'workspace/repository', hint: 'What the list shows: the repository\'s name is a good choice.' },
  });
  const { fields } = endpoint;
  const result = h('div');
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create endpoint');
  const form = h('form', { class: 'step-form card', novalidate: true },
    fields.name.element, fields.events.element, fields.filters.element, fields.threads.element, fields.destination.element,
    fields.template.element, result,
    h('div', { class: 'form-actions' }, navLink('/sources', 'Cancel', { class: 'button secondary' }), create));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    if (endpoint.firstFault(result)) return;
    const request = endpoint.createRequest();
    create.disabled = true;
    try {
      const { body: created } = await api('POST', '/api/endpoints', request);
      ctx.setFlash({ kind: 'created', endpoint: created });
      ctx.navigate(`/sources?endpoint=${encodeURIComponent(created.id)}`, { replace: true });
    } catch (error) {
      create.disabled = false;
      if (error.status === 401) return ctx.fail(error);
      endpoint.markFault(error.body);
      result.replaceChildren(describeError(error));
    }
    return undefined;
  });
  fill(main, 
    crumbs('Add by hand'),
    h('h1', { tabindex: '-1' }, 'Add an endpoint by hand'),
    h('p', { class: 'lede' }, 'dispatch makes a webhook URL and a secret; you add the webhook in Bitbucket yourself. Use this when Connect Bitbucket is not set up, or for a repository you cannot administer through it.'),
    form);
  fields.name.focus();
  ctx.rendered('manual');
}
