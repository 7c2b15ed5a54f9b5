// Where dispatch may POST (js-shim/shared/destination.mjs), without a Worker: IPv6 forms that carry an IPv4 address,
// the other non-public IPv6 ranges, and names public DNS does not answer. The everyday spellings (decimal,
// octal and hex IPv4, ::ffff:127.0.0.1) are in outbound.test.mjs.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkDestination, destinationRefusal, privateHostKind } from '../../../js-shim/shared/destination.mjs';

const production = {};

// Asserts each URL is refused in production, and names it in the failure message when it is not.
function assertRefused(urls) {
  for (const url of urls) assert.ok(destinationRefusal(url, production), `${url} was allowed`);
}

test('NAT64 (64:ff9b::/96) is refused when the IPv4 address in its last 32 bits is not public', () => {
  assertRefused(['https://[64:ff9b::7f00:1]/', 'https://[64:ff9b::127.0.0.1]/', 'https://[64:FF9B::10.0.0.1]/',
    'https://[0064:ff9b:0000:0000:0000:0000:a9fe:a9fe]/', 'https://[64:ff9b::192.168.1.1]/']);
  assert.equal(destinationRefusal('https://[64:ff9b::127.0.0.1]/', production),
    'destination_url points to [64:ff9b::7f00:1], which is IPv4 127.0.0.1 inside IPv6 (NAT64), a loopback address; '
    + 'dispatch sends only to public addresses (ALLOW_LOCAL_DESTINATIONS is for local development)');
});

test('local-use NAT64 (64:ff9b:1::/48, RFC 8215) is refused whole, whatever IPv4 address it seems to hold', () => {
  assertRefused(['https://[64:ff9b:1::a00:1]/', 'https://[64:ff9b:1::1.1.1.1]/', 'https://[64:ff9b:1:ffff::8.8.8.8]/']);
  assert.match(destinationRefusal('https://[64:ff9b:1::1.1.1.1]/', production),
    /which is a local-use NAT64 address \(IPv4 inside IPv6: NAT64 for a local network, 64:ff9b:1::\/48\)/);
});

test('6to4 (2002::/16) is refused when the IPv4 address in groups 1 and 2 is not public', () => {
  assertRefused(['https://[2002:7f00:1::1]/', 'https://[2002:0a00:0001::1]/', 'https://[2002:a9fe:a9fe::]/',
    'https://[2002:c0a8:101:1:2:3:4:5]/']);
  assert.match(destinationRefusal('https://[2002:a9fe:a9fe::1]/', production),
    /^destination_url points to \[2002:a9fe:a9fe::1\], which is IPv4 169\.254\.169\.254 inside IPv6 \(6to4\), a link-local address/);
});

