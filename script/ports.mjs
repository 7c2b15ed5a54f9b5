#!/usr/bin/env node
// Checks that the ports script/server is about to use are free, and names the process that holds a busy one.
//
//   node script/ports.mjs 'DISPATCH_PORT=8787:the relay' 'DISPATCH_SINK_PORT=8789:the Discord stand-in' …
//
// Exits 0 when every port can be bound on 127.0.0.1; otherwise prints one line per busy port (which variable
// moves it, and the pid and command line that listen on it when this user can see them) and exits 1.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

// Returns true if PORT can be bound on HOST now (it is released again at once); false if it is in use.
export function portFree(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (/** @type {NodeJS.ErrnoException} */ error) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// Returns the listening socket's holder as {pid, command} from `ss -ltnp`, or null if ss is missing or names
// no process for PORT.
export function holderFromSs(port) {
  let out;
  try {
    out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
  const match = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(out);
  return match ? { pid: Number(match[2]), command: commandOf(Number(match[2])) ?? match[1] } : null;
}

// Returns the holder as {pid, command} from /proc (the listening socket's inode in /proc/net/tcp{,6}, then
// the process with a descriptor on it), or null if no visible process listens on PORT.
export function holderFromProc(port, proc = '/proc') {
  const inodes = new Set();
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text;
    try {
      text = readFileSync(`${proc}/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXADDR:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
      if (fields.length < 10 || fields[3] !== '0A') continue;
      if (parseInt(fields[1].split(':')[1], 16) === port) inodes.add(`socket:[${fields[9]}]`);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of readdirSync(proc).filter((name) => /^\d+$/.test(name))) {
    let fds;
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      let target;
      try {
        target = readlinkSync(`${proc}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (inodes.has(target)) return { pid: Number(pid), command: commandOf(Number(pid), proc) ?? '?' };
    }
  }
  return { pid: null, command: null };
}

// Returns PID's command line (at most 120 characters), or null if it cannot be read.
function commandOf(pid, proc = '/proc') {
  try {
    const argv = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return argv.length > 120 ? `${argv.slice(0, 117)}…` : argv || null;
  } catch {
    return null;
  }
}

// Returns PID's parent pid, or null if it cannot be read.
function parentOf(pid, proc = '/proc') {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || null;
  } catch {
    return null;
  }
}

// Returns who holds PORT, in words: "pid 123 (workerd …), started by pid 120 (node … wrangler dev …)", or a
// reason it cannot be named. The parent is named too: a runtime's child (workerd) says little alone.
export function describeHolder(port) {
  const holder = holderFromSs(port) ?? holderFromProc(port);
  if (holder?.pid) {
    const parent = parentOf(holder.pid);
    const parentCommand = parent > 1 ? commandOf(parent) : null;
    return `pid ${holder.pid} (${holder.command})${parentCommand ? `, started by pid ${parent} (${parentCommand})` : ''}`;
  }
  if (holder) return 'a process this user cannot see';
  return 'a process not listening on TCP (or in another network namespace)';
}

// Returns one line per busy port among SPECS ({name, port, what}); an empty list when all are free. Two
// names on one port are reported before anything is bound.
export async function busyPorts(specs) {
  const lines = [];
  const seen = new Map();
  for (const { name, port, what } of specs) {
    if (seen.has(port)) lines.push(`${name}=${port} (${what}) is the same port as ${seen.get(port)}: give each its own`);
    else seen.set(port, name);
  }
  if (lines.length > 0) return lines;
  for (const { name, port, what } of specs) {
    if (await portFree(port)) continue;
    lines.push(`port ${port} (${what}) is in use by ${describeHolder(port)}: stop it, or set ${name} to a free port`);
  }
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const specs = process.argv.slice(2).map((arg) => {
    const match = /^([A-Z_]+)=(\d+):(.+)$/.exec(arg);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      console.error(`ports: expected NAME=PORT:what, got ${JSON.stringify(arg)}`);
      process.exit(2);
    }
    return { name: match[1], port: Number(match[2]), what: match[3] };
  });
  const lines = await busyPorts(specs);
  for (const line of lines) console.error(`server: ${line}`);
  process.exit(lines.length === 0 ? 0 : 1);
}
