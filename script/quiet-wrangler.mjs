#!/usr/bin/env node
// Passes `wrangler dev`'s output through, less what misleads on this project: the "update available" note
// (wrangler is pinned by package-lock.json), the Request.cf fetch's stack trace when offline (dispatch never
// reads request.cf; the placeholder is fine), and the cron note with its `undefined` port (script/server
// prints the command that works). Everything else is printed as it comes. Run by script/server.
//
//   wrangler dev … 2>&1 | node script/quiet-wrangler.mjs

import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const plain = (line) => line.replace(/\x1b\[[0-9;]*m/g, '');

// Returns a function that takes one line and returns the lines to print in its place (none, it, or a note).
export function quietWrangler() {
  let skipping = null; // 'stack' after the Request.cf warning; 'cron' inside the scheduled-workers note
  let cfNoted = false;
  return (line) => {
    const text = plain(line);
    if (skipping === 'stack') {
      // The trace: an "Error: …" line, indented frames and fields, blank lines.
      if (/^(\S*Error\b.*|\s+.*|)$/.test(text)) return [];
      skipping = null;
    }
    if (skipping === 'cron') {
      if (text.includes('For more details, see')) skipping = 'cron-tail';
      return [];
    }
    if (skipping === 'cron-tail') {
      if (text.trim() === '') return [];
      skipping = null;
    }
    if (text.includes('Unable to fetch the `Request.cf` object')) {
      skipping = 'stack';
      if (cfNoted) return [];
      cfNoted = true;
      return ['[wrangler:warn] offline: request.cf is a placeholder (dispatch does not read it)'];
    }
    if (text.includes('Scheduled Workers are not automatically triggered during local development')) {
      skipping = 'cron';
      return [];
    }
    if (/⛅️ wrangler \S+ \(update available /.test(text)) return [line.replace(/ \(update available [^)]*\)/, '')];
    return [line];
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Ctrl-C reaches this process too: keep reading until wrangler's output ends, so nothing is lost.
  process.on('SIGINT', () => {});
  const filter = quietWrangler();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    for (const out of filter(line)) process.stdout.write(`${out}\n`);
  }
}
