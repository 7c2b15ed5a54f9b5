#!/usr/bin/env node
// Prints a Bitbucket push payload for trying the relay by hand: one of the project's sample pushes
// (tests/vectors/bodies), its commit messages stamped with the time, so each run prints new bytes. The relay
// answers a body it already received as a replay (200 "duplicate", not delivered again); a stamped sample is
// never one. Printed without a closing newline, so `$(node script/sample-push.mjs)` is the exact body.
//
//   node script/sample-push.mjs [--forced]     (--forced: a force-push to main and two deleted branches)

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Returns the sample's text with every commit message stamped with `now`.
export function stampedSample({ forced = false, now = new Date() } = {}) {
  const file = resolve(root, 'tests/vectors/bodies', forced ? 'push-forced-deleted.json' : 'push.json');
  const payload = JSON.parse(readFileSync(file, 'utf8'));
  const stamp = `Sample sent ${now.toISOString().replace('T', ' ').replace('Z', ' UTC')} (script/sample-push.mjs).`;
  const stamped = (message) => (typeof message === 'string' ? `${message.replace(/\n+$/, '')}\n\n${stamp}` : message);
  for (const change of payload.push?.changes ?? []) {
    if (change.new?.target) change.new.target.message = stamped(change.new.target.message);
    for (const commit of change.commits ?? []) commit.message = stamped(commit.message);
  }
  return JSON.stringify(payload);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.find((arg) => arg !== '--forced');
  if (unknown) {
    process.stderr.write(`sample-push: unknown argument ${unknown}\nusage: node script/sample-push.mjs [--forced]\n`);
    process.exit(2);
  }
  process.stdout.write(stampedSample({ forced: args.includes('--forced') }));
}
