// The list of every source and hand-made endpoint: repository, events in words, destination (masked as the
// relay gives it), state and last delivery; the Bitbucket accounts connected; and an empty state that says
// what to do first.

import { connectErrorMessage } from '/connect-errors.mjs';
import { api, apiAll } from '/sources-api.mjs';
import {
  accountName, confirmDialog, eventsInWords, externalLink, fill, h, navLink, notice, sentence, stateBadge, statusIcon,
  statusWord, timeElement,
} from '/sources-dom.mjs';

const stateOrder = { needs_reconnect: 0, destination_broken: 1, active: 2, disconnected: 3 };

// Draws the list into `main`. Returns nothing to clean up.
export async function renderList(main, ctx) {
  ctx.setTitle('Sources');
  const [endpointsAnswer, connectionsAnswer] = await Promise.all([
    ctx.takeEarly('endpoints').then((early) => early ?? apiAll('/api/endpoints', { signal: ctx.signal })),
    api('GET', '/api/connections', undefined, { signal: ctx.signal }).catch((error) => error),
  ]);
  const endpoints = endpointsAnswer.body;
  const connections = connectionsAnswer instanceof Error ? [] : connectionsAnswer.body;
  const configured = ctx.session.bitbucket?.configured === true;

  const connect = configured
    ? h('a', { class: 'button primary', href: '/connect/bitbucket' }, 'Connect Bitbucket')
    : navLink('/sources?setup=bitbucket', 'Connect Bitbucket', { class: 'button primary' });
  const head = h('div', { class: 'page-head' },
    h('div', {},
      h('h1', { tabindex: '-1' }, 'Sources'),
      h('p', { class: 'lede' }, 'The Bitbucket repositories dispatch posts to Discord, and what each delivered last.')),
    h('div', { class: 'actions' }, connect, navLink('/sources?new=manual', 'Add by hand', { class: 'button' })));

  const banners = [];
  if (ctx.url.searchParams.has('connect_error')) {
    const { tone, text } = connectErrorMessage(ctx.url.searchParams.get('connect_error'));
    banners.push(notice(tone, text));
  }
  for (const connection of connections.filter((item) => item.status === 'needs_reconnect')) {
    banners.push(notice('warn',
      h('p', {}, h('strong', {}, `Bitbucket no longer accepts dispatch's access for ${accountName(connection)}. `),
        sentence(connection.reason ?? 'The authorisation was revoked or expired'),
        connection.sources > 0
          ? ' Its sources still receive events, but dispatch cannot change or remove their webhooks until you reconnect.'
          : ' Reconnect to add repositories through this account again.'),
      h('p', {}, h('a', { class: 'button primary', href: '/connect/bitbucket' }, 'Reconnect Bitbucket'))));
  }
  if (!configured && endpoints.length > 0) {
    banners.push(notice('info', h('p', {}, 'Connect Bitbucket needs an OAuth consumer first. ',
      navLink('/sources?setup=bitbucket', 'How to create it'), ' — or keep adding endpoints by hand.')));
  }

  const parts = [head, ...banners];
  if (endpoints.length === 0) parts.push(emptyState(configured));
  else parts.push(sourceTable(endpoints, ctx));
  if (connections.length) parts.push(connectionList(connections, ctx));
  fill(main, ...parts);
  ctx.rendered('list');
}

function emptyState(configured) {
  const first = configured
    ? h('a', { class: 'button primary', href: '/connect/bitbucket' }, 'Connect Bitbucket')
    : navLink('/sources?setup=bitbucket', 'Set up Connect Bitbucket', { class: 'button primary' });
  return h('section', { class: 'empty card', 'aria-labelledby': 'empty-title' },
    h('h2', { id: 'empty-title' }, 'No sources yet'),
    h('p', {}, 'A source is a Bitbucket repository whose events arrive in a Discord channel. Connecting one takes a minute:'),
    h('ol', { class: 'how' },
      h('li', {}, configured ? 'Connect Bitbucket and allow dispatch to manage webhooks.' : 'Create a Bitbucket OAuth consumer for dispatch (the next page shows how), then connect.'),
      h('li', {}, 'Pick a repository and the events you want: pushes only, everything, or your own list.'),
      h('li', {}, 'Paste the Discord channel\'s webhook URL. dispatch adds the webhook in Bitbucket for you.')),
    h('div', { class: 'actions' }, first),
    h('p', { class: 'muted' }, 'Or ', navLink('/sources?new=manual', 'add an endpoint by hand'), ': you paste its URL and secret into the repository\'s webhook settings yourself.'));
}

