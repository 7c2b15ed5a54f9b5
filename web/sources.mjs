// The Sources page's shell: the session (sign in, sign out, sign out everywhere), the URL → view routing that keeps every view
// shareable and the Back button working, and the context each view gets. The views live in their own
// modules, loaded when first shown, so the list paints without the editor, the drawing or the wasm core.
//
//   /sources                              the list (…&connect_error=access_denied after a refusal)
//   /sources?connection={id}&step=…       connect a repository through that Bitbucket connection
//   /sources?new=manual                   an endpoint made by hand
//   /sources?setup=bitbucket              how to create the OAuth consumer
//   /sources?endpoint={id}[&tab=settings][&delivery={id}][&status=…][&event=…]   a source's page

import { ApiError, api, apiAll, isSignedOut, useCsrf } from '/sources-api.mjs';
import { confirmDialog, describeError, exactTime, h, notice, refreshTimes, sentence } from '/sources-dom.mjs';
import { siteHeader } from '/site-header.mjs';
import { renderList } from '/sources-list.mjs';

const main = document.getElementById('main');
// The session's part of the shared header: when it ends, and the two ways to sign out.
const signOut = h('button', { type: 'button', id: 'sign-out', class: 'secondary' }, 'Sign out');
const signOutEverywhere = h('button', { type: 'button', id: 'sign-out-everywhere', class: 'secondary' }, 'Sign out everywhere');
const account = h('div', { class: 'account', id: 'account', hidden: true },
  h('span', { id: 'session-note', class: 'muted' }), signOut, signOutEverywhere);
siteHeader(document.getElementById('app-bar'), '/sources').append(account);

const timings = { listRenderedMs: null, logRenderedMs: null, sourceRenderedMs: null };
window.dispatchSources = timings;

let session = null;
let catalogue = null;
/** @type {{controller: AbortController, cleanup?: any} | null} */
let view = null;
let flash = null; // one-shot data handed from one view to the next (a secret shown once)
let firstView = true;

function routeOf(url) {
  const query = url.searchParams;
  if (query.has('endpoint')) return 'source';
  if (query.has('connection')) return 'connect';
  if (query.get('new') === 'manual') return 'manual';
  if (query.get('setup') === 'bitbucket') return 'setup';
  return 'list';
}

// Started at once, beside the session, so the list needs no second round trip.
const early = {
  session: api('GET', '/api/session').catch((error) => error),
  events: api('GET', '/api/events').catch((error) => error),
  endpoints: routeOf(new URL(location.href)) === 'list' ? apiAll('/api/endpoints').catch((error) => error) : null,
};

const routes = {
  list: async () => ({ render: renderList }),
  source: async () => ({ render: (await import('/sources-source.mjs')).renderSource }),
  connect: async () => ({ render: (await import('/sources-connect.mjs')).renderConnect }),
  manual: async () => ({ render: (await import('/sources-connect.mjs')).renderManual }),
  setup: async () => ({ render: (await import('/sources-connect.mjs')).renderSetup }),
};

// Changes the URL (a new history entry unless `replace`) and shows its view.
function navigate(href, { replace = false, state = null } = {}) {
  const url = new URL(href, location.href);
  if (replace) history.replaceState(state, '', url);
  else history.pushState(state, '', url);
  show();
}

