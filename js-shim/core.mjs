// The dispatch core in JavaScript: instantiates dispatch.wasm and is the only code that touches its memory.
// Shared by the worker, the browser preview, the node CLI and the tests; it does no I/O of its own.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

// Raised when the wasm instance itself fails (out of memory, a trap). Refused input is never an exception:
// it comes back as an outcome.
export class CoreFailure extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'CoreFailure';
  }
}

// Instantiates the core from a compiled WebAssembly.Module (workerd's `import wasm from "….wasm"`),
// or from the bytes of dispatch.wasm (node, tests). Returns a Core.
// The module's only imports.
const imports = {
  env: {
    // Views are re-created on every call, so growth needs no bookkeeping here.
    emscripten_notify_memory_growth() {},
  },
  wasi_snapshot_preview1: {
    proc_exit(code) {
      throw new CoreFailure(`dispatch core aborted (exit ${code})`);
    },
  },
};

export async function instantiateCore(moduleOrBytes) {
  const result = await WebAssembly.instantiate(moduleOrBytes, imports);
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  /** @type {any} */ (instance.exports)._initialize();
  return new Core(instance);
}

// As instantiateCore, at once, from a compiled WebAssembly.Module (a Worker's global scope, where a promise
// would not settle before the first request).
export function instantiateCoreNow(module) {
  const instance = new WebAssembly.Instance(module, imports);
  /** @type {any} */ (instance.exports)._initialize();
  return new Core(instance);
}

// A push, a pull request, an issue and a build status, as small as the renderers take them, for warmUp.
const warmUpPayloads = [
  ['repo:push', '{"actor":{"display_name":"dispatch"},"repository":{"full_name":"dispatch/warm-up"},"push":{"changes":'
    + '[{"new":{"type":"branch","name":"main","target":{"hash":"0123456789abcdef0123456789abcdef01234567"}},"old":{"type":'
    + '"branch","name":"main","target":{"hash":"76543210fedcba9876543210fedcba9876543210"}},"commits":[{"hash":'
    + '"0123456789abcdef0123456789abcdef01234567","message":"Warm up\\n","author":{"raw":"dispatch <warm@up>"}}]}]}}'],
  ['pullrequest:created', '{"actor":{"display_name":"dispatch"},"repository":{"full_name":"dispatch/warm-up"},'
    + '"pullrequest":{"id":1,"title":"Warm up","state":"OPEN","updated_on":"2026-01-01T00:00:00+00:00","source":'
    + '{"branch":{"name":"warm-up"}},"destination":{"branch":{"name":"main"}},"participants":[]}}'],
  ['issue:created', '{"actor":{"display_name":"dispatch"},"repository":{"full_name":"dispatch/warm-up"},"issue":'
    + '{"id":1,"title":"Warm up","state":"new","kind":"task","priority":"minor","content":{"raw":"Warm up."}}}'],
  ['repo:commit_status_updated', '{"actor":{"display_name":"dispatch"},"repository":{"full_name":"dispatch/warm-up"},'
    + '"commit_status":{"state":"SUCCESSFUL","key":"warm-up","name":"Warm up","refname":"main","url":'
    + '"https://example.com/warm-up","commit":{"hash":"0123456789abcdef0123456789abcdef01234567"}}}'],
];
const warmUpKey = 'dispatch:warm-up';
// What warmUp returns when all went as it should: each payload accepted, then the keyed call's wrong signature.
export const warmUpCodes = Object.freeze([...warmUpPayloads.map(() => 'accepted'), 'signature_mismatch']);

