// Where dispatch may POST, the one rule read by the Worker (when a destination is saved, and again before every
// POST, for rows saved under another setting) and by the pages (as it is typed): https, no credentials, a
// Discord address only as a webhook URL, and no destination on this machine or a private network (SSRF),
// unless the Worker runs for local development (ALLOW_LOCAL_DESTINATIONS = "true": the Discord stand-in on
// 127.0.0.1, whose webhook URLs then count as Discord's). It imports nothing, so the pages load it as it is.
//
// Only the URL is checked. Workers has no DNS API, so a public name that resolves to a private address is
// not caught here; Cloudflare's docs offer private networks to a Worker only through a Workers VPC binding
// (a tunnel; developers.cloudflare.com/workers-vpc/configuration/vpc-services/), not through plain fetch().
//
// Documented limits, then: a name such as 127.0.0.1.nip.io, which public DNS answers with a private
// address, passes this check; so does DNS rebinding (a name that resolves publicly when saved and privately
// when used). What stops those is the network fetch() runs on, not this file.

// Returns true when the Worker is configured for local development.
/** @param {{ ALLOW_LOCAL_DESTINATIONS?: string }} [env] the Worker's Env, or what a page knows of it */
export function localDestinationsAllowed(env = {}) {
  return env.ALLOW_LOCAL_DESTINATIONS === 'true';
}

// [first address, prefix length, what it is] for IPv4.
const privateV4 = /** @type {[string, number, string][]} */ ([
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address (cloud metadata lives there)'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['224.0.0.0', 3, 'a multicast or reserved address'],
]).map(([first, bits, what]) => /** @type {[number, number, string]} */ ([v4Number(first), bits, what]));