// Rewrites the current URL's query without showing another view (an opened delivery, a filter).
function setQuery(changes) {
  const url = new URL(location.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  history.replaceState(history.state, '', url);
}

async function loadCatalogue() {
  if (catalogue) return catalogue;
  const answer = await takeEarly('events') ?? await api('GET', '/api/events');
  catalogue = answer.body;
  return catalogue;
}

// Returns the answer of a call started at load when it succeeded (it may have gone out before sign-in),
// otherwise null; either way it is used once.
async function takeEarly(name) {
  const pending = early[name];
  early[name] = null;
  const answer = await pending;
  return answer && !(answer instanceof Error) ? answer : null;
}

async function show() {
  view?.controller.abort();
  view?.cleanup?.();
  const controller = new AbortController();
  view = { controller };
  const url = new URL(location.href);
  const route = routeOf(url);
  const focusHeading = !firstView;
  firstView = false;
  try {
    const [{ render }] = await Promise.all([routes[route](), loadCatalogue()]);
    if (controller.signal.aborted) return;
    view.cleanup = await render(main, context(controller, url));
    if (focusHeading && !controller.signal.aborted) main.querySelector('h1')?.focus();
  } catch (error) {
    if (controller.signal.aborted || error.name === 'AbortError') return;
    if (isSignedOut(error)) return showSignIn({ expired: true });
    main.replaceChildren(h('h1', { tabindex: '-1' }, 'Something went wrong'), describeError(error));
  }
}

function context(controller, url) {
  return {
    url,
    session,
    catalogue,
    signal: controller.signal,
    navigate,
    setQuery,
    takeFlash: () => {
      const value = flash;
      flash = null;
      return value;
    },
    setFlash: (value) => { flash = value; },
    setTitle: (text) => { document.title = `${text} · dispatch`; },
    // Shows an error where it happened; a lost session goes back to the sign-in form instead.
    fail: (error, where) => {
      if (error?.name === 'AbortError') return;
      if (isSignedOut(error)) {
        showSignIn({ expired: true });
        return;
      }
      if (where) where.replaceChildren(describeError(error));
      else console.warn(error);
    },
    takeEarly,
    rendered: (name) => {
      const key = `${name}RenderedMs`;
      if (timings[key] === null) timings[key] = performance.now();
      document.documentElement.dataset.view = name;
    },
  };
}

function showSignedIn() {
  account.hidden = false;
  const until = new Date(session?.expires_at ?? '');
  const sameDay = until.toDateString() === new Date().toDateString();
  const when = Number.isNaN(until.getTime()) ? null
    : until.toLocaleString([], sameDay ? { hour: 'numeric', minute: '2-digit' } : { weekday: 'short', hour: 'numeric', minute: '2-digit' });
  const note = document.getElementById('session-note');
  note.textContent = when ? `Signed in until ${when}` : 'Signed in';
  if (when) note.title = `The session ends ${exactTime(session.expires_at)}; sign in again then.`;
}

// `revoked`: the number of sessions "Sign out everywhere" ended, to say so.
function showSignIn({ expired = false, signedOut = false, revoked = null, retryUntil = 0 } = {}) {
  view?.controller.abort();
  view?.cleanup?.();
  view = null;
  session = null;
  useCsrf(null);
  account.hidden = true;
  document.title = 'Sign in · dispatch';
  const input = h('input', { id: 'admin-token', type: 'password', name: 'token', autocomplete: 'current-password', required: true, spellcheck: 'false', 'aria-describedby': 'admin-token-hint' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const message = h('div', { class: 'signin-message' });
  if (expired) message.append(notice('info', 'Your session has ended. Sign in again to carry on where you were.'));
  if (signedOut) message.append(notice('ok', 'You are signed out.'));
  if (revoked !== null) {
    const ended = revoked === 1 ? '1 session was ended' : `${revoked} sessions were ended`;
    message.append(notice('ok', `You are signed out everywhere: ${ended}, this browser's included.`,
      'Every browser has to sign in again. Scripts that use the admin token still work.'));
  }
  let timer = null;
  const wait = (until) => {
    clearInterval(timer);
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(timer);
        button.disabled = false;
        button.textContent = 'Sign in';
        return;
      }
      button.disabled = true;
      button.textContent = `Sign in (wait ${left} s)`;
    };
    tick();
    timer = setInterval(tick, 1000);
  };
  const form = h('form', { class: 'signin-form', novalidate: true },
    h('label', { for: 'admin-token' }, 'Admin token'),
    input,
    h('p', { id: 'admin-token-hint', class: 'hint' },
      'The relay\'s ADMIN_TOKEN. Locally, script/server prints it (it is in .dev.vars); in production it is the secret you set with ',
      h('code', {}, 'wrangler secret put ADMIN_TOKEN'), '.'),
    message,
    button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (input.value.trim() === '') {
      message.replaceChildren(notice('error', 'Enter the admin token.'));
      input.focus();
      return;
    }
    button.disabled = true;
    message.replaceChildren();
    try {
      const answer = await api('POST', '/api/session', { token: input.value.trim() });
      useCsrf(answer.body.csrf);
      clearInterval(timer);
      await startSession();
    } catch (error) {
      button.disabled = false;
      message.replaceChildren(signInError(error));
      if (error.code === 'too_many_attempts') wait(Date.now() + retryAfter(error) * 1000);
      input.select();
      input.focus();
    }
  });
  main.replaceChildren(h('section', { class: 'signin card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', tabindex: '-1' }, 'Sign in to dispatch'),
    h('p', { class: 'lede' }, 'dispatch posts your Bitbucket repositories\' events to Discord. Sign in to connect repositories and read what was delivered.'),
    form));
  if (retryUntil) wait(retryUntil);
  input.focus();
}

