// A source's hook at Bitbucket. Sources are endpoints bound to a repository whose webhook dispatch registers
// and owns (the receive path, receive.mjs, is where Bitbucket's deliveries arrive). Registering reconciles with the hooks already on the repository (a hook of ours is updated, never duplicated);
// changing events or the secret updates the hook; disconnecting removes it, and when Bitbucket cannot be
// reached the endpoint is still deactivated and the answer says how to remove the hook by hand.

import { BitbucketError, isRepositoryName } from './bitbucket.mjs';
import { connectionClient } from './connections.mjs';
import { logEvent } from './log.mjs';
import { hubSignature } from './secrets.mjs';
import { hookUrl } from './shared/public-url.mjs';
import { disownLeftBehindHook, getEndpointActive, listLeftBehind, markHookRemoved } from './store-endpoints.mjs';
import { getConnection } from './store-connections.mjs';

// How long the previous secret still verifies after a rotation: 10 minutes, shortened by tests
// through the var SECRET_ROTATION_GRACE_SECONDS.
/** @param {Env} env */
export function rotationGraceSeconds(env) {
  const seconds = Number(env.SECRET_ROTATION_GRACE_SECONDS);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : 10 * 60;
}

// The hook's event keys for an event selection: push only, every key of the catalogue, or the chosen ones.
export function hookEvents(events, catalogue) {
  if (events.mode === 'push') return ['repo:push'];
  if (events.mode === 'all') return catalogue.map((entry) => entry.key);
  return [...new Set(events.custom ?? [])].sort();
}

const description = (name) => `dispatch: ${name}`.slice(0, 255);

// Checks `source` of a create request. Returns a reason, or null.
/** @param {Env} env */
export async function sourceFault(env, source) {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    return 'source must be {"connection":"<id>","repository":"workspace/slug"}';
  }
  const unknown = Object.keys(source).find((key) => !['connection', 'repository'].includes(key));
  if (unknown) return `unknown field "source.${unknown}"; expected connection, repository`;
  if (typeof source.connection !== 'string' || source.connection === '') return 'source.connection must be a connection id';
  if (!isRepositoryName(source.repository)) return 'source.repository must be "workspace/slug"';
  const connection = await getConnection(env.DB, source.connection);
  if (!connection) return `source.connection: no connection ${source.connection}`;
  return null;
}

// The hooks of the repository that point at this dispatch (`base`/hooks/…), with the endpoint id each calls.
function ourHooks(hooks, base) {
  const prefix = `${base}/hooks/`;
  return hooks.filter((hook) => typeof hook.url === 'string' && hook.url.startsWith(prefix))
    .map((hook) => ({ hook, endpointId: decodeURIComponent(hook.url.slice(prefix.length)) }));
}

// Registers the hook of a new source (endpoint not yet active at Bitbucket). A hook of the repository that
// already calls this endpoint, or calls an endpoint of ours that is gone or disconnected (a hook left
// behind), is taken over with PUT; otherwise one is created. Returns {hook_uuid, repository_uuid}.
/** @param {Env} env */
export async function registerHook(env, endpoint, base, catalogue) {
  const client = connectionClient(env, endpoint.connection_id);
  const repository = await client.repository(endpoint.repository);
  const body = {
    description: description(endpoint.name), url: hookUrl(base, endpoint.id), active: true, secret: endpoint.secret,
    events: hookEvents(endpoint.events, catalogue),
  };
  const ours = ourHooks(await client.hooks(endpoint.repository), base);
  let reusable = ours.find(({ endpointId }) => endpointId === endpoint.id);
  if (!reusable) {
    for (const candidate of ours) {
      const owner = await getEndpointActive(env.DB, candidate.endpointId);
      if (!owner || owner.active === 0) {
        reusable = candidate;
        break;
      }
    }
  }
  let hook;
  if (reusable) {
    hook = await client.updateHook(endpoint.repository, reusable.hook.uuid, body);
    // The endpoint that left this hook behind no longer owns it.
    await disownLeftBehindHook(env.DB, reusable.hook.uuid, endpoint.id);
  } else {
    hook = await client.createHook(endpoint.repository, body);
  }
  if (typeof hook?.uuid !== 'string') {
    throw new BitbucketError(502, 'bitbucket_refused', 'Bitbucket answered without the webhook\'s uuid');
  }
  logEvent(reusable ? 'hook_taken_over' : 'hook_registered', { endpoint: endpoint.id, repository: endpoint.repository });
  return { hook_uuid: hook.uuid, repository_uuid: repository?.uuid ?? null };
}

