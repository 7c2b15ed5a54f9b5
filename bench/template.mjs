// Template throughput, side by side in one run: this engine natively and in wasm under node, and
// mustache.js (npm `mustache`), on (1) a realistic push template over a real push's context and (2) the
// official spec's core suite (136 tests). Every call parses the data JSON and the template, then renders,
// in all three (mustache.js's template cache is cleared each call).
//
//   cmake --build build/native --target dispatch_bench_template && node bench/template.mjs

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import Mustache from 'mustache';

import { instantiateCore } from '../js-shim/core.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const specDir = resolve(root, '../shared/conformance/mustache-spec');
const pushPayload = resolve(root, '../shared/fixtures/bitbucket-cloud/jenkinsci__bitbucket-branch-source-plugin/BitbucketCloudPushEventTest__multipleChangesPayload.json');
const templateText = readFileSync(resolve(root, 'bench/push-template.mustache'), 'utf8');

const core = await instantiateCore(readFileSync(resolve(root, 'build/wasm/dispatch-tools.wasm')));

// The push's derived commit list comes from the core itself (a template that places dispatch.commits as the
// embed's fields), so that both engines render exactly the same data.
const contextAnswer = core.render('repo:push', readFileSync(pushPayload),
  JSON.stringify({ content: 'x', embeds: [{ title: 'x', fields: '{{dispatch.commits}}' }] }));
if (contextAnswer.code !== 'rendered') throw new Error(`could not build the context: ${contextAnswer.reason}`);
const payload = JSON.parse(readFileSync(pushPayload, 'utf8'));
const context = { ...payload, dispatch: { actor: 'Stephen Connolly', branch: 'main', commit_count: 0, commits: contextAnswer.message.embeds[0].fields } };
context.dispatch.commit_count = context.dispatch.commits.length;
const dataText = JSON.stringify(context);

const work = mkdtempSync(join(tmpdir(), 'dispatch-bench-'));
writeFileSync(join(work, 'template.mustache'), templateText);
writeFileSync(join(work, 'data.json'), dataText);

const specCases = [];
for (const name of ['comments', 'delimiters', 'interpolation', 'inverted', 'partials', 'sections']) {
  for (const test of JSON.parse(readFileSync(join(specDir, `${name}.json`), 'utf8')).tests) {
    specCases.push({ template: test.template, data: JSON.stringify(test.data), partials: test.partials });
  }
}

function rate(once) {
  for (let i = 0; i < 16; i += 1) once();
  let best = 0;
  for (let round = 0; round < 5; round += 1) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let seconds = 0;
    do {
      for (let i = 0; i < 16; i += 1) once();
      calls += 16;
      seconds = Number(process.hrtime.bigint() - start) / 1e9;
    } while (seconds < 0.2);
    best = Math.max(best, calls / seconds);
  }
  return best;
}

// Discord escaping for mustache.js, so both engines escape the same characters in the push template.
const discordEscape = (text) => String(text).replace(/[\\*_~`|<>[\]]/g, '\\$&');

const native = JSON.parse(execFileSync(resolve(root, 'build/native/dispatch_bench_template'),
  [join(work, 'template.mustache'), join(work, 'data.json'), specDir], { encoding: 'utf8' }));

const wasmPush = rate(() => core.mustache(templateText, dataText));
const wasmSpec = rate(() => {
  for (const c of specCases) core.mustache(c.template, c.data, { partials: c.partials, escaping: 'html' });
});
const jsPush = rate(() => {
  Mustache.templateCache = undefined;
  Mustache.escape = discordEscape;
  Mustache.render(templateText, JSON.parse(dataText));
});
const jsSpec = rate(() => {
  Mustache.escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  for (const c of specCases) {
    Mustache.templateCache = undefined;
    Mustache.render(c.template, JSON.parse(c.data), c.partials ?? {});
  }
});

const jsPushRenderOnly = (() => {
  Mustache.escape = discordEscape;
  const data = JSON.parse(dataText);
  Mustache.parse(templateText);
  return rate(() => Mustache.render(templateText, data));
})();

const same = core.mustache(templateText, dataText).text === (() => {
  Mustache.templateCache = undefined;
  Mustache.escape = discordEscape;
  return Mustache.render(templateText, JSON.parse(dataText));
})();
const row = (label, n, w, j) => console.log(`${label.padEnd(28)} ${n.toFixed(0).padStart(9)} (1.00) ${w.toFixed(0).padStart(9)} (${(w / n).toFixed(2)}) ${j.toFixed(0).padStart(9)} (${(j / n).toFixed(2)})`);
console.log('template renders per second (ratio to native)');
console.log(`${''.padEnd(28)} ${'native'.padStart(16)} ${'wasm (node)'.padStart(16)} ${'mustache.js'.padStart(16)}`);
row('push template', native.push_per_second, wasmPush, jsPush);
row(`spec core suite (${specCases.length} tests)`, native.spec_suites_per_second, wasmSpec, jsSpec);
console.log(`${'push, render only'.padEnd(28)} ${native.push_render_only_per_second.toFixed(0).padStart(9)} (1.00) ${'-'.padStart(9)}        ` +
  `${jsPushRenderOnly.toFixed(0).padStart(9)} (${(jsPushRenderOnly / native.push_render_only_per_second).toFixed(2)})` +
  '   (parsed once; wasm answers one call per render, so it is not measured this way)');
console.log(`data: ${dataText.length} bytes of JSON per push call`);
console.log(`push template output identical in this engine and mustache.js: ${same}`);
