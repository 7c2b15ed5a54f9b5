#!/usr/bin/env node
// A local stand-in for Bitbucket Cloud, for script/server and the tests: its OAuth server (bitbucket.org),
// a subset of its REST API (api.bitbucket.org/2.0) and its webhook delivery. It is strict: a request real
// Bitbucket would refuse, it refuses, with Bitbucket's status and error shape. The facts it follows, each
// with its source, and the ones that are unconfirmed, are in the team's researched reference beside the
// repository (../shared/reference/bitbucket-connect.md, not part of a clone); every guess is marked
// UNCONFIRMED below. Most of it is one function, startBitbucketStandin, on purpose: its routes share the
// state of one running stand-in (users, workspaces, repositories, hooks, tokens) through its closure.
//
//   node script/bitbucket-standin.mjs [--port 8790] [--api-port 8791] [--host 127.0.0.1]
//        [--client-id ID] [--client-secret S] [--callback URL]     prints one line per notable event
// The consumer's id and secret may come from the environment instead (STANDIN_CLIENT_ID,
// STANDIN_CLIENT_SECRET, else BITBUCKET_CLIENT_ID, BITBUCKET_CLIENT_SECRET), keeping them off the command line.
//
// Two listeners, like the two hosts. "web": GET|POST /site/oauth2/authorize (consent page),
// POST /site/oauth2/access_token, and the control API below. "api": /2.0/user, /2.0/user/workspaces,
// /2.0/repositories/{ws}[/{slug}[/hooks[/{uid}]]]. Each answers 404 to the other's paths.
//
// Control API (web listener, JSON in and out; for tests and people):
//   GET  /_standin/state       hooks (with their secrets), authorisations, token_requests, violations,
//                              requests (every api request), deliveries, config, signed_in, issued (every
//                              code and token handed out, in full: for tests that look for leaks)
//   POST /_standin/reset       back to the seed (users, workspaces, repositories; no hooks, no tokens)
//   POST /_standin/config      {access_token_ttl, refresh_grace_seconds, token_delay_ms, scopes, scope_key:
//                              "scope"|"scopes", consumer_revoked, refresh_error: "invalid_grant"|
//                              "invalid_request", delivery_timeout_ms} → the whole config
//   POST /_standin/login       {user: "ada"|"grace"}: who the consent page authorises as
//   POST /_standin/revoke      [{chain}]: issued access and refresh tokens stop working (all, or one chain)
//   POST /_standin/expire      [{chain}]: issued access tokens expire now (refresh tokens keep working)
//   POST /_standin/fail        {method?, path: regexp, status: 429|500|502|503, times?: 1, retry_after?,
//                              listener?: "api"|"web"}: the next matching requests answer that status
//   POST /_standin/repositories/{ws}/{slug}/hooks/fill   {count}: inactive dummy hooks up to count
//   POST /_standin/repositories/{ws}/{slug}/push         {branch?, commits?, message?, author?}
//   POST /_standin/repositories/{ws}/{slug}/events       {event, payload?}
//        both deliver to the repository's active hooks that selected the event, and answer
//        {event, repository, deliveries:[{hook, url, request_uuid (one per hook, kept across retries),
//        attempts:[{status (null on a network error), error?, body (first 1 KB), ms}]}]}
//
// Seed: users ada (signed in by default) and grace; workspaces acme (ada: member, admin of most
// repositories), ada-lovelace (ada's own), globex (ada: write only; grace: workspace admin).
//
// With --state FILE (script/server: .wrangler/bitbucket-standin.json, mode 0600), the tokens it issued, the
// hooks and the branch heads are kept across restarts, as Bitbucket keeps them.
//
// Module: startBitbucketStandin({webPort, apiPort, host, clientId, clientSecret, callbackUrl, print,
// stateFile}) →
// {webUrl, apiUrl, webPort, apiPort, control(method, path, body), state(), authorizeUrl(params),
// consent(authorizeUrl, "grant"|"deny") → {status, location}, close()}.
//
// Knowingly unlike Bitbucket: hook URLs on 127.0.0.1 are accepted (Bitbucket refuses non-routed
// addresses); requests without a token are refused (Bitbucket serves public data anonymously); only
// authorization_code and refresh_token grants exist; rate limits happen only when injected.

import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

import { instantiateCoreNow } from '../js-shim/core.mjs';

// The event catalogue, as the relay's own core has it (build/wasm/dispatch.wasm, which script/server and
// script/test build first): the keys a hook may select, and each one's family. Read once, on first use.
let catalogue = null;
export function eventCatalogue() {
  catalogue ??= instantiateCoreNow(new WebAssembly.Module(readFileSync(new URL('../build/wasm/dispatch.wasm', import.meta.url))))
    .events();
  return catalogue;
}

const defaultConfig = () => ({
  access_token_ttl: 7200,
  refresh_grace_seconds: 600,
  token_delay_ms: 0,
  scopes: 'account repository pullrequest issue webhook',
  scope_key: 'scope',
  consumer_revoked: false,
  refresh_error: 'invalid_grant',
  delivery_timeout_ms: 10_000,
});

const scopeWords = {
  account: 'Read your account information',
  'account:write': 'Read and modify your account information',
  repository: 'Read your repositories',
  'repository:write': 'Read and modify your repositories',
  'repository:admin': 'Administer your repositories',
  pullrequest: 'Read your repositories and their pull requests',
  'pullrequest:write': 'Read and modify your repositories and their pull requests',
  issue: "Read your repositories' issues",
  'issue:write': "Read and modify your repositories' issues",
  webhook: "Read and modify your repositories' webhooks",
};

// Bitbucket documents that pullrequest grants repository, and each :write grants its read scope.
const impliedScopes = {
  pullrequest: ['repository'],
  'pullrequest:write': ['pullrequest', 'repository', 'repository:write'],
  'repository:write': ['repository'],
  'repository:admin': ['repository'],
  'issue:write': ['issue'],
  'account:write': ['account'],
};

const maxHooks = 50;