test('Teredo (2001::/32) is refused whole, naming an embedded IPv4 address that is not public', () => {
  // The client address is stored inverted: 80ff:fffe is 127.0.0.1, f5ff:fffe is 10.0.0.1.
  assertRefused(['https://[2001:0:101:101::80ff:fffe]/', 'https://[2001:0:101:101:8000:63bf:f5ff:fffe]/',
    'https://[2001:0:a00:1::]/', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/']);
  assert.match(destinationRefusal('https://[2001:0:101:101::80ff:fffe]/', production),
    /which is IPv4 127\.0\.0\.1 inside IPv6 \(Teredo client\), a loopback address/);
  assert.match(destinationRefusal('https://[2001:0:a00:1::]/', production),
    /which is IPv4 10\.0\.0\.1 inside IPv6 \(Teredo server\), a private address/);
  assert.match(destinationRefusal('https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', production),
    /which is a Teredo tunnel address \(IPv4 inside IPv6: Teredo, server 65\.54\.227\.120, client 192\.0\.2\.45\)/);
});

test('IPv4-mapped (::ffff:0:0/96) is still refused, and IPv4-translated (::ffff:0:0:0/96) is too', () => {
  assertRefused(['https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[::ffff:0:127.0.0.1]/',
    'https://[::ffff:0:7f00:1]/', 'https://[0:0:0:0:ffff:0:a00:1]/', 'https://[::ffff:0:169.254.169.254]/']);
  assert.match(destinationRefusal('https://[::ffff:0:127.0.0.1]/', production),
    /points to \[::ffff:0:7f00:1\], which is IPv4 127\.0\.0\.1 inside IPv6 \(IPv4-translated\), a loopback address/);
});

test('site-local (fec0::/10), the discard prefix (100::/64) and the rest outside 2000::/3 are refused', () => {
  assertRefused(['https://[fec0::1]/', 'https://[feff:ffff::1]/', 'https://[100::1]/', 'https://[100::ffff:ffff:ffff:ffff]/',
    'https://[4000::1]/', 'https://[64:ff9b:2::1]/']);
  assert.match(destinationRefusal('https://[fec0::1]/', production), /which is a site-local address/);
  assert.match(destinationRefusal('https://[100::1]/', production), /which is a discard-only address \(100::\/64\)/);
});

test('names public DNS does not answer are refused, with or without a trailing dot, in any case', () => {
  assertRefused(['https://nas.lan/', 'https://NAS.LAN./', 'https://router.home.arpa/', 'https://api.default.svc/',
    'https://wiki.intranet/', 'https://git.corp/', 'https://vault.private/', 'https://media.home/',
    'https://db.internal/', 'https://printer.local/', 'https://a.localhost/', 'https://lan/', 'https://metadata/']);
  assert.match(destinationRefusal('https://api.default.svc/', production), /which is a Kubernetes service name/);
  assert.match(destinationRefusal('https://router.home.arpa/', production), /which is a home network name/);
  assert.match(destinationRefusal('https://metadata/', production), /which is a single-label name/);
});

test('privateHostKind reads a dotted IPv4 tail as well as the hex groups WHATWG URL serializes', () => {
  assert.equal(privateHostKind('[::ffff:127.0.0.1]'), privateHostKind(new URL('https://[::ffff:127.0.0.1]/').hostname));
  assert.equal(privateHostKind('[64:ff9b::10.0.0.1]'), 'IPv4 10.0.0.1 inside IPv6 (NAT64), a private address');
  assert.equal(privateHostKind('[1::2::3]'), 'an IPv6 address this check cannot read');
});

test('public addresses and names are allowed, including IPv4 inside IPv6 when the IPv4 address is public', () => {
  const allowed = ['https://discord.com/api/webhooks/1/x', 'https://[2606:4700::1111]/', 'https://1.1.1.1/',
    'https://[2002:0101:0101::1]/', 'https://[64:ff9b::1.1.1.1]/', 'https://[64:ff9b::101:101]/',
    'https://[::ffff:1.1.1.1]/', 'https://[::ffff:0:1.1.1.1]/', 'https://lan.example.com/', 'https://svc.example.org/',
    'https://corp.example.net/api/webhooks/1/x'];
  for (const url of allowed) assert.equal(destinationRefusal(url, production), null, url);
});

test('with ALLOW_LOCAL_DESTINATIONS "true", plain http to this machine is allowed, and not to NAT64 of it', () => {
  const local = { ALLOW_LOCAL_DESTINATIONS: 'true' };
  assert.equal(destinationRefusal('http://127.0.0.1/', local), null);
  assert.equal(destinationRefusal('http://127.0.0.1:8789/api/webhooks/1/x', local), null);
  assert.equal(destinationRefusal('http://[::ffff:127.0.0.1]:8789/', local), null);
  assert.match(destinationRefusal('http://[64:ff9b::127.0.0.1]/', local), /plain http only to this machine/);
  assert.match(destinationRefusal('http://127.0.0.1/', production), /which is a loopback address/);
});

test('one rule for the API and the pages: a Discord address is a webhook URL or refused; the stand-in\'s counts as Discord\'s locally', () => {
  const local = { ALLOW_LOCAL_DESTINATIONS: 'true' };
  // The placeholder script/server once printed, "ready to paste", was accepted by the API and refused by the page.
  for (const url of ['https://discord.com/api/webhooks/…', 'https://discord.com/api/webhooks/', 'https://discord.com/channels/1/2',
    'https://discordapp.com/api/webhooks/x/tok', 'http://discord.com/api/webhooks/1/tok']) {
    const check = checkDestination(url, production);
    assert.equal(check.kind, 'refused', url);
    assert.match(destinationRefusal(url, production), /^destination_url (is a Discord address but not a webhook URL|must be https)/, url);
  }
  assert.deepEqual(checkDestination('https://discord.com/api/webhooks/123456789012345678/AbC-d_e', production), { kind: 'discord', webhook: '123456789012345678' });
  assert.deepEqual(checkDestination('https://canary.discord.com/api/v10/webhooks/1/tok?thread_id=9', production), { kind: 'discord', webhook: '1' });
  const standIn = 'http://127.0.0.1:8789/api/webhooks/1200000000000000002/local-standin-token-0123456789';
  assert.deepEqual(checkDestination(standIn, local), { kind: 'discord', webhook: '1200000000000000002', standIn: true });
  assert.equal(checkDestination(standIn, production).kind, 'refused');
  assert.equal(checkDestination('http://127.0.0.1:8789/somewhere', local).kind, 'other');
  assert.equal(checkDestination('https://hooks.example.com/x', production).kind, 'other');
  assert.equal(checkDestination('   ', production).kind, 'empty');
  assert.deepEqual(checkDestination('https://user:pw@discord.com/api/webhooks/1/x', production),
    { kind: 'refused', problem: 'must not carry a user name or password' });
});
