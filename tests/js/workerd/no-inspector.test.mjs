// The local relay keeps its secrets to itself (the security probe of the local relay). It opens no V8 inspector:
// whatever attaches to one reads the Worker's variables, ADMIN_TOKEN and SECRETS_KEY. Every TCP port that the
// relay's processes listen on (its process group: the launcher and the workerd processes under it) is asked
// `GET /json`, and none may list DevTools targets. And its local D1, every endpoint and payload, is readable by
// its user alone.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { withRelay } from '../relay.mjs';

const token = 'no-inspector-test-token-0123456789';
const { relay } = withRelay({ token });

// Returns the pids whose process group is `group` (relay.mjs starts the relay detached: its pid is the group).
function processGroup(group) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the name's closing parenthesis: state, ppid, pgrp.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === group) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

// Returns the socket inodes that `pid` holds open.
function socketInodes(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith('socket:[')) inodes.add(target.slice(8, -1));
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}

// Returns the hosts in URL form ("127.0.0.1", "[::1]") and ports of the TCP listeners whose inode is in
// `inodes`; an address of any interface is reached through loopback.
function listeners(inodes) {
  const found = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]]) {
    let table;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 here
    }
    for (const line of table.trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A' || !inodes.has(fields[9])) continue; // 0A: LISTEN
      const [address, port] = fields[1].split(':');
      // The kernel writes each 32-bit word of the address in host (little-endian) order.
      const bytes = address.match(/.{8}/g).flatMap((word) => word.match(/../g).reverse()).map((hex) => parseInt(hex, 16));
      let host;
      if (bytes.every((byte) => byte === 0)) host = v6 ? '[::1]' : '127.0.0.1';
      else if (v6) host = `[${bytes.reduce((words, byte, i) => (i % 2 ? words : [...words, ((byte << 8) | bytes[i + 1]).toString(16)]), []).join(':')}]`;
      else host = bytes.join('.');
      found.push({ host, port: parseInt(port, 16) });
    }
  }
  return found;
}

test('no port of the relay\'s processes answers GET /json with DevTools targets', async () => {
  const pids = processGroup(relay.process.pid);
  assert.ok(pids.some((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('workerd')), 'no workerd in the relay\'s group');
  const inodes = new Set(pids.flatMap((pid) => [...socketInodes(pid)]));
  const found = listeners(inodes);
  // Its own port is among them, or the search found nothing to ask.
  assert.ok(found.some(({ port }) => String(port) === new URL(relay.base).port), `the relay's port is not among ${JSON.stringify(found)}`);
  // Every port at once: one that is not HTTP answers nothing, and each such wait would add up.
  const inspectors = (await Promise.all(found.map(async ({ host, port }) => {
    let targets;
    try {
      const response = await fetch(`http://${host}:${port}/json`, { signal: AbortSignal.timeout(3000) });
      targets = JSON.parse(await response.text());
    } catch {
      return []; // not HTTP, or not JSON: no inspector
    }
    if (!Array.isArray(targets) || !targets.some((target) => target?.webSocketDebuggerUrl)) return [];
    return [`${host}:${port} lists ${targets.map((target) => target.title ?? target.id).join(', ')}`];
  }))).flat();
  assert.deepEqual(inspectors, [], 'a V8 inspector is listening');
});

test('the local D1 and queues are private to the user who runs the relay (no group or other bits)', async () => {
  assert.equal((await relay.api('POST', '/api/endpoints', {
    name: 'private-state', destination_url: 'https://discord.com/api/webhooks/1/private-state', events: { mode: 'push' },
  })).status, 201);
  const open = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if ((statSync(path).mode & 0o077) !== 0) open.push(`${path} ${(statSync(path).mode & 0o777).toString(8)}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(join(relay.state, 'v3'));
  assert.deepEqual(open, []);
});