function sourceTable(endpoints, ctx) {
  const sorted = [...endpoints].sort((a, b) => (stateOrder[a.state] ?? 2) - (stateOrder[b.state] ?? 2));
  const rows = sorted.map((endpoint) => sourceRow(endpoint, ctx));
  const body = h('tbody', {}, rows);
  const count = h('p', { class: 'muted count', 'aria-live': 'polite' }, countWords(endpoints.length, endpoints.length));
  const filter = h('input', { id: 'source-filter', type: 'search', placeholder: 'Repository, name or destination', autocomplete: 'off' });
  filter.addEventListener('input', () => {
    const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      const match = words.every((word) => row.dataset.search.includes(word));
      row.hidden = !match;
      if (match) shown += 1;
    }
    count.textContent = countWords(shown, rows.length);
  });
  const tools = h('div', { class: 'list-tools' },
    endpoints.length > 6 ? h('div', { class: 'filter' }, h('label', { for: 'source-filter' }, 'Filter sources'), filter) : null,
    count);
  return h('section', { class: 'sources', 'aria-label': 'Sources' }, tools,
    h('table', { class: 'source-table' },
      h('thead', {}, h('tr', {},
        ['Source', 'Events', 'Destination', 'State', 'Last delivery'].map((name) => h('th', { scope: 'col' }, name)))),
      body));
}

function countWords(shown, total) {
  const noun = total === 1 ? 'source' : 'sources';
  return shown === total ? `${total} ${noun}` : `${shown} of ${total} ${noun}`;
}

function sourceRow(endpoint, ctx) {
  const page = `/sources?endpoint=${encodeURIComponent(endpoint.id)}`;
  const source = endpoint.source;
  const where = source
    ? h('div', { class: 'sub' }, 'Bitbucket · ', source.repository_url ? externalLink(source.repository_url, source.repository) : source.repository)
    : h('div', { class: 'sub' }, 'Hand-made endpoint');
  const events = eventsInWords(endpoint.events, ctx.catalogue);
  const last = endpoint.last_delivery;
  const lastCell = last
    ? h('div', { class: 'last' },
      h('div', {}, statusIcon(last.status), ' ',
        navLink(`${page}&delivery=${encodeURIComponent(last.id)}`, statusWord(last.status), { class: 'strong' }),
        last.code && !['accepted', 'event_not_selected'].includes(last.code) ? h('code', { class: 'code' }, ` ${last.code}`) : null,
        ' · ', timeElement(last.received_at)),
      h('div', { class: 'sub clip', title: last.title ?? last.event }, last.title ?? last.event))
    : h('span', { class: 'muted' }, 'Nothing yet');
  const row = h('tr', { class: `source-row row-${endpoint.state}`, dataset: { id: endpoint.id } },
    h('td', { 'data-label': 'Source' }, navLink(page, endpoint.name || source?.repository || endpoint.id, { class: 'row-title' }), where),
    h('td', { 'data-label': 'Events' }, h('span', { class: 'clip-2', title: events }, events)),
    h('td', { 'data-label': 'Destination' }, h('code', { class: 'destination', title: endpoint.destination_url }, endpoint.destination_url)),
    h('td', { 'data-label': 'State' }, stateBadge(endpoint.state)),
    h('td', { 'data-label': 'Last delivery' }, lastCell));
  row.dataset.search = [endpoint.name, source?.repository, endpoint.destination_url, events, endpoint.state].join(' ').toLowerCase();
  return row;
}


function connectionList(connections, ctx) {
  const items = connections.map((connection) => {
    const message = h('div', { class: 'connection-message' });
    const forget = h('button', { type: 'button', class: 'secondary small' }, 'Forget');
    forget.addEventListener('click', async () => {
      const sure = await confirmDialog({
        title: `Forget ${accountName(connection)}?`,
        body: 'dispatch deletes this account\'s Bitbucket tokens. Sources already disconnected keep their delivery log. You can connect the account again later.',
        confirm: 'Forget account',
      });
      if (!sure) return;
      try {
        await api('DELETE', `/api/connections/${encodeURIComponent(connection.id)}`);
        ctx.navigate(location.href, { replace: true });
      } catch (error) {
        if (error.code === 'connection_in_use') {
          message.replaceChildren(notice('warn', 'Sources still use this account: disconnect them first (open each one, then Disconnect).'));
        } else ctx.fail(error, message);
      }
    });
    const actions = connection.status === 'ok'
      ? [navLink(`/sources?connection=${encodeURIComponent(connection.id)}`, 'Add a repository', { class: 'button small' }), forget]
      : [h('a', { class: 'button small', href: '/connect/bitbucket' }, 'Reconnect'), forget];
    return h('li', { class: 'connection' },
      h('div', {}, h('strong', {}, accountName(connection)), ' ',
        h('span', { class: `badge ${connection.status === 'ok' ? 'state-active' : 'state-needs_reconnect'}` }, connection.status === 'ok' ? 'Connected' : 'Needs reconnect'),
        h('div', { class: 'sub' }, `${connection.sources ?? 0} active ${connection.sources === 1 ? 'source' : 'sources'} · connected `, timeElement(connection.created_at))),
      h('div', { class: 'actions' }, actions), message);
  });
  return h('section', { class: 'connections', 'aria-labelledby': 'connections-title' },
    h('h2', { id: 'connections-title' }, 'Bitbucket accounts'),
    h('ul', { class: 'connection-list' }, items));
}