/** @param {string} text dotted decimal */
function v4Number(text) {
  return text.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

/** @param {number} value @returns {string | null} */
function v4Kind(value) {
  for (const [first, bits, what] of privateV4) {
    const size = 2 ** (32 - bits);
    if (value >= first && value < first + size) return what;
  }
  return null;
}

/** @param {number} value */
function v4Text(value) {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

// The 8 groups of an IPv6 address (`::` expanded), or null when it is not one. WHATWG URL serializes in
// lower case and hex only, but a dotted IPv4 tail (::ffff:127.0.0.1) is read too, for callers other than URL.
/** @param {string} text @returns {number[] | null} */
function v6Groups(text) {
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const value = v4Number(dotted[2]);
    text = `${dotted[1]}${Math.floor(value / 65536).toString(16)}:${(value % 65536).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  /** @param {string} s */
  const part = (s) => (s === '' ? [] : s.split(':').map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : NaN)));
  const left = part(halves[0]);
  const right = halves.length === 2 ? part(halves[1]) : [];
  const gap = 8 - left.length - right.length;
  if (halves.length === 2 ? gap < 1 : gap !== 0) return null;
  const groups = [...left, ...new Array(gap).fill(0), ...right];
  return groups.some(Number.isNaN) ? null : groups;
}

// An IPv4 address carried inside an IPv6 one: refused when the IPv4 address is, in the same words, naming
// both it and the carrier. `loopback` only for the mapped form, which is the same socket as the IPv4 address.
/** @typedef {{ what: string, loopback: boolean }} HostKind */
/** @param {number} value @param {string} carrier @param {{ loopback?: boolean }} [options] @returns {HostKind | null} */
function embeddedKind(value, carrier, { loopback = false } = {}) {
  const kind = v4Kind(value);
  if (!kind) return null;
  return { what: `IPv4 ${v4Text(value)} inside IPv6 (${carrier}), ${kind}`, loopback: loopback && kind.startsWith('a loopback') };
}

/** @param {number[] | null} groups @returns {HostKind | null} */
function v6Kind(groups) {
  if (!groups) return { what: 'an IPv6 address this check cannot read', loopback: false };
  /** @param {number} from @param {number} to */
  const zeros = (from, to) => groups.slice(from, to).every((group) => group === 0);
  const low32 = groups[6] * 65536 + groups[7];
  /** @param {string} what @returns {HostKind} */
  const named = (what) => ({ what, loopback: false });
  if (zeros(0, 8)) return named('the unspecified address');
  if (zeros(0, 7) && groups[7] === 1) return { what: 'a loopback address', loopback: true };
  // ::ffff:0:0/96 (mapped), ::ffff:0:0:0/96 (translated, RFC 2765), ::/96 (the old "compatible" form).
  if (zeros(0, 5) && groups[5] === 0xffff) return embeddedKind(low32, 'IPv4-mapped', { loopback: true });
  if (zeros(0, 4) && groups[4] === 0xffff && groups[5] === 0) return embeddedKind(low32, 'IPv4-translated');
  if (zeros(0, 6)) return embeddedKind(low32, 'IPv4-compatible');
  // NAT64 (RFC 6052): the gateway forwards to the IPv4 address in the last 32 bits, which must be public.
  // The local-use prefix (RFC 8215) is the network's own, its layout its operator's: refused whole.
  if (groups[0] === 0x64 && groups[1] === 0xff9b) {
    if (zeros(2, 6)) return embeddedKind(low32, 'NAT64');
    if (groups[2] === 1) return named('a local-use NAT64 address (IPv4 inside IPv6: NAT64 for a local network, 64:ff9b:1::/48)');
  }
  // 6to4 (RFC 3056): the relay's IPv4 address in bits 16..47.
  if (groups[0] === 0x2002) return embeddedKind(groups[1] * 65536 + groups[2], '6to4');
  // Teredo (RFC 4380) is refused whole: it reaches a host behind NAT through a relay, never where a webhook
  // is served, and checking its two IPv4 addresses would still leave the relay's network to decide. The
  // reason names an embedded address that is not public, since that is the likelier probe.
  if (groups[0] === 0x2001 && groups[1] === 0) {
    const server = groups[2] * 65536 + groups[3];
    const client = 0xffffffff - low32; // stored inverted (XOR with all ones)
    return embeddedKind(server, 'Teredo server') ?? embeddedKind(client, 'Teredo client')
      ?? named(`a Teredo tunnel address (IPv4 inside IPv6: Teredo, server ${v4Text(server)}, client ${v4Text(client)})`);
  }
  if (groups[0] === 0x100 && zeros(1, 4)) return named('a discard-only address (100::/64)');
  if ((groups[0] & 0xfe00) === 0xfc00) return named('a unique local address');
  if ((groups[0] & 0xffc0) === 0xfe80) return named('a link-local address');
  if ((groups[0] & 0xffc0) === 0xfec0) return named('a site-local address (deprecated, still routed privately)');
  if ((groups[0] & 0xff00) === 0xff00) return named('a multicast address');
  // Everything else outside 2000::/3 is unassigned or reserved, so no webhook lives there.
  if ((groups[0] & 0xe000) !== 0x2000) return named('an IPv6 address outside the global unicast range (2000::/3)');
  return null;
}

// Name suffixes that public DNS does not answer: [suffix, what]. RFC 6761 (localhost), RFC 6762 (local, and
// appendix G: intranet, internal, private, corp, home, lan), RFC 8375 (home.arpa), Kubernetes (svc).
const privateNames = [
  ['localhost', 'a loopback name'],
  ['internal', 'an internal name (metadata.google.internal is one)'],
  ['local', 'a local network name'],
  ['home.arpa', 'a home network name'],
  ['home', 'a home network name'],
  ['lan', 'a local network name'],
  ['intranet', 'an intranet name'],
  ['corp', 'a private network name'],
  ['private', 'a private network name'],
  ['svc', 'a Kubernetes service name'],
];

// { what, loopback } for a local or private host (as `new URL` gives it), or null for a public one.
/** @param {string} hostname @returns {HostKind | null} */
function hostKind(hostname) {
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  if (host.startsWith('[')) return v6Kind(v6Groups(host.slice(1, -1)));
  // WHATWG URL has already turned every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1) into dotted decimal.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    const what = v4Kind(v4Number(host));
    return what === null ? null : { what, loopback: what.startsWith('a loopback') };
  }
  for (const [suffix, what] of privateNames) {
    if (host === suffix || host.endsWith(`.${suffix}`)) return { what, loopback: suffix === 'localhost' };
  }
  // A name without a dot is completed by a local search domain, if anything answers it.
  if (!host.includes('.')) return { what: 'a single-label name (only a local search domain answers it)', loopback: false };
  return null;
}

// Returns what kind of local or private place `hostname` (as `new URL` gives it) names, or null.
/** @param {string} hostname */
export function privateHostKind(hostname) {
  return hostKind(hostname)?.what ?? null;
}

/** @param {string} hostname */
function isLoopback(hostname) {
  return hostKind(hostname)?.loopback === true;
}

// Discord's webhook hosts.
const discordHost = /^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$/;
// The path of a Discord webhook (`/api/webhooks/{id}/{token}`, optionally versioned), or of one of its messages
// (`…/messages/{id}`).
const webhookPathShape = /^\/api(?:\/v\d+)?\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(\d+))?\/?$/;

// Returns the parts of a Discord webhook URL's path {id, token, message?} (`message` for one of its
// messages), or null for a path of another shape. Any host: the caller decides which hosts count.
/** @param {string} pathname @returns {{id: string, token: string, message?: string} | null} */
export function webhookPath(pathname) {
  const match = webhookPathShape.exec(pathname);
  if (!match) return null;
  return match[3] === undefined ? { id: match[1], token: match[2] } : { id: match[1], token: match[2], message: match[3] };
}

// True when `parts` (webhookPath's) name a webhook as Discord issues one: not a message, the id a snowflake,
// the token URL-safe base64.
const issuedWebhook = (/** @type {{id: string, token: string, message?: string} | null} */ parts) => parts !== null && parts.message === undefined && parts.id.length <= 20
  && /^[A-Za-z0-9_-]{1,200}$/.test(parts.token);

// The one rule for a destination, read by the admin API and by the pages. Returns {kind, problem?, webhook?,
// standIn?}:
//   - "empty": nothing given;
//   - "refused": dispatch will not send there; `problem` says why, without its subject ("is not a URL"), so
//     the API writes "destination_url is not a URL" and a page "This URL is not a URL";
//   - "discord": a Discord webhook (its id in `webhook`); with `standIn`, a webhook of the local Discord
//     stand-in (a loopback URL shaped as Discord's, accepted only where local destinations are allowed);
//   - "other": a URL dispatch may POST to that is not a Discord webhook; the API accepts it, a page asks first.
// A Discord address that is not a webhook URL (a channel link, a placeholder such as …/webhooks/…) is
// refused: Discord would answer every delivery with an error.
/**
 * @typedef {{ kind: 'empty' | 'refused' | 'discord' | 'other', problem?: string, webhook?: string,
 *   standIn?: boolean }} DestinationCheck
 */
/** @param {unknown} value @param {{ ALLOW_LOCAL_DESTINATIONS?: string }} [env] @returns {DestinationCheck} */
export function checkDestination(value, env) {
  if (typeof value !== 'string' || value.trim() === '') return { kind: 'empty', problem: 'must be a URL string' };
  const text = value.trim();
  if (text.length > 2048) return refused('is longer than 2048 characters');
  let url;
  try {
    url = new URL(text);
  } catch {
    return refused('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refused('must be https');
  if (url.username || url.password) return refused('must not carry a user name or password');
  const local = localDestinationsAllowed(env);
  const kind = privateHostKind(url.hostname);
  if (kind && !local) {
    return refused(`points to ${url.hostname}, which is ${kind}; dispatch sends only to public addresses `
      + '(ALLOW_LOCAL_DESTINATIONS is for local development)');
  }
  if (url.protocol === 'http:' && !(local && isLoopback(url.hostname))) {
    return refused(local ? 'must be https (plain http only to this machine, in local development)' : 'must be https');
  }
  const parts = webhookPath(url.pathname);
  const webhook = issuedWebhook(parts) ? parts : null;
  if (discordHost.test(url.hostname.toLowerCase())) {
    if (url.protocol !== 'https:') return refused('must be https');
    if (!webhook) {
      return refused('is a Discord address but not a webhook URL: copy it from the channel\'s settings (Integrations → '
        + 'Webhooks → Copy Webhook URL); it looks like https://discord.com/api/webhooks/{id}/{token}');
    }
    return { kind: 'discord', webhook: webhook.id };
  }
  if (webhook && local && isLoopback(url.hostname)) return { kind: 'discord', webhook: webhook.id, standIn: true };
  return { kind: 'other' };
}

/** @param {string} problem @returns {DestinationCheck} */
function refused(problem) {
  return { kind: 'refused', problem };
}

// Checks where a destination URL points. Returns a reason starting with "destination_url", or null when
// dispatch may POST there (a Discord webhook, or another URL it may reach).
/** @param {unknown} value @param {{ ALLOW_LOCAL_DESTINATIONS?: string }} [env] */
export function destinationRefusal(value, env) {
  const check = checkDestination(value, env);
  return check.problem ? `destination_url ${check.problem}` : null;
}