// PUTs the source's current settings (events, and the secret when `withSecret`) to its hook.
/** @param {Env} env */
export async function updateHook(env, endpoint, base, catalogue, { withSecret = false } = {}) {
  const client = connectionClient(env, endpoint.connection_id);
  const body = {
    description: description(endpoint.name), url: hookUrl(base, endpoint.id), active: true,
    events: hookEvents(endpoint.events, catalogue),
  };
  if (withSecret) body.secret = endpoint.secret;
  await client.updateHook(endpoint.repository, endpoint.hook_uuid, body);
}

// The steps to remove a hook by hand, for a person.
export function manualSteps(endpoint, base) {
  return `In Bitbucket, open ${endpoint.repository} → Repository settings → Webhooks, find the webhook whose URL is `
    + `${hookUrl(base, endpoint.id)}${endpoint.hook_uuid ? ` (uuid ${endpoint.hook_uuid})` : ''} and delete it. `
    + 'Until then Bitbucket keeps calling it and dispatch answers 410 Gone.';
}

// Removes a source's hook from Bitbucket. Returns {status:"removed"} or {status:"left_behind", reason, steps}.
/** @param {Env} env */
export async function removeHook(env, endpoint, base) {
  if (!endpoint.hook_uuid) return { status: 'removed' };
  try {
    await connectionClient(env, endpoint.connection_id).deleteHook(endpoint.repository, endpoint.hook_uuid);
    logEvent('hook_removed', { endpoint: endpoint.id, repository: endpoint.repository });
    return { status: 'removed' };
  } catch (error) {
    if (!(error instanceof BitbucketError)) throw error;
    logEvent('hook_left_behind', { endpoint: endpoint.id, code: error.code });
    return { status: 'left_behind', reason: error.message, steps: manualSteps(endpoint, base) };
  }
}

// After an account is connected again: removes the hooks its disconnected sources left behind. Returns how
// many it removed.
/** @param {Env} env */
export async function removeLeftBehind(env, connectionId, base) {
  const results = await listLeftBehind(env.DB, connectionId);
  let removed = 0;
  for (const endpoint of results) {
    const outcome = await removeHook(env, endpoint, base);
    if (outcome.status !== 'removed') continue;
    await markHookRemoved(env.DB, endpoint.id, Date.now());
    removed += 1;
  }
  if (results.length > 0) logEvent('left_behind_cleanup', { connection: connectionId, removed, of: results.length });
  return removed;
}

// Builds the signed request Bitbucket would send for a sample payload of `event` (from the site's samples;
// the closest one of the event's family), made to look as if it came from the source's repository.
// Returns {headers, body} or null when no sample fits.
export async function sampleDelivery(samples, endpoint, event) {
  const family = event.split(':')[0];
  const sample = samples.find((entry) => entry.event === event)
    ?? samples.find((entry) => entry.event.split(':')[0] === family && (family !== 'repo' || entry.event === 'repo:push'))
    ?? samples.find((entry) => entry.event === 'repo:push');
  if (!sample) return null;
  const payload = JSON.parse(sample.body);
  if (endpoint.repository && payload.repository) {
    const [workspace, slug] = endpoint.repository.split('/');
    payload.repository.full_name = endpoint.repository;
    payload.repository.name = slug;
    if (endpoint.repository_uuid) payload.repository.uuid = endpoint.repository_uuid;
    if (payload.repository.links?.html) payload.repository.links.html.href = `https://bitbucket.org/${endpoint.repository}`;
    if (payload.repository.workspace) payload.repository.workspace.slug = workspace;
  }
  const body = new TextEncoder().encode(JSON.stringify(payload));
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'dispatch-test-event',
      'x-event-key': event,
      'x-request-uuid': crypto.randomUUID(),
      'x-hook-uuid': (endpoint.hook_uuid ?? 'test').replace(/[{}]/g, ''),
      'x-attempt-number': '1',
      'x-hub-signature': await hubSignature(endpoint.secret, body),
    },
  };
}