// V8 compiles a wasm function on its first call (lazily, Liftoff first), so a fresh instance's first delivery
// pays for compiling everything a delivery reaches: about 11 ms (bench/cold.mjs). This takes a push, a pull
// request, an issue and a build status through the pipeline, and one call as hooks.mjs makes it (the endpoint
// compiled under a key, then forgotten; its wrong signature is still checked in full), so that cost is paid
// here, at startup, not by the first request. Returns the outcomes' codes (warmUpCodes when all is well).
export function warmUp(core) {
  const settings = { secret: 'warm-up', events: { mode: 'all' }, threads: 'pull_request' };
  const wrong = `sha256=${'0'.repeat(64)}`;
  const codes = warmUpPayloads.map(([event, text]) => {
    const body = encoder.encode(text);
    core.verify('warm-up', wrong, body);
    return core.redeliver(settings, event, body).code;
  });
  const [event, text] = warmUpPayloads[0];
  const headers = { 'x-event-key': event, 'x-hub-signature': wrong };
  codes.push(core.handle(settings, headers, encoder.encode(text), { key: warmUpKey }).code);
  core.forget(warmUpKey);
  return codes;
}

// Endpoints kept compiled per instance (Core.handle with a key): enough for every endpoint of a busy relay
// isolate; the least recently used is closed past it.
const preparedLimit = 64;

export class Core {
  #exports;
  #broken = null;
  #prepared = new Map(); // key -> handle, in order of use
  #limits = null;

  constructor(instance) {
    this.#exports = instance.exports;
  }

  // False once the instance has trapped or aborted: its memory can no longer be trusted, so the caller
  // should instantiate a fresh one.
  get usable() {
    return this.#broken === null;
  }

  // Runs the pipeline on one delivery. `endpoint` is {secret, events:{mode, custom?}}, `headers` an object
  // of name -> value, `body` the exact bytes received (Uint8Array or ArrayBuffer). Returns the outcome
  // {verdict, status, code, reason, event?, message?}.
  // With `key` (a string that changes whenever the settings do, such as the endpoint's id and version), the
  // settings are read and their templates compiled once, on the first call with that key, not per delivery.
  /** @param {object} endpoint @param {object} headers @param {Uint8Array | ArrayBuffer} body @param {{ key?: string }} [options] */
  handle(endpoint, headers, body, { key } = {}) {
    return JSON.parse(this.handleText(endpoint, headers, body, { key }));
  }

  // As handle, but returns the outcome's JSON text exactly as the core wrote it.
  /** @param {object} endpoint @param {object} headers @param {Uint8Array | ArrayBuffer} body @param {{ key?: string }} [options] */
  handleText(endpoint, headers, body, { key } = {}) {
    if (key === undefined) return this.#call('dispatch_handle', { endpoint, headers }, toBytes(body));
    const handle = this.#open(key, endpoint);
    if (handle === null) return this.#call('dispatch_handle', { endpoint, headers }, toBytes(body));
    return this.#call('dispatch_handle_prepared', { handle, headers }, toBytes(body));
  }

  // Returns the handle of the endpoint compiled under `key`, compiling it if needed; null when the settings
  // do not compile (the plain call then answers with their error).
  #open(key, endpoint) {
    const known = this.#prepared.get(key);
    if (known !== undefined) {
      this.#prepared.delete(key);
      this.#prepared.set(key, known);
      return known;
    }
    const opened = this.#callJson('dispatch_endpoint_open', endpoint, new Uint8Array(0));
    if (opened.code !== 'opened') return null;
    this.#prepared.set(key, opened.handle);
    if (this.#prepared.size > preparedLimit) {
      this.forget(this.#prepared.keys().next().value);
    }
    return opened.handle;
  }

  // Closes the endpoint compiled under `key`, if one is.
  forget(key) {
    const handle = this.#prepared.get(key);
    if (handle === undefined) return;
    this.#prepared.delete(key);
    this.#callJson('dispatch_endpoint_close', { handle }, new Uint8Array(0));
  }

  // How many endpoints are kept compiled.
  get preparedCount() {
    return this.#prepared.size;
  }

  // Runs the pipeline after the signature on a recorded body (a redelivery): the endpoint's current
  // selection and templates apply. Returns the outcome, as handle does.
  redeliver(endpoint, event, body) {
    return this.#callJson('dispatch_redeliver', { endpoint, event }, toBytes(body));
  }