// An answer other than 2xx, thrown from deep inside a handler and sent as it is.
class ApiFailure extends Error {
  constructor(status, body, headers = {}) {
    super(body?.error?.message ?? body?.error ?? String(status));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}
const web = 'https://bitbucket.org';
const avatars = 'https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials';
const samplesDir = new URL('../web/samples/', import.meta.url);

// Returns a braced uuid derived from name, so the seed is the same at every start.
const stableUuid = (name) => {
  const h = createHash('sha256').update(`bitbucket-standin:${name}`).digest('hex');
  const variant = '89ab'[parseInt(h[16], 16) & 3];
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}}`;
};
const stableHash = (name) => createHash('sha1').update(`bitbucket-standin:${name}`).digest('hex');
const bare = (uuid) => uuid.replace(/[{}]/g, '');
const inPath = (uuid) => encodeURIComponent(uuid);
const mask = (text) => (text ? `${String(text).slice(0, 4)}…` : '');
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomText = (length) => [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
// Attributes are always double-quoted, so an apostrophe needs no escape.
const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escapeHtml = (text) => String(text).replace(/[&<>"]/g, (c) => entities[c]);
const sameText = (a, b) => {
  const left = Buffer.from(String(a));
  const right = Buffer.from(String(b));
  return left.length === right.length && timingSafeEqual(left, right);
};

const people = {
  ada: { nickname: 'ada', display_name: 'Ada Lovelace', email: 'ada@lovelace.example', created_on: '2019-03-12T09:15:27.114523+00:00' },
  grace: { nickname: 'grace', display_name: 'Grace Hopper', email: 'grace@hopper.example', created_on: '2020-07-01T14:02:51.804114+00:00' },
};

const workspaceSeed = [
  { slug: 'acme', name: 'Acme Engineering', admins: [], members: ['ada'] },
  { slug: 'ada-lovelace', name: 'Ada Lovelace', admins: ['ada'], members: ['ada'], owner: 'ada' },
  { slug: 'globex', name: 'Globex Corporation', admins: ['grace'], members: ['ada', 'grace'] },
];

// [workspace, slug, project key, language, is_private, ada's permission (workspace admins are admin anyway)]
/** @typedef {[string, string, string, string, boolean, string]} RepoSeed */
const repoSeed = /** @type {RepoSeed[]} */ ([
  ...[
    'relay-api', 'relay-worker', 'auth-service', 'billing-service', 'catalog-service', 'inventory-service',
    'media-service', 'notification-service', 'payments-service', 'pricing-service', 'reporting-service',
    'search-service', 'session-service', 'shipping-service', 'user-service', 'web-app', 'mobile-app', 'docs',
    'infra', 'design-system', 'data-pipeline',
  ].map((slug) => ['acme', slug, projectOf(slug), languageOf(slug), slug !== 'docs', 'admin']),
  ...['legacy-service', 'ledger-service', 'website', 'marketing-site', 'security-audit']
    .map((slug) => ['acme', slug, projectOf(slug), languageOf(slug), true, 'write']),
  ['ada-lovelace', 'analytical-engine', 'ENG', 'python', true, 'admin'],
  ['ada-lovelace', 'bernoulli-numbers', 'ENG', 'haskell', false, 'admin'],
  ['ada-lovelace', 'notes', 'ENG', '', true, 'admin'],
  ['globex', 'api-gateway', 'PLAT', 'go', true, 'write'],
  ['globex', 'portal', 'WEB', 'typescript', true, 'write'],
  ['globex', 'widgets', 'WEB', 'javascript', false, 'write'],
]);

function projectOf(slug) {
  if (slug.startsWith('relay')) return 'RLY';
  if (slug.endsWith('-service')) return 'SVC';
  if (['web-app', 'mobile-app', 'design-system', 'website', 'marketing-site'].includes(slug)) return 'WEB';
  return 'OPS';
}

function languageOf(slug) {
  if (slug.startsWith('relay') || slug.endsWith('-service')) return 'go';
  if (['web-app', 'design-system', 'website', 'marketing-site'].includes(slug)) return 'typescript';
  if (slug === 'mobile-app') return 'kotlin';
  return slug === 'data-pipeline' ? 'python' : '';
}

const projectNames = { RLY: 'Relay', SVC: 'Services', WEB: 'Web', OPS: 'Operations', ENG: 'Engines', PLAT: 'Platform' };

function buildSeed() {
  const users = Object.fromEntries(Object.entries(people).map(([key, person]) => [key, {
    ...person, key, uuid: stableUuid(`user:${key}`),
    account_id: `557058:${bare(stableUuid(`account:${key}`))}`,
  }]));
  const workspaces = workspaceSeed.map((ws) => ({ ...ws, uuid: stableUuid(`workspace:${ws.slug}`) }));
  const repositories = repoSeed.map(([workspace, slug, project, language, isPrivate, adaPermission], index) => ({
    workspace, slug, name: slug, project, language, is_private: isPrivate,
    uuid: stableUuid(`repository:${workspace}/${slug}`),
    full_name: `${workspace}/${slug}`,
    description: `${slug.replace(/-/g, ' ')} (seeded by the Bitbucket stand-in)`,
    created_on: new Date(Date.UTC(2023, 0, 2 + index, 10, 0, 0)).toISOString().replace('Z', '000+00:00'),
    updated_on: new Date(Date.UTC(2026, 5, 30 - index, 16, 30, 0)).toISOString().replace('Z', '000+00:00'),
    size: 1_048_576 + index * 73_421,
    permissions: { ada: adaPermission },
    branches: { main: stableHash(`head:${workspace}/${slug}:main`) },
  }));
  return { users, workspaces, repositories };
}

// Starts the stand-in; resolves once both listeners are bound.
export async function startBitbucketStandin({
  webPort = 0, apiPort = 0, host = '127.0.0.1',
  clientId = 'dispatch-local', clientSecret = 'dispatch-local-secret',
  callbackUrl = 'http://127.0.0.1:8787/oauth/bitbucket/callback', consumerName = 'dispatch', print = false,
  stateFile = null,
} = {}) {
  const seed = buildSeed();
  let webOrigin = '';
  let apiOrigin = '';
  let state;
  const say = (line) => { if (print) console.log(`bitbucket-standin: ${line}`); };

  const reset = () => {
    state = {
      config: defaultConfig(),
      signedIn: 'ada',
      consents: new Map(), codes: new Map(), accessTokens: new Map(), refreshTokens: new Map(),
      chains: 0, authorisations: [], tokenRequests: [], violations: [], inflight: new Map(),
      requests: [], deliveries: [], failures: [], hooks: new Map(),
      branches: new Map(seed.repositories.map((repo) => [repo.full_name, { ...repo.branches }])),
    };
  };
  reset();

  // What outlives a restart when a state file is given: what Bitbucket itself would still hold.
  const lasting = () => JSON.stringify({
    chains: state.chains, accessTokens: [...state.accessTokens], refreshTokens: [...state.refreshTokens],
    hooks: [...state.hooks], branches: [...state.branches],
  });
  let saved = null;
  if (stateFile && existsSync(stateFile)) {
    const kept = JSON.parse(readFileSync(stateFile, 'utf8'));
    Object.assign(state, {
      chains: kept.chains, accessTokens: new Map(kept.accessTokens), refreshTokens: new Map(kept.refreshTokens),
      hooks: new Map(kept.hooks), branches: new Map(kept.branches),
    });
    saved = lasting();
  }
  const save = () => {
    const now = lasting();
    if (now === saved) return;
    writeFileSync(stateFile, now, { mode: 0o600 });
    saved = now;
  };
  const saver = stateFile ? setInterval(save, 500) : null;
  saver?.unref();

  const workspaceOf = (slug) => seed.workspaces.find((ws) => ws.slug === slug.toLowerCase() || ws.uuid === slug);
  const repositoryOf = (workspace, slug) => {
    const ws = workspaceOf(workspace);
    return ws && seed.repositories.find((repo) => repo.workspace === ws.slug
      && (repo.slug === slug.toLowerCase() || repo.uuid === slug));
  };
  // Returns "admin", "write", "read" or null: what user was given in repo (workspace admins administer all).
  const grantedPermission = (user, repo) => (workspaceOf(repo.workspace).admins.includes(user) ? 'admin' : repo.permissions[user] ?? null);
  // The same, counting that anyone may read a public repository.
  const permissionOf = (user, repo) => grantedPermission(user, repo) ?? (repo.is_private ? null : 'read');

  const userLinks = (user) => ({
    self: { href: `${apiOrigin}/2.0/users/${inPath(user.uuid)}` },
    avatar: { href: `${avatars}/${user.display_name.split(' ').map((word) => word[0]).join('')}-0.png` },
    html: { href: `${web}/${inPath(user.uuid)}/` },
  });
  const userSummary = (user) => ({
    display_name: user.display_name, links: userLinks(user), type: 'user', uuid: user.uuid,
    account_id: user.account_id, nickname: user.nickname,
  });
  const userView = (user) => ({
    ...userSummary(user),
    links: {
      ...userLinks(user),
      repositories: { href: `${apiOrigin}/2.0/repositories/${inPath(user.uuid)}` },
    },
    created_on: user.created_on, username: user.nickname, is_staff: false, has_2fa_enabled: null,
    account_status: 'active', location: null,
  });
  const workspaceSummary = (ws) => ({
    type: 'workspace', uuid: ws.uuid, name: ws.name, slug: ws.slug,
    links: {
      avatar: { href: `${web}/workspaces/${ws.slug}/avatar/?ts=1762427315` },
      html: { href: `${web}/${ws.slug}/` },
      self: { href: `${apiOrigin}/2.0/workspaces/${ws.slug}` },
    },
  });
  const repoLinks = (repo) => {
    const api = `${apiOrigin}/2.0/repositories/${repo.full_name}`;
    return {
      self: { href: api },
      html: { href: `${web}/${repo.full_name}` },
      avatar: { href: `https://bytebucket.org/ravatar/${inPath(repo.uuid)}?ts=${repo.language || 'default'}` },
      pullrequests: { href: `${api}/pullrequests` }, commits: { href: `${api}/commits` },
      forks: { href: `${api}/forks` }, watchers: { href: `${api}/watchers` },
      branches: { href: `${api}/refs/branches` }, tags: { href: `${api}/refs/tags` },
      downloads: { href: `${api}/downloads` }, source: { href: `${api}/src` }, hooks: { href: `${api}/hooks` },
      clone: [
        { name: 'https', href: `https://bitbucket.org/${repo.full_name}.git` },
        { name: 'ssh', href: `git@bitbucket.org:${repo.full_name}.git` },
      ],
    };
  };
  const projectView = (repo) => ({
    type: 'project', key: repo.project, uuid: stableUuid(`project:${repo.workspace}/${repo.project}`),
    name: projectNames[repo.project],
    links: {
      self: { href: `${apiOrigin}/2.0/workspaces/${repo.workspace}/projects/${repo.project}` },
      html: { href: `${web}/${repo.workspace}/workspace/projects/${repo.project}` },
    },
  });
  const ownerView = (repo) => {
    const ws = workspaceOf(repo.workspace);
    return {
      display_name: ws.name, type: 'team', uuid: ws.uuid, username: ws.slug,
      links: {
        self: { href: `${apiOrigin}/2.0/workspaces/${inPath(ws.uuid)}` },
        avatar: { href: `${web}/account/${ws.slug}/avatar/` },
        html: { href: `${web}/${inPath(ws.uuid)}/` },
      },
    };
  };
  const repoView = (repo) => ({
    type: 'repository', full_name: repo.full_name, links: repoLinks(repo), name: repo.name, slug: repo.slug,
    description: repo.description, scm: 'git', website: null, owner: ownerView(repo),
    workspace: workspaceSummary(workspaceOf(repo.workspace)), is_private: repo.is_private,
    project: projectView(repo), fork_policy: repo.is_private ? 'no_public_forks' : 'allow_forks',
    created_on: repo.created_on, updated_on: repo.updated_on, size: repo.size, language: repo.language,
    uuid: repo.uuid, mainbranch: { name: 'main', type: 'branch' }, has_issues: true, has_wiki: false,
    override_settings: { default_merge_strategy: true, branching_model: true }, parent: null,
  });
  // The repository as webhook payloads carry it (a summary, as in Bitbucket's payloads).
  const repoPayloadView = (repo) => {
    const { type, full_name: fullName, name, scm, website, owner, workspace, is_private: isPrivate, project, uuid } = repoView(repo);
    const links = repoLinks(repo);
    return {
      type, full_name: fullName, links: { self: links.self, html: links.html, avatar: links.avatar }, name, scm,
      website, owner, workspace, is_private: isPrivate, project, uuid, parent: null,
    };
  };
  const hookUrl = (repo, hook) => `${apiOrigin}/2.0/repositories/${repo.full_name}/hooks/${inPath(hook.uuid)}`;
  const hookView = (repo, hook) => ({
    type: 'webhook_subscription', uuid: hook.uuid, url: hook.url, description: hook.description,
    subject_type: 'repository',
    subject: {
      type: 'repository', full_name: repo.full_name, name: repo.name, uuid: repo.uuid,
      links: { self: { href: `${apiOrigin}/2.0/repositories/${repo.full_name}` }, html: { href: `${web}/${repo.full_name}` } },
    },
    active: hook.active, created_at: hook.created_at, events: [...hook.events],
    secret_set: hook.secret !== null, skip_cert_verification: hook.skip_cert_verification,
    links: { self: { href: hookUrl(repo, hook) } },
  });
  const hooksOf = (repo) => {
    if (!state.hooks.has(repo.full_name)) state.hooks.set(repo.full_name, []);
    return state.hooks.get(repo.full_name);
  };

  const apiError = (message, extra = {}) => ({ type: 'error', error: { message, ...extra } });
  const send = (response, status, body, headers = {}) => {
    response.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(body === undefined ? undefined : JSON.stringify(body));
  };

  const refuse = (status, message, extra) => { throw new ApiFailure(status, apiError(message, extra)); };

  // Matches an injected failure for this request, consuming one of its times.
  const takeFailure = (listener, method, path) => {
    const index = state.failures.findIndex((rule) => rule.listener === listener
      && (!rule.method || rule.method === method) && rule.regexp.test(path));
    if (index < 0) return null;
    const rule = state.failures[index];
    rule.times -= 1;
    if (rule.times <= 0) state.failures.splice(index, 1);
    return rule;
  };
  const failureAnswer = (rule) => {
    if (rule.status === 429) {
      return new ApiFailure(429, apiError('Rate limit for this resource has been exceeded.'),
        { 'retry-after': String(rule.retry_after ?? 60) });
    }
    const words = { 500: 'Something went wrong', 502: 'Bad Gateway', 503: 'Service Unavailable' };
    return new ApiFailure(rule.status, apiError(words[rule.status] ?? 'Something went wrong'),
      rule.retry_after !== undefined ? { 'retry-after': String(rule.retry_after) } : {});
  };

  const authenticate = (request, url) => {
    // Bitbucket now takes access tokens in the Authorization header only (reference/bitbucket-connect.md).
    if (url.searchParams.has('access_token')) refuse(401, 'Access tokens are accepted only in the Authorization header (Bearer).');
    const header = request.headers.authorization ?? '';
    if (!header) refuse(401, 'This API requires authentication: send Authorization: Bearer <access token>.');
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    if (!match) refuse(401, 'Invalid credentials');
    const token = state.accessTokens.get(match[1]);
    if (!token || token.revoked || state.config.consumer_revoked) refuse(401, 'Invalid access token');
    if (Date.now() >= token.expiresAt) {
      refuse(401, 'Access token expired. Use your refresh token to obtain a new access token.');
    }
    return token;
  };

  const grantedScopes = (token) => {
    const granted = new Set(token.scopes);
    for (const scope of token.scopes) for (const implied of impliedScopes[scope] ?? []) granted.add(implied);
    return granted;
  };
  const requireScopes = (token, required) => {
    const granted = grantedScopes(token);
    if (required.every((scope) => granted.has(scope))) return;
    refuse(403, 'Your credentials lack one or more required privilege scopes.',
      { detail: { granted: [...token.scopes], required: [...required] } });
  };
  // The scope a hook needs to send an event of the catalogue (its key was checked first).
  const familyScope = (event) => {
    const { family } = eventCatalogue().find((entry) => entry.key === event);
    if (family === 'pull_request') return 'pullrequest';
    if (family === 'issue') return 'issue';
    return 'repository';
  };

  // Returns {pagelen, page}, refusing what Bitbucket refuses.
  const pageParams = (url) => {
    const pagelen = url.searchParams.has('pagelen') ? Number(url.searchParams.get('pagelen')) : 10;
    // UNCONFIRMED: whether Bitbucket clamps a pagelen over 100 or refuses it; refusing catches more bugs.
    if (!Number.isInteger(pagelen) || pagelen < 1 || pagelen > 100) refuse(400, 'Invalid pagelen');
    const page = url.searchParams.has('page') ? Number(url.searchParams.get('page')) : 1;
    if (!Number.isInteger(page) || page < 1) refuse(400, 'Invalid page');
    return { pagelen, page };
  };
  const paginate = (url, items) => {
    const { pagelen, page } = pageParams(url);
    const last = Math.max(1, Math.ceil(items.length / pagelen));
    // UNCONFIRMED: a page past the end is answered 404 "Invalid page" here.
    if (page > last) refuse(404, 'Invalid page');
    const link = (number) => {
      const next = new URL(`${apiOrigin}${url.pathname}${url.search}`);
      next.searchParams.set('page', String(number));
      return next.href;
    };
    return {
      pagelen, size: items.length, values: items.slice((page - 1) * pagelen, page * pagelen), page,
      ...(page < last ? { next: link(page + 1) } : {}),
      ...(page > 1 ? { previous: link(page - 1) } : {}),
    };
  };

  const sortFields = ['name', 'full_name', 'slug', 'created_on', 'updated_on', 'size', 'language', 'description'];
  const sortItems = (items, sort, fields) => {
    const descending = sort.startsWith('-');
    const field = descending ? sort.slice(1) : sort;
    // UNCONFIRMED: Bitbucket's message for an unknown sort field.
    if (!fields.includes(field)) refuse(400, `Invalid sort field: ${field}`);
    return [...items].sort((a, b) => {
      const order = a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0;
      return descending ? -order : order;
    });
  };

  const repoFields = ['name', 'full_name', 'slug', 'description', 'uuid', 'is_private', 'language', 'scm',
    'created_on', 'updated_on', 'project.key', 'project.name', 'workspace.slug', 'mainbranch.name'];

  const listRepositories = (token, url, workspace) => {
    requireScopes(token, ['repository']);
    const ws = workspaceOf(workspace);
    // UNCONFIRMED: the message for an unknown workspace.
    if (!ws) refuse(404, `Workspace ${workspace} not found`);
    const role = url.searchParams.get('role');
    const ranks = { member: 1, contributor: 2, admin: 3 };
    if (role !== null && !(role in ranks) && role !== 'owner') refuse(400, `Invalid role: ${role}`);
    const rank = { read: 1, write: 2, admin: 3 };
    let repos = seed.repositories.filter((repo) => repo.workspace === ws.slug).filter((repo) => {
      if (role === null) return permissionOf(token.user, repo) !== null;
      if (role === 'owner') return ws.owner === token.user;
      const permission = grantedPermission(token.user, repo);
      return permission !== null && rank[permission] >= ranks[role];
    }).map(repoView);
    const q = url.searchParams.get('q');
    if (q !== null) repos = repos.filter(compileQuery(q, repoFields));
    repos = sortItems(repos, url.searchParams.get('sort') ?? 'full_name', sortFields);
    return paginate(url, repos);
  };

  const repositoryFor = (token, workspace, slug) => {
    const repo = repositoryOf(workspace, slug);
    if (!repo || permissionOf(token.user, repo) === null) refuse(404, `Repository ${workspace}/${slug} not found`);
    return repo;
  };
  const requireAdmin = (token, repo) => {
    // UNCONFIRMED: Bitbucket's exact sentence for a non-administrator; the status (403) is documented.
    if (permissionOf(token.user, repo) !== 'admin') {
      refuse(403, `You must be an administrator of ${repo.full_name} to manage its webhooks: admin access is needed.`);
    }
  };
  const hookOf = (repo, uid) => {
    const wanted = `{${bare(uid).toLowerCase()}}`;
    const hook = hooksOf(repo).find((candidate) => candidate.uuid === wanted);
    // UNCONFIRMED: the message for an unknown hook.
    if (!hook) refuse(404, 'Webhook not found');
    return hook;
  };

  // Returns the hook fields a POST (creating) or PUT body sets, refusing what Bitbucket refuses.
  const hookFields = (body, creating) => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) refuse(400, 'Bad request', { detail: 'The body must be a JSON object.' });
    const fields = {};
    const changes = {};
    const has = (key) => Object.prototype.hasOwnProperty.call(body, key);
    if (creating || has('description')) {
      if (typeof body.description !== 'string' || body.description.trim() === '') fields.description = ['This field is required.'];
      else if (body.description.length > 255) fields.description = [`Ensure this value has at most 255 characters (it has ${body.description.length}).`];
      else changes.description = body.description;
    }
    if (creating || has('url')) {
      if (!validUrl(body.url)) fields.url = ['Enter a valid URL.'];
      else changes.url = body.url;
    }
    if (has('active')) {
      if (typeof body.active !== 'boolean') fields.active = ['Must be a valid boolean.'];
      else changes.active = body.active;
    } else if (creating) changes.active = true;
    if (has('skip_cert_verification')) {
      if (typeof body.skip_cert_verification !== 'boolean') fields.skip_cert_verification = ['Must be a valid boolean.'];
      else changes.skip_cert_verification = body.skip_cert_verification;
    } else if (creating) changes.skip_cert_verification = false;
    if (has('secret')) {
      if (body.secret !== null && typeof body.secret !== 'string') fields.secret = ['Not a valid string.'];
      else if (typeof body.secret === 'string' && body.secret.length > 128) fields.secret = ['Ensure this value has at most 128 characters.'];
      else changes.secret = body.secret === '' ? null : body.secret;
    } else if (creating) changes.secret = null;
    if (creating || has('events')) {
      const events = body.events;
      if (!Array.isArray(events) || events.length === 0) fields.events = ['This field is required: select at least one event.'];
      else {
        // UNCONFIRMED: the wording for an unknown key (the 400 and the field are as Bitbucket's schema says).
        const unknown = events.filter((event) => !eventCatalogue().some((entry) => entry.key === event));
        if (unknown.length > 0) {
          fields.events = unknown.map((event) => `"${typeof event === 'string' ? event : JSON.stringify(event)}" is not a valid event key.`);
        }
        else changes.events = [...new Set(events)].sort();
      }
    }
    if (Object.keys(fields).length > 0) refuse(400, 'Bad request', { fields });
    return changes;
  };

  const describeHook = (hook) => `${hook.uuid} → ${hook.url} [${hook.events.join(' ')}]`
    + `${hook.active ? '' : ' (inactive)'}${hook.secret !== null ? ' signed' : ''}`;

  const hooksRoute = async (token, request, url, repo, uid, body) => {
    requireScopes(token, ['webhook']);
    requireAdmin(token, repo);
    const method = request.method;
    if (uid === undefined && method === 'GET') return { status: 200, body: paginate(url, hooksOf(repo).map((hook) => hookView(repo, hook))) };
    if (uid === undefined && method === 'POST') {
      const changes = hookFields(parseJson(body), true);
      requireScopes(token, ['webhook', ...new Set(changes.events.map(familyScope))]);
      // UNCONFIRMED: the status (400) and wording Bitbucket uses for the 51st hook.
      if (hooksOf(repo).length >= maxHooks) {
        refuse(400, `Too many webhooks: a repository can have at most ${maxHooks} webhooks.`);
      }
      const hook = { uuid: `{${randomUUID()}}`, created_at: new Date().toISOString(), ...changes };
      hooksOf(repo).push(hook);
      say(`hook created on ${repo.full_name}: ${describeHook(hook)}`);
      return { status: 201, body: hookView(repo, hook), headers: { location: hookUrl(repo, hook) } };
    }
    if (uid === undefined) refuse(405, 'Method not allowed');
    const hook = hookOf(repo, uid);
    if (method === 'GET') return { status: 200, body: hookView(repo, hook) };
    if (method === 'PUT') {
      const changes = hookFields(parseJson(body), false);
      const events = changes.events ?? hook.events;
      requireScopes(token, ['webhook', ...new Set(events.map(familyScope))]);
      Object.assign(hook, changes);
      say(`hook updated on ${repo.full_name}: ${describeHook(hook)}`);
      return { status: 200, body: hookView(repo, hook) };
    }
    if (method === 'DELETE') {
      hooksOf(repo).splice(hooksOf(repo).indexOf(hook), 1);
      say(`hook deleted on ${repo.full_name}: ${hook.uuid}`);
      return { status: 204 };
    }
    return refuse(405, 'Method not allowed');
  };

  const parseJson = (text) => {
    try {
      return JSON.parse(text);
    } catch {
      return refuse(400, 'Bad request', { detail: 'The body is not valid JSON.' });
    }
  };

  const apiRoute = async (request, url, body) => {
    const path = url.pathname;
    const parts = path.split('/').slice(1).map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
    if (parts[0] !== '2.0') refuse(404, 'Resource not found');
    const method = request.method;
    const readOnly = (handler) => {
      if (method !== 'GET' && method !== 'HEAD') refuse(405, 'Method not allowed');
      return handler();
    };
    const rest = parts.slice(1);
    const known = (rest[0] === 'user' && rest.length <= 2 && (rest.length === 1 || rest[1] === 'workspaces'))
      || (rest[0] === 'repositories' && rest.length >= 2 && rest.length <= 5 && (rest.length < 4 || rest[3] === 'hooks'));
    if (!known || rest.some((part) => part === '')) refuse(404, 'Resource not found');
    const token = authenticate(request, url);
    if (rest[0] === 'user' && rest.length === 1) {
      return readOnly(() => {
        requireScopes(token, ['account']);
        return { status: 200, body: userView(seed.users[token.user]) };
      });
    }
    if (rest[0] === 'user') {
      return readOnly(() => {
        requireScopes(token, ['repository']);
        const admin = url.searchParams.get('administrator');
        let values = seed.workspaces.filter((ws) => ws.members.includes(token.user)).map((ws) => ({
          type: 'workspace_access', administrator: ws.admins.includes(token.user),
          workspace: workspaceSummary(ws),
          links: { self: { href: `${apiOrigin}/2.0/user/workspaces/${ws.slug}/permission` } },
        }));
        if (admin !== null) values = values.filter((access) => String(access.administrator) === admin);
        const q = url.searchParams.get('q');
        if (q !== null) values = values.filter(compileQuery(q, ['administrator', 'workspace.slug', 'workspace.name', 'workspace.uuid']));
        return { status: 200, body: paginate(url, values) };
      });
    }
    const [, workspace, slug, , uid] = rest;
    if (rest.length === 2) return readOnly(() => ({ status: 200, body: listRepositories(token, url, workspace) }));
    requireScopes(token, [rest.length === 3 ? 'repository' : 'webhook']);
    const repo = repositoryFor(token, workspace, slug);
    if (rest.length === 3) return readOnly(() => ({ status: 200, body: repoView(repo) }));
    return hooksRoute(token, request, url, repo, uid, body);
  };

  const handleApi = async (request, response, url, body) => {
    const query = Object.fromEntries([...url.searchParams].map(([key, value]) => [key, key === 'access_token' ? mask(value) : value]));
    const scheme = (request.headers.authorization ?? '').split(' ')[0].toLowerCase();
    const auth = url.searchParams.has('access_token') ? 'query' : scheme || 'none';
    const entry = { at: new Date().toISOString(), method: request.method, path: url.pathname, query, status: null, auth };
    state.requests.push(entry);
    let answer;
    try {
      const rule = takeFailure('api', request.method, url.pathname);
      if (rule) throw failureAnswer(rule);
      answer = await apiRoute(request, url, body);
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      answer = { status: error.status, body: error.body, headers: error.headers };
    }
    entry.status = answer.status;
    return send(response, answer.status, answer.body, answer.headers);
  };

  const page = (response, status, title, inner) => {
    response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} — Bitbucket</title>`
      + `</head>\n<body><main>\n${inner}\n</main></body></html>\n`);
  };
  const errorPage = (response, message) => page(response, 400, 'Invalid OAuth request',
    `<h1>Invalid OAuth request</h1>\n<p>${escapeHtml(message)}</p>`);

  // Returns an error sentence when the authorize parameters must not redirect; otherwise null.
  const authorizeProblem = (params) => {
    const id = params.get('client_id');
    if (!id || !sameText(id, clientId)) return 'Invalid client_id: no OAuth consumer has this key.';
    const redirect = params.get('redirect_uri');
    if (redirect !== null && !redirect.startsWith(callbackUrl)) {
      return "The redirect_uri does not match the consumer's callback URL.";
    }
    if (params.get('response_type') !== 'code') return 'Unsupported response_type: this consumer uses response_type=code.';
    const method = params.get('code_challenge_method');
    if (method !== null && !['S256', 'plain'].includes(method)) return 'Unsupported code_challenge_method.';
    return null;
  };

  const consentPage = (response, url) => {
    const problem = authorizeProblem(url.searchParams);
    if (problem) return errorPage(response, problem);
    const user = seed.users[state.signedIn];
    const csrf = randomText(32);
    state.consents.set(csrf, { params: new URLSearchParams(url.searchParams), user: user.key, expiresAt: Date.now() + 600_000 });
    const scopes = state.config.scopes.split(/\s+/).filter(Boolean);
    return page(response, 200, `Authorize ${consumerName}`, [
      `<h1>Authorize <strong>${escapeHtml(consumerName)}</strong> to access your Bitbucket account?</h1>`,
      `<p>Signed in as <strong>${escapeHtml(user.display_name)}</strong> (${escapeHtml(user.nickname)}).</p>`,
      `<p>${escapeHtml(consumerName)} is requesting permission to:</p>`,
      `<ul>${scopes.map((scope) => `<li>${escapeHtml(scopeWords[scope] ?? scope)}</li>`).join('')}</ul>`,
      `<form method="post" action="${escapeHtml(url.pathname + url.search)}">`,
      `<input type="hidden" name="csrfmiddlewaretoken" value="${csrf}">`,
      '<button type="submit" name="decision" value="grant">Grant access</button>',
      '<button type="submit" name="decision" value="deny">Deny</button>',
      '</form>',
    ].join('\n'));
  };

  const redirect = (response, target) => {
    response.writeHead(302, { location: target, 'cache-control': 'no-store' });
    response.end();
  };

  const decide = (request, response, body) => {
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
      return errorPage(response, 'The consent form must be posted as a form.');
    }
    const form = new URLSearchParams(body);
    const consent = state.consents.get(form.get('csrfmiddlewaretoken') ?? '');
    state.consents.delete(form.get('csrfmiddlewaretoken') ?? '');
    if (!consent || Date.now() > consent.expiresAt) return errorPage(response, 'This authorisation page has expired: start again.');
    const { params, user } = consent;
    const problem = authorizeProblem(params);
    if (problem) return errorPage(response, problem);
    const target = new URL(params.get('redirect_uri') ?? callbackUrl);
    const stateParam = params.get('state');
    const decision = form.get('decision');
    if (decision === 'grant') {
      state.chains += 1;
      const chain = `c${state.chains}`;
      const scopes = state.config.scopes.split(/\s+/).filter(Boolean);
      const code = randomText(18);
      state.codes.set(code, {
        clientId, user, chain, scopes, expiresAt: Date.now() + 300_000, used: false,
        redirectUri: params.get('redirect_uri'), challenge: params.get('code_challenge'),
        challengeMethod: params.get('code_challenge_method') ?? 'plain',
      });
      state.authorisations.push({ chain, user, client_id: clientId, status: 'granted', scopes, at: new Date().toISOString() });
      say(`${user} granted ${consumerName} access (${chain}; scopes ${scopes.join(' ')}; code ${mask(code)})`);
      target.searchParams.append('code', code);
    } else if (decision === 'deny') {
      state.authorisations.push({ chain: null, user, client_id: clientId, status: 'denied', scopes: [], at: new Date().toISOString() });
      say(`${user} denied ${consumerName} access`);
      target.searchParams.append('error', 'access_denied');
      target.searchParams.append('error_description', 'The user denied access to the application.');
    } else {
      return errorPage(response, 'Choose Grant access or Deny.');
    }
    if (stateParam !== null) target.searchParams.append('state', stateParam);
    return redirect(response, target.href);
  };

  const issueTokens = (chain, user, scopes) => {
    const accessToken = `${randomBytes(1983).toString('base64url')}=`;
    const refreshToken = randomText(60);
    const ttl = state.config.access_token_ttl;
    state.accessTokens.set(accessToken, { chain, user, scopes, expiresAt: Date.now() + ttl * 1000, revoked: false });
    state.refreshTokens.set(refreshToken, { chain, user, scopes, firstUsedAt: null, revoked: false });
    return { accessToken, refreshToken, ttl };
  };

  const tokenAnswer = async (request, body, entry) => {
    const oauthError = (status, error, description) => ({ status, body: { error, error_description: description } });
    if (state.config.consumer_revoked) return oauthError(401, 'invalid_client', 'Invalid OAuth client credentials');
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
      // Bitbucket reads only form bodies: anything else looks like a request without grant_type.
      return oauthError(400, 'invalid_grant', 'Unsupported grant type: None');
    }
    const form = new URLSearchParams(body);
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    entry.client_auth = 'body';
    const basic = /^Basic +(\S+)$/i.exec(request.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = colon < 0 ? decoded : decoded.slice(0, colon);
      secret = colon < 0 ? '' : decoded.slice(colon + 1);
      entry.client_auth = 'basic';
    }
    if (id === null || secret === null) {
      entry.client_auth = 'none';
      return oauthError(401, 'invalid_client', 'Client credentials missing; this request needs to be authenticated with client credentials.');
    }
    if (!sameText(id, clientId) || !sameText(secret, clientSecret)) return oauthError(401, 'invalid_client', 'Invalid OAuth client credentials');
    const grantType = form.get('grant_type');
    entry.grant_type = grantType;
    if (grantType === 'authorization_code') {
      const record = state.codes.get(form.get('code') ?? '');
      const invalid = () => oauthError(400, 'invalid_grant', 'The authorization code is invalid or expired.');
      if (!record || record.used || Date.now() > record.expiresAt || record.clientId !== id) return invalid();
      entry.chain = record.chain;
      record.used = true;
      // RFC 6749 §4.1.3: a redirect_uri given at authorize must be repeated. UNCONFIRMED at Bitbucket.
      if (record.redirectUri !== null && form.get('redirect_uri') !== record.redirectUri) return invalid();
      if (record.challenge !== null) {
        const verifier = form.get('code_verifier') ?? '';
        const derived = record.challengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (!verifier || derived !== record.challenge) return invalid();
      }
      const issued = issueTokens(record.chain, record.user, record.scopes);
      return { status: 200, body: tokenBody(issued, record.scopes, 'authorization_code') };
    }
    if (grantType === 'refresh_token') {
      const given = form.get('refresh_token') ?? '';
      const record = state.refreshTokens.get(given);
      const invalid = () => oauthError(400, state.config.refresh_error, 'Invalid refresh_token');
      if (!record) return invalid();
      entry.chain = record.chain;
      const grace = state.config.refresh_grace_seconds * 1000;
      if (record.revoked || (record.firstUsedAt !== null && Date.now() - record.firstUsedAt >= grace)) return invalid();
      record.firstUsedAt ??= Date.now();
      const issued = issueTokens(record.chain, record.user, record.scopes);
      return { status: 200, body: tokenBody(issued, record.scopes, 'refresh_token') };
    }
    return oauthError(400, 'invalid_grant', `Unsupported grant type: ${grantType ?? 'None'}`);
  };
  const tokenBody = ({ accessToken, refreshToken, ttl }, scopes, how) => ({
    access_token: accessToken, [state.config.scope_key]: scopes.join(' '), expires_in: ttl,
    refresh_token: refreshToken, token_type: 'bearer', state: how,
  });

  const handleToken = async (request, response, body) => {
    const started = Date.now();
    const entry = { grant_type: null, chain: null, client_auth: null, started_at: new Date(started).toISOString(), ended_at: null, status: null };
    state.tokenRequests.push(entry);
    // The chain is known before the delay so that two refreshes of one connection in flight are seen.
    const form = /^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '') ? new URLSearchParams(body) : null;
    const refreshing = form?.get('grant_type') === 'refresh_token' ? state.refreshTokens.get(form.get('refresh_token') ?? '') : undefined;
    const chain = refreshing?.chain;
    entry.chain = chain ?? null;
    if (chain) {
      const running = state.inflight.get(chain) ?? [];
      for (const other of running) {
        state.violations.push({
          kind: 'overlapping_refresh', chain, at: entry.started_at,
          message: `two refreshes of connection ${chain} overlapped: one started ${other.started_at}, another ${entry.started_at}`,
          requests: [state.tokenRequests.indexOf(other), state.tokenRequests.indexOf(entry)],
        });
        say(`VIOLATION: overlapping refreshes of ${chain}`);
      }
      state.inflight.set(chain, [...running, entry]);
    }
    try {
      if (state.config.token_delay_ms > 0) await new Promise((resume) => setTimeout(resume, state.config.token_delay_ms));
      const rule = takeFailure('web', request.method, '/site/oauth2/access_token');
      const injected = rule && failureAnswer(rule);
      const answer = injected
        ? { status: injected.status, headers: injected.headers, body: { error: 'server_error', error_description: injected.message } }
        : await tokenAnswer(request, body, entry);
      entry.status = answer.status;
      entry.error = answer.body.error;
      const outcome = answer.body.error ?? `access ${mask(answer.body.access_token)} refresh ${mask(answer.body.refresh_token)}`;
      say(`token request ${entry.grant_type ?? '?'}${entry.chain ? ` (${entry.chain})` : ''} → ${answer.status} ${outcome}`);
      return send(response, answer.status, answer.body, { 'cache-control': 'no-store', pragma: 'no-cache', ...(answer.headers ?? {}) });
    } finally {
      entry.ended_at = new Date().toISOString();
      if (chain) state.inflight.set(chain, (state.inflight.get(chain) ?? []).filter((other) => other !== entry));
    }
  };

  const samples = (() => {
    const manifest = new URL('samples.json', samplesDir);
    if (!existsSync(manifest)) return {};
    const list = JSON.parse(readFileSync(manifest, 'utf8'));
    return Object.fromEntries(list.map((sample) => [sample.event, new URL(sample.file, samplesDir)]));
  })();

  const actorOf = () => userSummary(seed.users[state.signedIn]);
  const commitView = (repo, hash, message, author, date, parent) => {
    const api = `${apiOrigin}/2.0/repositories/${repo.full_name}`;
    return {
      type: 'commit', hash, date, author, message,
      summary: { type: 'rendered', raw: message, markup: 'markdown', html: `<p>${escapeHtml(message.trim())}</p>` },
      links: {
        self: { href: `${api}/commit/${hash}` }, html: { href: `${web}/${repo.full_name}/commits/${hash}` },
        diff: { href: `${api}/diff/${hash}` }, approve: { href: `${api}/commit/${hash}/approve` },
        comments: { href: `${api}/commit/${hash}/comments` }, statuses: { href: `${api}/commit/${hash}/statuses` },
        patch: { href: `${api}/patch/${hash}` },
      },
      parents: parent ? [{
        hash: parent, type: 'commit',
        links: { self: { href: `${api}/commit/${parent}` }, html: { href: `${web}/${repo.full_name}/commits/${parent}` } },
      }] : [],
      rendered: {}, properties: {},
    };
  };
  const branchView = (repo, name, target) => ({
    name, target, type: 'branch',
    links: {
      self: { href: `${apiOrigin}/2.0/repositories/${repo.full_name}/refs/branches/${encodeURIComponent(name)}` },
      commits: { href: `${apiOrigin}/2.0/repositories/${repo.full_name}/commits/${encodeURIComponent(name)}` },
      html: { href: `${web}/${repo.full_name}/branch/${encodeURIComponent(name)}` },
    },
    merge_strategies: ['merge_commit', 'squash', 'fast_forward'], default_merge_strategy: 'merge_commit',
  });

  // Returns a repo:push payload for count new commits on branch, moving the branch's head.
  /** @param {any} repo @param {{ branch?: string, commits?: number, message?: string, author?: string }} [options] */
  const pushPayload = (repo, { branch = 'main', commits = 1, message, author } = {}) => {
    const heads = state.branches.get(repo.full_name);
    const oldHash = heads[branch] ?? null;
    const actor = seed.users[state.signedIn];
    const authorView = typeof author === 'string' && author !== ''
      ? { type: 'author', raw: author }
      : { type: 'author', raw: `${actor.display_name} <${actor.email}>`, user: userSummary(actor) };
    const made = [];
    let parent = oldHash;
    const start = Date.now() - commits * 60_000;
    for (let i = 0; i < commits; i += 1) {
      const hash = createHash('sha1').update(`${repo.full_name}:${branch}:${parent}:${randomUUID()}`).digest('hex');
      const text = message ?? `Change ${i + 1} of ${commits} on ${branch}\n`;
      made.push(commitView(repo, hash, commits > 1 && message ? `${message} (${i + 1}/${commits})` : text, authorView,
        new Date(start + i * 60_000).toISOString().replace(/\.\d+Z$/, '+00:00'), parent));
      parent = hash;
    }
    heads[branch] = parent;
    const newest = made.at(-1);
    const api = `${apiOrigin}/2.0/repositories/${repo.full_name}`;
    const oldTarget = oldHash && commitView(repo, oldHash, 'Earlier work\n', authorView, '2026-11-01T09:00:00+00:00', null);
    return {
      push: {
        changes: [{
          old: oldHash ? branchView(repo, branch, oldTarget) : null,
          new: branchView(repo, branch, newest),
          truncated: made.length > 5, created: oldHash === null, forced: false, closed: false,
          links: {
            commits: { href: `${api}/commits?include=${newest.hash}${oldHash ? `&exclude=${oldHash}` : ''}` },
            diff: { href: `${api}/diff/${newest.hash}${oldHash ? `..${oldHash}` : ''}` },
            html: { href: `${web}/${repo.full_name}/branches/compare/${newest.hash}${oldHash ? `..${oldHash}` : ''}` },
          },
          // Bitbucket lists at most five commits, newest first, and says truncated when there were more.
          commits: made.slice(-5).reverse(),
        }],
      },
      repository: repoPayloadView(repo),
      actor: userSummary(actor),
    };
  };

  const builtPayload = (repo, event) => {
    const actor = actorOf();
    const repository = repoPayloadView(repo);
    if (samples[event] && existsSync(samples[event])) {
      const text = readFileSync(samples[event], 'utf8').replaceAll('acme/relay-api', repo.full_name);
      return { ...JSON.parse(text), repository, actor };
    }
    const now = new Date().toISOString();
    const html = (tail) => ({ href: `${web}/${repo.full_name}/${tail}` });
    if (event.startsWith('pullrequest:')) {
      const head = state.branches.get(repo.full_name).main;
      return {
        actor, repository,
        pullrequest: {
          type: 'pullrequest', id: 1, title: 'Add a feature', description: 'Adds a feature.', state: 'OPEN',
          author: actor, created_on: now, updated_on: now, close_source_branch: false, comment_count: 0,
          task_count: 0, reason: '', merge_commit: null, closed_by: null, participants: [], reviewers: [],
          source: { branch: { name: 'feature/add' }, commit: { hash: head.slice(0, 12), type: 'commit' }, repository },
          destination: { branch: { name: 'main' }, commit: { hash: head.slice(0, 12), type: 'commit' }, repository },
          links: { html: html('pull-requests/1'), self: { href: `${apiOrigin}/2.0/repositories/${repo.full_name}/pullrequests/1` } },
        },
      };
    }
    if (event.startsWith('issue:')) {
      return {
        actor, repository,
        issue: {
          type: 'issue', id: 1, title: 'Something is broken', state: 'new', kind: 'bug', priority: 'major',
          content: { type: 'rendered', raw: 'Steps to reproduce…', markup: 'markdown', html: '<p>Steps to reproduce…</p>' },
          reporter: actor, assignee: null, component: null, milestone: null, version: null, votes: 0,
          created_on: now, updated_on: now, edited_on: null,
          links: { html: html('issues/1'), self: { href: `${apiOrigin}/2.0/repositories/${repo.full_name}/issues/1` } },
        },
      };
    }
    return { actor, repository };
  };

  // POSTs body to the hook as Bitbucket does: a 5xx or a network error is retried at once, twice at most.
  const deliverOne = async (repo, hook, event, payload) => {
    const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
    const requestUuid = randomUUID();
    const attempts = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const headers = {
        'content-type': 'application/json', 'user-agent': 'Bitbucket-Webhooks/2.0', 'x-event-key': event,
        'x-hook-uuid': bare(hook.uuid), 'x-request-uuid': requestUuid, 'x-attempt-number': String(attempt),
        'content-length': String(bytes.length),
      };
      if (hook.secret !== null) headers['x-hub-signature'] = `sha256=${createHmac('sha256', hook.secret).update(bytes).digest('hex')}`;
      const result = await post(hook.url, headers, bytes, state.config.delivery_timeout_ms, hook.skip_cert_verification);
      attempts.push(result);
      say(`delivery of ${event} to ${hook.url} (hook ${hook.uuid}, attempt ${attempt}) → ${result.status ?? result.error}`);
      if (result.status !== null && result.status < 500) break;
    }
    const record = { event, repository: repo.full_name, hook: hook.uuid, url: hook.url, request_uuid: requestUuid, attempts };
    state.deliveries.push(record);
    return record;
  };

  const deliver = async (repo, event, payload) => {
    const hooks = hooksOf(repo).filter((hook) => hook.active && hook.events.includes(event));
    const deliveries = await Promise.all(hooks.map((hook) => deliverOne(repo, hook, event, payload)));
    if (hooks.length === 0) say(`${event} on ${repo.full_name}: no active hook selected it`);
    return { event, repository: repo.full_name, deliveries };
  };

  const controlRoute = async (request, url, body) => {
    const method = request.method;
    const path = url.pathname;
    const input = () => {
      if (!body) return {};
      try {
        return JSON.parse(body);
      } catch {
        throw new ApiFailure(400, { error: 'the body is not JSON' });
      }
    };
    const bad = (message) => { throw new ApiFailure(400, { error: message }); };
    if (path === '/_standin/state' && method === 'GET') {
      return {
        config: state.config, signed_in: state.signedIn,
        hooks: Object.fromEntries([...state.hooks].map(([name, hooks]) => [name, hooks.map((hook) => ({
          ...hookView(repositoryOf(...name.split('/')), hook), secret: hook.secret,
        }))])),
        authorisations: state.authorisations, token_requests: state.tokenRequests, violations: state.violations,
        requests: state.requests, deliveries: state.deliveries,
        issued: [...state.codes.keys(), ...state.accessTokens.keys(), ...state.refreshTokens.keys()],
        failures: state.failures.map(({ regexp, ...rule }) => ({ ...rule, path: regexp.source })),
      };
    }
    if (method !== 'POST') return null;
    if (path === '/_standin/reset') {
      reset();
      say('reset to the seed');
      return { reset: true };
    }
    if (path === '/_standin/config') {
      const changes = input();
      const next = { ...state.config };
      const defaults = defaultConfig();
      for (const [key, value] of Object.entries(changes)) {
        if (!(key in defaults)) bad(`unknown config key ${key}`);
        if (typeof value !== typeof defaults[key]) bad(`${key} must be a ${typeof defaults[key]}`);
        if (typeof value === 'number' && !(value >= 0)) bad(`${key} must be zero or more`);
        next[key] = value;
      }
      if (!['scope', 'scopes'].includes(next.scope_key)) bad('scope_key must be "scope" or "scopes"');
      if (!['invalid_grant', 'invalid_request'].includes(next.refresh_error)) bad('refresh_error must be invalid_grant or invalid_request');
      if (next.access_token_ttl < 1) bad('access_token_ttl must be at least 1');
      state.config = next;
      say(`config ${JSON.stringify(changes)}`);
      return state.config;
    }
    if (path === '/_standin/login') {
      const { user } = input();
      if (!seed.users[user]) bad(`unknown user ${user}: ada or grace`);
      state.signedIn = user;
      say(`signed in as ${user}`);
      return { signed_in: user };
    }
    if (path === '/_standin/revoke' || path === '/_standin/expire') {
      const { chain } = input();
      let count = 0;
      const stores = path === '/_standin/revoke' ? [state.accessTokens, state.refreshTokens] : [state.accessTokens];
      for (const store of stores) {
        for (const record of store.values()) {
          if (chain !== undefined && record.chain !== chain) continue;
          if (path === '/_standin/revoke') record.revoked = true;
          else record.expiresAt = Math.min(record.expiresAt, Date.now());
          count += 1;
        }
      }
      say(`${path.endsWith('revoke') ? 'revoked' : 'expired'} ${count} tokens${chain ? ` of ${chain}` : ''}`);
      return { [path.endsWith('revoke') ? 'revoked' : 'expired']: count };
    }
    if (path === '/_standin/fail') {
      const rule = input();
      if (![429, 500, 502, 503].includes(rule.status)) bad('status must be 429, 500, 502 or 503');
      if (typeof rule.path !== 'string') bad('path must be a regular expression (a string)');
      let regexp;
      try {
        regexp = new RegExp(rule.path);
      } catch (error) {
        bad(`path: ${error.message}`);
      }
      const listener = rule.listener ?? 'api';
      if (!['api', 'web'].includes(listener)) bad('listener must be api or web');
      state.failures.push({
        method: rule.method ? String(rule.method).toUpperCase() : null, regexp, status: rule.status,
        times: Number.isInteger(rule.times) && rule.times > 0 ? rule.times : 1, retry_after: rule.retry_after, listener,
      });
      return { failures: state.failures.length };
    }
    const repoPath = /^\/_standin\/repositories\/([^/]+)\/([^/]+)\/(push|events|hooks\/fill)$/.exec(path);
    if (!repoPath) return null;
    const repo = repositoryOf(decodeURIComponent(repoPath[1]), decodeURIComponent(repoPath[2]));
    if (!repo) throw new ApiFailure(404, { error: `no repository ${repoPath[1]}/${repoPath[2]}` });
    const options = input();
    if (repoPath[3] === 'hooks/fill') {
      const count = Math.min(Number(options.count ?? maxHooks), maxHooks);
      // Dummy hooks are inactive so that a push never tries to reach their (unroutable) URLs.
      while (hooksOf(repo).length < count) {
        const n = hooksOf(repo).length + 1;
        hooksOf(repo).push({
          uuid: `{${randomUUID()}}`, created_at: new Date().toISOString(), description: `Dummy hook ${n}`,
          url: `https://hooks.invalid/dummy/${n}`, active: false, secret: null, skip_cert_verification: false,
          events: ['repo:push'],
        });
      }
      return { repository: repo.full_name, hooks: hooksOf(repo).length };
    }
    if (repoPath[3] === 'push') {
      const commits = options.commits ?? 1;
      if (!Number.isInteger(commits) || commits < 1 || commits > 100) bad('commits must be an integer from 1 to 100');
      const payload = pushPayload(repo, { ...options, commits });
      return deliver(repo, 'repo:push', payload);
    }
    if (typeof options.event !== 'string' || options.event === '') bad('event is required');
    const payload = options.payload ?? builtPayload(repo, options.event);
    return deliver(repo, options.event, payload);
  };

  const handleWeb = async (request, response, url, body) => {
    const path = url.pathname;
    if (path.startsWith('/_standin/')) {
      try {
        const answer = await controlRoute(request, url, body);
        if (answer === null) return send(response, 404, { error: `no control route ${request.method} ${path}` });
        return send(response, 200, answer);
      } catch (error) {
        if (!(error instanceof ApiFailure)) throw error;
        return send(response, error.status, error.body);
      }
    }
    const rule = path.startsWith('/site/oauth2/authorize') ? takeFailure('web', request.method, path) : null;
    if (rule) {
      const failure = failureAnswer(rule);
      return page(response, failure.status, 'Something went wrong', '<h1>Something went wrong</h1>');
    }
    if (path === '/site/oauth2/authorize' && request.method === 'GET') return consentPage(response, url);
    if (path === '/site/oauth2/authorize' && request.method === 'POST') return decide(request, response, body);
    if (path === '/site/oauth2/access_token' && request.method === 'POST') return handleToken(request, response, body);
    if (path === '/site/oauth2/access_token' || path === '/site/oauth2/authorize') {
      response.writeHead(405, { allow: path.endsWith('authorize') ? 'GET, POST' : 'POST', 'content-type': 'text/plain' });
      return response.end('Method Not Allowed');
    }
    const repoPage = /^\/([^/_][^/]*)\/([^/]+)\/?$/.exec(path);
    const shown = repoPage && request.method === 'GET'
      ? repositoryOf(decodeURIComponent(repoPage[1]), decodeURIComponent(repoPage[2])) : null;
    if (shown) return repositoryPage(response, shown);
    return page(response, 404, 'Page not found', '<h1>That link has no power here</h1><p>Page not found.</p>');
  };

  // The repository's page, as far as a person trying dispatch locally needs it: its webhooks (what
  // Repository settings → Webhooks shows) and how to make it push.
  const repositoryPage = (response, repo) => {
    const rows = hooksOf(repo).map((hook) => `<tr><td>${escapeHtml(hook.description)}</td><td><code>${escapeHtml(hook.url)}</code></td>`
      + `<td>${hook.active ? 'active' : 'inactive'}</td><td>${escapeHtml(hook.events.join(', '))}</td></tr>`).join('\n');
    page(response, 200, repo.full_name, `<h1>${escapeHtml(repo.full_name)}</h1>
<p>The local Bitbucket stand-in's copy of this repository.</p>
<h2>Webhooks</h2>
${rows ? `<table><thead><tr><th>Title</th><th>URL</th><th>Status</th><th>Triggers</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No webhooks.</p>'}
<h2>Make it push</h2>
<p><code>curl -sS -X POST ${escapeHtml(webOrigin)}/_standin/repositories/${escapeHtml(repo.full_name)}/push</code></p>`);
  };

  const listener = (handle) => createServer(async (request, response) => {
    const url = new URL(request.url, 'http://standin');
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      await handle(request, response, url, body);
    } catch (error) {
      console.error('bitbucket-standin:', error);
      if (!response.headersSent) send(response, 500, apiError('Something went wrong'));
      else response.end();
    }
  });

  const webServer = listener(handleWeb);
  const apiServer = listener(handleApi);
  const bind = (server, port) => new Promise((ready, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ready(server.address().port));
  });
  const boundWeb = await bind(webServer, webPort);
  const boundApi = await bind(apiServer, apiPort);
  webOrigin = `http://${host}:${boundWeb}`;
  apiOrigin = `http://${host}:${boundApi}`;

  const control = async (method, path, body) => {
    const answer = await fetch(`${webOrigin}${path}`, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await answer.json();
    if (!answer.ok) throw new Error(`bitbucket-standin control ${method} ${path}: ${answer.status} ${JSON.stringify(json)}`);
    return json;
  };

  // Plays the browser on an authorize URL: opens the consent page and presses a button. Returns
  // {status, location} (location is null when Bitbucket showed an error page instead of redirecting).
  const consent = async (authorizeUrl, decision = 'grant') => {
    const opened = await fetch(authorizeUrl, { redirect: 'manual' });
    const html = await opened.text();
    const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
    if (opened.status !== 200 || !csrf) return { status: opened.status, location: null, html };
    const posted = await fetch(authorizeUrl, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfmiddlewaretoken: csrf[1], decision }).toString(),
    });
    return { status: posted.status, location: posted.headers.get('location') };
  };

  return {
    webUrl: webOrigin, apiUrl: `${apiOrigin}/2.0`, webPort: boundWeb, apiPort: boundApi,
    clientId, clientSecret, callbackUrl,
    authorizeUrl: (params = {}) => `${webOrigin}/site/oauth2/authorize?${new URLSearchParams({ client_id: clientId, response_type: 'code', ...params })}`,
    control, consent,
    state: () => control('GET', '/_standin/state'),
    close: () => {
      if (saver) {
        clearInterval(saver);
        save();
      }
      return Promise.all([webServer, apiServer].map((server) => new Promise((done) => {
        server.closeAllConnections?.();
        server.close(done);
      })));
    },
  };
}

