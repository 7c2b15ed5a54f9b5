// ESLint over the Worker, the pages, the scripts, the benches and the tests: its recommended rules, with the
// globals of where each runs. script/test runs it and fails on any finding.

import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['build/**', 'node_modules/**', '.wrangler/**'] },
  js.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      // An unused argument often names what a caller passes (a route handler's request); unused locals are not.
      // A rest sibling leaves members out of an object on purpose ({ template, ...view }).
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Control characters in a pattern are what dispatch strips from what others send; they are meant.
      'no-control-regex': 'off',
    },
  },
  // The Worker runs in workerd: a service worker's globals (fetch, Request, Response, crypto, caches).
  { files: ['js-shim/**/*.mjs'], languageOptions: { globals: { ...globals.serviceworker } } },
  // The pages run in the browser.
  { files: ['web/**/*.mjs'], languageOptions: { globals: { ...globals.browser } } },
  // The command lines, the stand-ins, the benches and the tests run under node; the Chromium suites also hand
  // functions to the page, which run there.
  { files: ['script/**/*.mjs', 'bench/**/*.mjs', 'tests/**/*.mjs', 'wasm/**/*.mjs', 'eslint.config.mjs'], languageOptions: { globals: { ...globals.node } } },
  { files: ['tests/e2e/**/*.mjs'], languageOptions: { globals: { ...globals.browser, ...globals.node } } },
];
