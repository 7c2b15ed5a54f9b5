#!/usr/bin/env node
// Prints the failing tests of a `node --test` log (TAP): each one's name, where it failed and its error, so a
// failed step of script/test shows what broke rather than the log's last lines (which are the tests that
// passed after it).
//
//   node script/failures.mjs build/test-logs/worker-integration.log

import { readFileSync } from 'node:fs';

const maxErrorLines = 14;

// Returns [{name, location, error: [lines]}] for each leaf test that is "not ok" in TAP `text`; a suite that
// failed only because a test inside it did is left out.
export function failures(text) {
  const lines = text.split('\n');
  const found = [];
  for (let index = 0; index < lines.length; index += 1) {
    const match = /^( *)not ok \d+ - (.*)$/.exec(lines[index]);
    if (!match) continue;
    const indent = match[1].length;
    const details = [];
    for (let next = index + 1; next < lines.length; next += 1) {
      const line = lines[next];
      if (line.trim() === '...' && line.length - line.trimStart().length === indent + 2) break;
      details.push(line.slice(indent + 2));
    }
    if (details.some((line) => /^failureType: 'subtestsFailed'/.test(line))) continue;
    const location = details.find((line) => line.startsWith('location:'))?.replace(/^location: '?|'$/g, '') ?? '';
    const start = details.findIndex((line) => /^error:/.test(line));
    const error = [];
    if (start >= 0) {
      const inline = details[start].replace(/^error: ?(\|-)?/, '').replace(/^'|'$/g, '');
      if (inline) error.push(inline);
      for (const line of details.slice(start + 1)) {
        if (!/^ {2}/.test(line)) break;
        error.push(line.slice(2));
      }
    }
    const stack = details.findIndex((line) => /^stack:/.test(line));
    if (stack >= 0) error.push(...details.slice(stack + 1).filter((line) => /^ {2}\S/.test(line)).slice(0, 2).map((line) => `at ${line.trim()}`));
    found.push({ name: match[2], location, error });
  }
  return found;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const file = process.argv[2];
  const found = failures(readFileSync(file, 'utf8'));
  for (const { name, location, error } of found) {
    console.log(`   FAILED: ${name}${location ? `  (${location.replace(`${process.cwd()}/`, '')})` : ''}`);
    const said = error.filter((line) => line.trim() !== '');
    const shown = said.slice(0, maxErrorLines);
    for (const line of shown) console.log(`     ${line}`);
    if (said.length > shown.length) console.log(`     … (the rest in ${file})`);
  }
  if (found.length === 0) console.log(`   (no failing test named; see ${file})`);
}