// Returns true for an absolute http(s) URL with a host, as Django's URLValidator would accept.
function validUrl(text) {
  if (typeof text !== 'string' || text.length > 2000 || /\s/.test(text)) return false;
  let url;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (!['http:', 'https:'].includes(url.protocol) || !url.hostname) return false;
  const host = url.hostname;
  return host === 'localhost' || /^\[[0-9a-f:.]+\]$/i.test(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)
    || /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}\.?$/i.test(host);
}

// Returns a predicate over objects for a BBQL query (fields, = != ~ !~ > >= < <=, "strings", numbers,
// true/false/null, AND, OR, parentheses); throws the API's 400 when it cannot be parsed.
function compileQuery(text, fields) {
  // UNCONFIRMED: Bitbucket's exact wording for a query it cannot parse (the 400 and the shape are its own).
  const fail = (reason, at) => {
    throw new ApiFailure(400, { type: 'error', error: { message: `Invalid query: ${reason}`, detail: `at position ${at}: ${text}` } });
  };
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i += 1; continue; }
    if (c === '(' || c === ')') { tokens.push({ kind: c, at: i }); i += 1; continue; }
    const op = /^(!~|!=|>=|<=|~|=|>|<)/.exec(text.slice(i));
    if (op) { tokens.push({ kind: 'op', value: op[1], at: i }); i += op[1].length; continue; }
    if (c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j += 1) {
        if (text[j] === '\\' && j + 1 < text.length) j += 1;
        value += text[j];
      }
      if (j >= text.length) fail('unterminated string', i);
      tokens.push({ kind: 'value', value, at: i });
      i = j + 1;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
    if (word) {
      const upper = word[0].toUpperCase();
      if (upper === 'AND' || upper === 'OR') tokens.push({ kind: upper, at: i });
      else if (['true', 'false', 'null'].includes(word[0])) tokens.push({ kind: 'value', value: JSON.parse(word[0]), at: i });
      else tokens.push({ kind: 'field', value: word[0], at: i });
      i += word[0].length;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(text.slice(i));
    if (number) { tokens.push({ kind: 'value', value: Number(number[0]), at: i }); i += number[0].length; continue; }
    fail(`unexpected character '${c}'`, i);
  }
  let position = 0;
  const peek = () => tokens[position];
  const expect = (kind) => {
    const token = tokens[position];
    if (!token || token.kind !== kind) fail(`expected ${kind === 'value' ? 'a value' : kind}`, token?.at ?? text.length);
    position += 1;
    return token;
  };
  const read = (object, path) => path.split('.').reduce((node, key) => (node == null ? undefined : node[key]), object);
  const comparison = () => {
    if (peek()?.kind === '(') {
      position += 1;
      const inner = disjunction();
      expect(')');
      return inner;
    }
    const field = expect('field');
    if (!fields.includes(field.value)) fail(`'${field.value}' is not a field that can be queried`, field.at);
    const op = expect('op').value;
    const { value } = expect('value');
    if ((op === '~' || op === '!~') && typeof value !== 'string') fail(`${op} needs a string`, field.at);
    return (object) => {
      const actual = read(object, field.value);
      const contains = () => String(actual ?? '').toLowerCase().includes(value.toLowerCase());
      switch (op) {
        case '~': return contains();
        case '!~': return !contains();
        case '=': return actual === value || (actual === undefined && value === null);
        case '!=': return !(actual === value || (actual === undefined && value === null));
        case '>': return actual > value;
        case '>=': return actual >= value;
        case '<': return actual < value;
        default: return actual <= value;
      }
    };
  };
  const conjunction = () => {
    let left = comparison();
    while (peek()?.kind === 'AND') {
      position += 1;
      const a = left;
      const b = comparison();
      left = (object) => a(object) && b(object);
    }
    return left;
  };
  const disjunction = () => {
    let left = conjunction();
    while (peek()?.kind === 'OR') {
      position += 1;
      const a = left;
      const b = conjunction();
      left = (object) => a(object) || b(object);
    }
    return left;
  };
  if (tokens.length === 0) fail('empty query', 0);
  const predicate = disjunction();
  if (position < tokens.length) fail('unexpected input', tokens[position].at);
  return predicate;
}