function retryAfter(error) {
  return Number(error.body.retry_after) || 60;
}

// The page's own words for the two refusals it knows, said once: the relay's reason says the same, and the
// form's hint already says where the token comes from.
function signInError(error) {
  if (error.code === 'token_wrong') {
    return notice('error', 'That is not the admin token. Check for a missing character or a space, then try again.');
  }
  if (error.code === 'too_many_attempts') {
    const seconds = retryAfter(error);
    const wait = seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
    return notice('error', `Too many wrong tokens from this browser: wait ${wait} before the next try. Each further wrong token doubles the wait.`);
  }
  return describeError(error);
}

async function startSession() {
  const answer = await api('GET', '/api/session');
  session = answer.body;
  useCsrf(session.csrf);
  showSignedIn();
  await show();
}

document.addEventListener('click', (event) => {
  const link = /** @type {HTMLAnchorElement | null} */ (/** @type {Element} */ (event.target).closest('a[data-nav]'));
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || url.pathname !== '/sources') return;
  event.preventDefault();
  if (!session) return;
  navigate(url);
});
window.addEventListener('popstate', () => { if (session) show(); });
signOut.addEventListener('click', async () => {
  try {
    await api('DELETE', '/api/session');
  } catch (error) {
    if (!isSignedOut(error)) {
      main.prepend(describeError(error));
      return;
    }
  }
  showSignIn({ signedOut: true });
});

// "Sign out everywhere", beside "Sign out": after a confirmation, ends every session of every browser
// (POST /api/sessions/revoke), this one included.
let revokeFailure = null;
signOutEverywhere.addEventListener('click', async () => {
  const sure = await confirmDialog({
    title: 'Sign out everywhere?',
    body: ['Ends every signed-in session of this dispatch, in every browser, this one included. Scripts that use the admin token are not affected.',
      'Everyone signed in, you too, has to sign in again with the admin token.'],
    confirm: 'Sign out everywhere',
  });
  if (!sure) return;
  revokeFailure?.remove();
  revokeFailure = null;
  signOutEverywhere.disabled = true;
  let answer;
  try {
    answer = await api('POST', '/api/sessions/revoke', {});
  } catch (error) {
    signOutEverywhere.disabled = false;
    if (isSignedOut(error)) {
      showSignIn({ expired: true });
      return;
    }
    const reason = error instanceof ApiError && error.reason ? sentence(error.reason)
      : error instanceof ApiError ? `The relay answered ${error.status}.` : `Something failed in this page: ${error.message}.`;
    const action = error instanceof ApiError && error.body.action ? h('p', {}, h('strong', {}, 'What to do: '), error.body.action) : null;
    revokeFailure = notice('error', `Could not sign out everywhere. ${reason}`, action);
    main.prepend(revokeFailure);
    signOutEverywhere.focus();
    return;
  }
  signOutEverywhere.disabled = false;
  showSignIn({ revoked: Number(answer.body?.revoked) || 0 });
});
setInterval(() => refreshTimes(main), 30_000);

early.session.then((first) => {
  if (first instanceof ApiError && first.status === 401) return showSignIn();
  if (first instanceof Error) {
    main.replaceChildren(h('h1', { tabindex: '-1' }, 'The relay did not answer'), describeError(first));
    return undefined;
  }
  session = first.body;
  useCsrf(session.csrf);
  showSignedIn();
  return show();
});