  // Checks endpoint settings {secret, events, template?, templates?}. Returns {code:"valid"} or
  // {code:"endpoint_invalid", reason:"<field> …", field, line?, column?}. With `request`, the bytes
  // of the admin request the settings came in, a template written there as an object is placed in them.
  checkEndpoint(endpoint, request = new Uint8Array(0)) {
    return this.#callJson('dispatch_endpoint_check', endpoint, toBytes(request));
  }

  // Says whether an endpoint {events, filters?} would deliver event `key`: {code:"selected" |
  // "event_not_selected", reason}, or {code:"event_key_invalid" | "endpoint_invalid", reason, field?}. With the
  // event's `payload` (bytes or text), the filters apply too: {code:"branch_filtered" | "actor_filtered",
  // reason} as a delivery would log it; a push of which only some changes pass is {code:"selected", reason,
  // changes:{kept, total}, left_out}.
  selects(endpoint, key, payload = new Uint8Array(0)) {
    return JSON.parse(this.selectsText(endpoint, key, payload));
  }

  // As selects, but returns the answer's JSON text exactly as the core wrote it.
  selectsText(endpoint, key, payload = new Uint8Array(0)) {
    const settings = { events: endpoint.events };
    if (endpoint.filters !== undefined && endpoint.filters !== null) settings.filters = endpoint.filters;
    return this.#call('dispatch_selects', { endpoint: settings, event: key }, toBytes(payload));
  }

  // The catalogue's keys an event selection {mode, custom?} takes, in the catalogue's order: {code:"listed",
  // keys:[…]}, or {code:"endpoint_invalid", reason, field} for a selection that would not save.
  selectedKeys(events) {
    return this.#callJson('dispatch_selected_keys', { events }, new Uint8Array(0));
  }

  // The Sources page's "would this pass?": whether one name passes `filters` {branches?, tags?, actors?}.
  // `value` is {branch} | {tag} | {actor}. Returns {code:"passes" | "branch_filtered" | "actor_filtered",
  // reason}, or {code:"endpoint_invalid", reason, field} for filters that would not save.
  filterCheck(filters, value) {
    return JSON.parse(this.filterCheckText(filters, value));
  }

  // As filterCheck, but returns the answer's JSON text exactly as the core wrote it.
  filterCheckText(filters, value) {
    return this.#call('dispatch_filter_check', { filters, ...value }, new Uint8Array(0));
  }

  // Checks an endpoint's templates {events, template?, templates?} against sample payloads [{event, body}]
  // (body: the payload's JSON text) of the events they apply to. Returns {code:"checked", checked:[keys],
  // warnings:[{selector, name, where?, missing_for, found_for, reason}]}: names no sample has, or that say
  // nothing for some of the events (a push template under mode "all"). Warnings, not errors.
  templateWarnings(endpoint, samples) {
    const settings = { events: endpoint.events };
    if (endpoint.template !== undefined && endpoint.template !== null) settings.template = endpoint.template;
    if (endpoint.templates !== undefined && endpoint.templates !== null) settings.templates = endpoint.templates;
    return this.#callJson('dispatch_template_warnings', { endpoint: settings, samples }, new Uint8Array(0));
  }

  // The core's limits: {max_body_bytes, max_template_bytes, max_templates_bytes, max_template_depth,
  // max_section_nesting}.
  // They are constants of the module: asked once per instance, not on every hook.
  limits() {
    this.#limits ??= this.#callJson('dispatch_limits', {}, new Uint8Array(0));
    return this.#limits;
  }