// POSTs bytes; resolves {status, body (first 1 KB), ms} or {status: null, error, ms}, never rejects.
function post(target, headers, bytes, timeoutMs, skipCertVerification) {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, ms: Date.now() - started });
    };
    let url;
    try {
      url = new URL(target);
    } catch {
      return finish({ status: null, error: 'invalid url', body: '' });
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: 'POST', headers, rejectUnauthorized: !skipCertVerification }, (response) => {
      const chunks = [];
      let length = 0;
      response.on('data', (chunk) => {
        if (length < 1024) chunks.push(chunk);
        length += chunk.length;
      });
      response.on('end', () => finish({ status: response.statusCode, body: Buffer.concat(chunks).subarray(0, 1024).toString('utf8') }));
      response.on('error', (error) => finish({ status: null, error: error.message, body: '' }));
    });
    request.setTimeout(timeoutMs, () => {
      request.destroy(new Error(`timed out after ${timeoutMs} ms`));
    });
    request.on('error', (error) => finish({ status: null, error: error.message, body: '' }));
    request.end(bytes);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = (name, fallback) => {
    const index = process.argv.indexOf(name);
    return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
  };
  const standin = await startBitbucketStandin({
    webPort: Number(flag('--port', flag('--web-port', '8790'))),
    apiPort: Number(flag('--api-port', '8791')),
    host: flag('--host', '127.0.0.1'),
    clientId: flag('--client-id', process.env.STANDIN_CLIENT_ID ?? process.env.BITBUCKET_CLIENT_ID ?? 'dispatch-local'),
    clientSecret: flag('--client-secret', process.env.STANDIN_CLIENT_SECRET ?? process.env.BITBUCKET_CLIENT_SECRET ?? 'dispatch-local-secret'),
    callbackUrl: flag('--callback', 'http://127.0.0.1:8787/oauth/bitbucket/callback'),
    print: true,
    stateFile: flag('--state', null),
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      await standin.close();
      process.exit(0);
    });
  }
  console.log(`bitbucket-standin: web (bitbucket.org) on ${standin.webUrl}, api on ${standin.apiUrl}`);
  console.log(`bitbucket-standin: consumer ${standin.clientId} (secret ${mask(standin.clientSecret)}), callback ${standin.callbackUrl}`);
}
