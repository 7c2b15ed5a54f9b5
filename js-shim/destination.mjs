// Where dispatch may POST: no destination on this machine or a private network (SSRF), unless the Worker
// runs for local development (ALLOW_LOCAL_DESTINATIONS = "true": the Discord stand-in on 127.0.0.1).
// Checked when a destination is saved and again before every POST, for rows saved under another setting.
//
// Only the URL is checked. Workers has no DNS API, so a public name that resolves to a private address is
// not caught here; Cloudflare's docs offer private networks to a Worker only through a Workers VPC binding
// (a tunnel; developers.cloudflare.com/workers-vpc/configuration/vpc-services/), not through plain fetch().

// Returns true when the Worker is configured for local development.
export function localDestinationsAllowed(env = {}) {
  return env.ALLOW_LOCAL_DESTINATIONS === 'true';
}

// [first address, prefix length, what it is] for IPv4.
const privateV4 = [
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
].map(([first, bits, what]) => [v4Number(first), bits, what]);

function v4Number(text) {
  return text.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

function v4Kind(value) {
  for (const [first, bits, what] of privateV4) {
    const size = 2 ** (32 - bits);
    if (value >= first && value < first + size) return what;
  }
  return null;
}

// The 8 groups of an IPv6 address as WHATWG URL serializes it (lower case, `::` compressed, no zone).
function v6Groups(text) {
  const [head, tail = null] = text.split('::');
  const part = (s) => (s === '' ? [] : s.split(':').map((group) => parseInt(group, 16)));
  const left = part(head);
  if (tail === null) return left;
  const right = part(tail);
  return [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

function v6Kind(groups) {
  const zeros = (n) => groups.slice(0, n).every((group) => group === 0);
  if (zeros(8)) return 'the unspecified address';
  if (zeros(7) && groups[7] === 1) return 'a loopback address';
  // IPv4-mapped (::ffff:a.b.c.d) and the old IPv4-compatible (::a.b.c.d) forms carry an IPv4 address.
  if (zeros(5) && (groups[5] === 0xffff || groups[5] === 0)) {
    const kind = v4Kind(groups[6] * 65536 + groups[7]);
    if (kind) return `${kind} (IPv4 inside IPv6)`;
  }
  if ((groups[0] & 0xfe00) === 0xfc00) return 'a unique local address';
  if ((groups[0] & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((groups[0] & 0xff00) === 0xff00) return 'a multicast address';
  return null;
}

// Returns what kind of local or private place `hostname` (as `new URL` gives it) names, or null.
export function privateHostKind(hostname) {
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  if (host.startsWith('[')) return v6Kind(v6Groups(host.slice(1, -1)));
  // WHATWG URL has already turned every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1) into dotted decimal.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return v4Kind(v4Number(host));
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback name';
  if (host.endsWith('.internal')) return 'an internal name (metadata.google.internal is one)';
  if (host.endsWith('.local')) return 'a local network name';
  return null;
}

function isLoopback(hostname) {
  const kind = privateHostKind(hostname);
  return kind !== null && kind.startsWith('a loopback');
}

// Checks where a destination URL points. Returns a reason starting with "destination_url", or null when
// dispatch may POST there. Plain http is allowed only to this machine and only in local development.
export function destinationRefusal(value, env) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return 'destination_url is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'destination_url must be https';
  const local = localDestinationsAllowed(env);
  const kind = privateHostKind(url.hostname);
  if (kind && !local) {
    return `destination_url points to ${url.hostname}, which is ${kind}; dispatch sends only to public addresses `
      + '(ALLOW_LOCAL_DESTINATIONS is for local development)';
  }
  if (url.protocol === 'http:' && !(local && isLoopback(url.hostname))) {
    return local ? 'destination_url must be https (plain http only to this machine, in local development)'
      : 'destination_url must be https';
  }
  return null;
}