  // Renders the message a payload would produce under event `key`, without verifying or filtering (the
  // preview). Returns {code:"rendered", message} or {code, reason, line?, column?}.
  // With `template` (its JSON source text), renders that template instead of the auto-formatted embed.
  // With `budget`, a rendered answer also says how much of each of Discord's limits the message uses:
  // budget: [{path, rule, used, allowed, unit}].
  // With `thread`, a pull request event's answer also carries the thread it would go to with `threads:
  // "pull_request"` on: {key, name, updated_us, state, card}.
  // With `filters` ({branches?, tags?, actors?}), a push shows only the changes that pass them, as it would
  // be delivered.
  /** @param {string} key @param {unknown} payload @param {unknown} template @param {{ budget?: boolean, thread?: boolean, filters?: object | null }} [options] */
  render(key, payload, template, { budget = false, thread = false, filters } = {}) {
    return JSON.parse(this.renderText(key, payload, template, { budget, thread, filters }));
  }

  // As render, but returns the answer's JSON text exactly as the core wrote it.
  /** @param {string} key @param {unknown} payload @param {unknown} template @param {{ budget?: boolean, thread?: boolean, filters?: object | null }} [options] */
  renderText(key, payload, template, { budget = false, thread = false, filters } = {}) {
    const envelope = { event: key };
    if (template !== undefined) envelope.template = template;
    if (filters !== undefined && filters !== null) envelope.filters = filters;
    if (budget) envelope.budget = true;
    if (thread) envelope.thread = true;
    return this.#call('dispatch_render', envelope, toBytes(payload));
  }

  // Answers a preview request from its raw body bytes {event, payload}: the core parses it, so payload
  // numbers keep their exact value. Returns {code:"rendered", message} or {code, reason, line?, column?}.
  previewRequest(request) {
    return this.#callJson('dispatch_preview', {}, toBytes(request));
  }

  // Renders a Mustache text template against `dataText` (JSON text). `options`: {partials, escaping:
  // "html" | "discord" (default) | "none"}. Returns {code:"rendered", text} or {code, reason, line?, column?}.
  /** @param {string} template @param {string} dataText @param {{ partials?: Record<string, string>, escaping?: string }} [options] */
  mustache(template, dataText, { partials, escaping } = {}) {
    return this.#callJson('dispatch_mustache', { template, partials, escaping }, encoder.encode(dataText));
  }

  // Says which event keys a payload's shape fits, for a payload without its X-Event-Key (the preview).
  // Returns {code:"detected", keys:[…] (most likely first), basis}, {code:"shape_unknown", reason}, or the
  // body's error {code, reason, line?, column?}.
  detect(payload) {
    return JSON.parse(this.detectText(payload));
  }

  // As detect, but returns the answer's JSON text exactly as the core wrote it.
  detectText(payload) {
    return this.#call('dispatch_detect', {}, toBytes(payload));
  }

  // Checks an X-Hub-Signature value against the exact bytes that were signed and the secret. Returns
  // {code:"valid", reason} or {code, reason}: signature_mismatch, signature_malformed, algorithm_unsupported,
  // signature_missing, secret_missing. The reason never holds the expected signature.
  verify(secret, signature, body) {
    return JSON.parse(this.verifyText(secret, signature, body));
  }

  // As verify, but returns the answer's JSON text exactly as the core wrote it.
  verifyText(secret, signature, body) {
    return this.#call('dispatch_verify', { secret, signature }, toBytes(body));
  }

  // Returns the event catalogue: [{key, category, label, description, family, pull_request, branch}] (family:
  // the renderer; pull_request: whether it goes to a pull request's thread; branch: where the branch filters
  // find its branch, or null).
  events() {
    return this.#callJson('dispatch_events', {}, new Uint8Array(0));
  }

  // Returns the registry of codes: [{code, status (0: not an HTTP answer), meaning, also_status?}].
  codes() {
    return this.#callJson('dispatch_codes', {}, new Uint8Array(0));
  }

  // Plans a `dispatch` command line: returns {files:[…]} to read, or its whole answer {out, err, exit}.
  cliPlan(argv) {
    return this.#callJson('dispatch_cli', { argv }, new Uint8Array(0));
  }

  // Runs a command line with the planned files' contents (Uint8Arrays, in plan order). Returns
  // {out, err, exit}.
  cliRun(argv, files) {
    const sizes = files.map((file) => file.byteLength);
    const joined = new Uint8Array(sizes.reduce((sum, size) => sum + size, 0));
    let offset = 0;
    for (const file of files) {
      joined.set(file, offset);
      offset += file.byteLength;
    }
    return this.#callJson('dispatch_cli', { argv, sizes }, joined);
  }

  // Words what came of the request `dispatch send` asked for, as the native CLI does. `answer`: {url,
  // timeout_seconds, uuid, status (0 for none), failure (refused, timed_out, dns_not_found, dns_failed,
  // unreachable, closed, not_http, tls, other, or ""), detail}; `body` the answer's bytes. Returns {out, err, exit}.
  cliAnswer(argv, answer, body) {
    return this.#callJson('dispatch_cli', { argv, answer }, body);
  }

  // Words a file that could not be read (`why`: not_found, permission_denied, is_directory, other) as
  // the native CLI does. Returns {out, err, exit}.
  cliReadError(argv, path, why) {
    return this.#callJson('dispatch_cli', { argv, read_error: { path, why } }, new Uint8Array(0));
  }

  // Returns the size of the wasm memory, which only ever grows: a long-lived isolate watches it.
  memoryBytes() {
    return this.#exports.memory.buffer.byteLength;
  }

  // Returns the bytes malloc has handed out and not had back: equal before and after a call that frees
  // everything it allocated. Only dispatch-tools.wasm has it.
  heapInUse() {
    return this.#exports.dispatch_heap_in_use();
  }

  #callJson(name, envelope, bytes) {
    return JSON.parse(this.#call(name, envelope, bytes));
  }

  // Copies the envelope and the bytes into wasm memory once, calls `name`, and frees everything on every
  // path. Whatever escapes the export (a trap, an abort, a RangeError from a stack overflow) leaves its
  // memory and stack untrustworthy: the instance is then unusable, and says so.
  #call(name, envelope, bytes) {
    if (this.#broken) throw new CoreFailure('dispatch core is unusable after an earlier failure', { cause: this.#broken });
    const exports = this.#exports;
    const envelopeBytes = encoder.encode(JSON.stringify(envelope));
    let envelopePointer = 0;
    let bytesPointer = 0;
    let answerPointer = 0;
    try {
      envelopePointer = exports.dispatch_alloc(envelopeBytes.byteLength);
      bytesPointer = exports.dispatch_alloc(bytes.byteLength);
      if (!envelopePointer || !bytesPointer) throw new CoreFailure('dispatch core is out of memory');
      new Uint8Array(exports.memory.buffer, envelopePointer, envelopeBytes.byteLength).set(envelopeBytes);
      new Uint8Array(exports.memory.buffer, bytesPointer, bytes.byteLength).set(bytes);
      try {
        answerPointer = exports[name](envelopePointer, envelopeBytes.byteLength, bytesPointer, bytes.byteLength);
      } catch (error) {
        this.#broken = error;
        throw new CoreFailure(`dispatch core failed in ${name}: ${error?.message ?? error}`, { cause: error });
      }
      if (!answerPointer) throw new CoreFailure('dispatch core is out of memory');
      const heap = new Uint8Array(exports.memory.buffer);
      const end = heap.indexOf(0, answerPointer);
      return decoder.decode(heap.subarray(answerPointer, end));
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError || error instanceof CoreFailure) this.#broken = error;
      throw error;
    } finally {
      if (!this.#broken) {
        if (answerPointer) exports.dispatch_free(answerPointer);
        if (bytesPointer) exports.dispatch_free(bytesPointer);
        if (envelopePointer) exports.dispatch_free(envelopePointer);
      }
    }
  }
}

function toBytes(body) {
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('body must be the raw bytes received (Uint8Array or ArrayBuffer), not a decoded string');
}
