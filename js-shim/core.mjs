// The dispatch core in JavaScript: instantiates dispatch.wasm and is the only code that touches its memory.
// Shared by the worker, the browser preview, the node CLI and the tests; it does no I/O of its own.

// What the core answers, as src/dispatch/answers.cpp, pipeline.cpp and wasm/abi.cpp write it. A failure is
// always {code, reason} with the field and position when known, so each answer that can fail is one object
// type whose members are present for the codes named, not a union the caller would have to narrow by `code`
// (a failure's code is any string).

/**
 * What the core calls a finalized Discord message: an Execute Webhook body (content, embeds, allowed_mentions…)
 * with every limit already applied.
 * @typedef {Record<string, unknown>} DiscordMessage
 */

/**
 * A refusal or a fault: a stable snake_case `code`, a `reason` for people, and where it is when known (`field`
 * of the settings; `line` and `column` in a body or a template's text).
 * @typedef {{ code: string, reason: string, field?: string, line?: number, column?: number }} Failure
 */

/**
 * A pull request's thread (src/dispatch/threads.hpp): `key` "<repository>#<id>", `name` the post's, at most
 * 100 characters, `updated_us` the pull request's updated_on in microseconds (null when unreadable),
 * `state` ("OPEN", "MERGED", …) and `card`, the finalized card that heads the thread.
 * @typedef {{ key: string, name: string, updated_us: number | null, state: string, card: DiscordMessage }} Thread
 */

/**
 * One delivery's outcome (the contract in docs/architecture.md): what to do (`verdict`), the HTTP status to
 * answer Bitbucket with, the case's `code` and `reason`; `event` the X-Event-Key when there was one;
 * `message` for verdict "deliver"; `thread` for a pull request event of an endpoint with threads.
 * @typedef {{ verdict: 'deliver' | 'ignore' | 'reject', status: number, code: string, reason: string,
 *   event?: string, message?: DiscordMessage, thread?: Thread }} Outcome
 */

/**
 * An endpoint's event selection: `mode` "all" (every key), "push", or "custom" (the `custom` list).
 * @typedef {{ mode: string, custom?: string[] | null }} EventSelection
 */

/**
 * Branch, tag and actor globs (src/dispatch/filters.hpp).
 * @typedef {{ branches?: string[], tags?: string[], actors?: string[] }} Filters
 */

/**
 * An endpoint's settings as the core reads them (src/dispatch/endpoint.cpp): one `secret` or up to four
 * `secrets` (a rotation), the selection, the filters, one `template` or `templates` by selector (each a
 * template object or its JSON text), and `threads` ("pull_request" or "off"). The core checks them: a value
 * it does not know is its to refuse, so the types here are no narrower than what the store holds.
 * @typedef {{ secret?: string, secrets?: string[], events: EventSelection, filters?: Filters | null,
 *   template?: unknown, templates?: unknown, threads?: string | null }} EndpointSettings
 */

/**
 * The endpoint check: code "valid", or the first fault with its field (and position in a template).
 * @typedef {{ code: string, reason?: string, field?: string, line?: number, column?: number }} EndpointCheck
 */

/**
 * Whether an endpoint would deliver an event: "selected" or "event_not_selected"; with a payload, also
 * "branch_filtered" or "actor_filtered"; a push of which only some changes pass carries `changes` and
 * `left_out`. Otherwise a Failure ("event_key_invalid", "endpoint_invalid", the body's error).
 * @typedef {{ code: string, reason: string, changes?: { kept: number, total: number }, left_out?: string,
 *   field?: string, line?: number, column?: number }} Selection
 */

/**
 * Whether one name passes filters: "passes", "branch_filtered" or "actor_filtered"; or a Failure
 * ("endpoint_invalid" with its field, "envelope_invalid").
 * @typedef {{ code: string, reason: string, field?: string }} FilterCheck
 */

/**
 * A template name no sample has, or that says nothing for some events (`where`: the section it is inside).
 * @typedef {{ selector: string, name: string, where?: string, missing_for: string[], found_for: string[],
 *   reason: string }} TemplateWarning
 */

/**
 * Templates checked against samples: code "checked" with the event keys `checked` and the `warnings`, or a
 * Failure.
 * @typedef {{ code: string, checked?: string[], warnings?: TemplateWarning[], reason?: string, field?: string,
 *   line?: number, column?: number }} TemplateWarnings
 */

/**
 * The core's limits, in bytes and levels.
 * @typedef {{ max_body_bytes: number, max_template_bytes: number, max_templates_bytes: number,
 *   max_template_depth: number, max_section_nesting: number }} Limits
 */

/**
 * What Discord's limits shortened (or removed, when `length` is 0) in a rendered message.
 * @typedef {{ path: string, rule: string, limit: number, length: number, reason: string }} Cut
 */

/**
 * How much of one of Discord's limits a message uses.
 * @typedef {{ path: string, rule: string, used: number, allowed: number, unit: string }} BudgetRow
 */

/**
 * A preview: code "rendered" with the `message` (and `cuts` when the limits cut anything; `budget` and
 * `thread` when asked for), or a Failure (the event key's, the body's or the template's).
 * @typedef {{ code: string, message?: DiscordMessage, cuts?: Cut[], budget?: BudgetRow[], thread?: Thread,
 *   reason?: string, field?: string, line?: number, column?: number }} Rendered
 */

/**
 * A Mustache text rendered: code "rendered" with the `text`, or a Failure ("template_syntax",
 * "data_not_json", the render's own).
 * @typedef {{ code: string, text?: string, reason?: string, line?: number, column?: number }} MustacheAnswer
 */

/**
 * Which event keys a payload's shape fits: code "detected" with `keys` (most likely first) and the `basis`
 * for people; "shape_unknown" with a reason; or the body's Failure.
 * @typedef {{ code: string, keys?: string[], basis?: string, reason?: string, line?: number,
 *   column?: number }} Detection
 */

/**
 * A signature checked: code "valid", "signature_mismatch", "signature_malformed", "algorithm_unsupported",
 * "signature_missing", "secret_missing" or "envelope_invalid", and a reason that never holds the expected
 * signature.
 * @typedef {{ code: string, reason: string }} SignatureCheck
 */

/**
 * One event of Bitbucket's catalogue.
 * @typedef {{ key: string, category: string, label: string, description: string, family: string,
 *   pull_request: boolean, branch: string | null }} CatalogueEntry
 */

/**
 * A request `dispatch send` asks the edge to make: headers as [name, value] pairs.
 * @typedef {{ url: string, headers: [string, string][], timeout_seconds: number }} CliRequest
 */

/**
 * What a command line prints and its exit code; `request` when the edge is to make one (`send`).
 * @typedef {{ out: string, err: string, exit: number, request?: CliRequest, files?: undefined }} CliOutput
 */

/**
 * A command line planned: the `files` to read, or already its whole output.
 * @typedef {{ files: string[] } | CliOutput} CliPlan
 */

/**
 * What came of `send`'s request, for the core to word: `status` 0 for none, `failure` "" for none.
 * @typedef {{ url: string, timeout_seconds: number, uuid: string, status: number, failure: string,
 *   detail?: string }} CliAnswer
 */

/**
 * The exports of dispatch.wasm (and dispatch-tools.wasm, which adds dispatch_cli, dispatch_mustache and
 * dispatch_heap_in_use): each call export takes (envelope, envelope size, bytes, bytes size) and returns a
 * pointer to a NUL-terminated JSON answer, 0 when memory ran out.
 * @typedef {{ memory: WebAssembly.Memory, _initialize(): void, dispatch_alloc(size: number): number,
 *   dispatch_free(pointer: number): void, dispatch_heap_in_use(): number }
 *   & Record<CallName, (envelope: number, envelopeSize: number, bytes: number, bytesSize: number) => number>}
 *   CoreExports
 */

/**
 * @typedef {'dispatch_handle' | 'dispatch_handle_prepared' | 'dispatch_redeliver' | 'dispatch_endpoint_open'
 *   | 'dispatch_endpoint_close' | 'dispatch_endpoint_check' | 'dispatch_selects' | 'dispatch_filter_check'
 *   | 'dispatch_template_warnings' | 'dispatch_limits' | 'dispatch_render' | 'dispatch_preview'
 *   | 'dispatch_mustache' | 'dispatch_detect' | 'dispatch_verify' | 'dispatch_events' | 'dispatch_cli'
 *   | 'dispatch_selected_keys' | 'dispatch_codes'} CallName
 */

/** @typedef {Uint8Array | ArrayBuffer | ArrayBufferView} Bytes */

const encoder = new TextEncoder();
// Both options at their defaults, spelled out because workerd's types require both.
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

// Raised when the wasm instance itself fails (out of memory, a trap). Refused input is never an exception:
// it comes back as an outcome.
export class CoreFailure extends Error {
  /** @param {string} message @param {ErrorOptions} [options] */
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
    /** @param {number} code */
    proc_exit(code) {
      throw new CoreFailure(`dispatch core aborted (exit ${code})`);
    },
  },
};

/** @param {WebAssembly.Module | BufferSource} moduleOrBytes @returns {Promise<Core>} */
export async function instantiateCore(moduleOrBytes) {
  // A Module instantiates to an Instance, bytes to {module, instance} (node and browsers; workerd takes only a
  // Module, and its types say so).
  const result = /** @type {WebAssembly.Instance | { instance: WebAssembly.Instance }} */ (
    await WebAssembly.instantiate(/** @type {any} */ (moduleOrBytes), imports));
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  /** @type {CoreExports} */ (instance.exports)._initialize();
  return new Core(instance);
}

// As instantiateCore, at once, from a compiled WebAssembly.Module (a Worker's global scope, where a promise
// would not settle before the first request).
/** @param {WebAssembly.Module} module @returns {Core} */
export function instantiateCoreNow(module) {
  const instance = new WebAssembly.Instance(module, imports);
  /** @type {CoreExports} */ (instance.exports)._initialize();
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
/** @type {readonly string[]} */
export const warmUpCodes = Object.freeze([...warmUpPayloads.map(() => 'accepted'), 'signature_mismatch']);

// V8 compiles a wasm function on its first call (lazily, Liftoff first), so a fresh instance's first delivery
// pays for compiling everything a delivery reaches: about 11 ms (bench/cold.mjs). This takes a push, a pull
// request, an issue and a build status through the pipeline, and one call as hooks.mjs makes it (the endpoint
// compiled under a key, then forgotten; its wrong signature is still checked in full), so that cost is paid
// here, at startup, not by the first request. Returns the outcomes' codes (warmUpCodes when all is well).
/** @param {Core} core @returns {string[]} */
export function warmUp(core) {
  /** @type {EndpointSettings} */
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
  /** @type {CoreExports} */
  #exports;
  /** @type {unknown} what broke the instance (a trap, an abort); null while it is usable */
  #broken = null;
  /** @type {Map<string, number>} */
  #prepared = new Map(); // key -> handle, in order of use
  /** @type {Limits | null} */
  #limits = null;

  /** @param {WebAssembly.Instance} instance */
  constructor(instance) {
    this.#exports = /** @type {CoreExports} */ (instance.exports);
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
  /**
   * @param {EndpointSettings} endpoint @param {Record<string, string>} headers @param {Uint8Array | ArrayBuffer} body
   * @param {{ key?: string }} [options] @returns {Outcome}
   */
  handle(endpoint, headers, body, { key } = {}) {
    return JSON.parse(this.handleText(endpoint, headers, body, { key }));
  }

  // As handle, but returns the outcome's JSON text exactly as the core wrote it.
  /**
   * @param {EndpointSettings} endpoint @param {Record<string, string>} headers @param {Uint8Array | ArrayBuffer} body
   * @param {{ key?: string }} [options] @returns {string}
   */
  handleText(endpoint, headers, body, { key } = {}) {
    if (key === undefined) return this.#call('dispatch_handle', { endpoint, headers }, toBytes(body));
    const handle = this.#open(key, endpoint);
    if (handle === null) return this.#call('dispatch_handle', { endpoint, headers }, toBytes(body));
    return this.#call('dispatch_handle_prepared', { handle, headers }, toBytes(body));
  }

  // Returns the handle of the endpoint compiled under `key`, compiling it if needed; null when the settings
  // do not compile (the plain call then answers with their error).
  /** @param {string} key @param {EndpointSettings} endpoint @returns {number | null} */
  #open(key, endpoint) {
    const known = this.#prepared.get(key);
    if (known !== undefined) {
      this.#prepared.delete(key);
      this.#prepared.set(key, known);
      return known;
    }
    const opened = /** @type {{ code: string, handle: number }} */ (
      this.#callJson('dispatch_endpoint_open', endpoint, new Uint8Array(0)));
    if (opened.code !== 'opened') return null;
    this.#prepared.set(key, opened.handle);
    if (this.#prepared.size > preparedLimit) {
      this.forget(/** @type {string} */ (this.#prepared.keys().next().value));
    }
    return opened.handle;
  }

  // Closes the endpoint compiled under `key`, if one is.
  /** @param {string} key */
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
  /** @param {EndpointSettings} endpoint @param {string} event @param {Bytes} body @returns {Outcome} */
  redeliver(endpoint, event, body) {
    return this.#callJson('dispatch_redeliver', { endpoint, event }, toBytes(body));
  }

  // Checks endpoint settings {secret, events, template?, templates?}. Returns {code:"valid"} or
  // {code:"endpoint_invalid", reason:"<field> …", field, line?, column?}. With `request`, the bytes
  // of the admin request the settings came in, a template written there as an object is placed in them.
  /** @param {unknown} endpoint @param {Bytes} [request] @returns {EndpointCheck} */
  checkEndpoint(endpoint, request = new Uint8Array(0)) {
    return this.#callJson('dispatch_endpoint_check', endpoint, toBytes(request));
  }

  // Says whether an endpoint {events, filters?} would deliver event `key`: {code:"selected" |
  // "event_not_selected", reason}, or {code:"event_key_invalid" | "endpoint_invalid", reason, field?}. With the
  // event's `payload` (its bytes), the filters apply too: {code:"branch_filtered" | "actor_filtered",
  // reason} as a delivery would log it; a push of which only some changes pass is {code:"selected", reason,
  // changes:{kept, total}, left_out}.
  /**
   * @param {{ events: unknown, filters?: unknown }} endpoint @param {string} key @param {Bytes} [payload]
   * @returns {Selection}
   */
  selects(endpoint, key, payload = new Uint8Array(0)) {
    return JSON.parse(this.selectsText(endpoint, key, payload));
  }

  // As selects, but returns the answer's JSON text exactly as the core wrote it.
  /** @param {{ events: unknown, filters?: unknown }} endpoint @param {string} key @param {Bytes} [payload] */
  selectsText(endpoint, key, payload = new Uint8Array(0)) {
    /** @type {{ events: unknown, filters?: unknown }} */
    const settings = { events: endpoint.events };
    if (endpoint.filters !== undefined && endpoint.filters !== null) settings.filters = endpoint.filters;
    return this.#call('dispatch_selects', { endpoint: settings, event: key }, toBytes(payload));
  }

  // The catalogue's keys an event selection {mode, custom?} takes, in the catalogue's order: {code:"listed",
  // keys:[…]}, or {code:"endpoint_invalid", reason, field} for a selection that would not save.
  /** @param {unknown} events @returns {{code: string, keys?: string[], reason?: string, field?: string}} */
  selectedKeys(events) {
    return this.#callJson('dispatch_selected_keys', { events }, new Uint8Array(0));
  }

  // The Sources page's "would this pass?": whether one name passes `filters` {branches?, tags?, actors?}.
  // `value` is {branch} | {tag} | {actor}. Returns {code:"passes" | "branch_filtered" | "actor_filtered",
  // reason}, or {code:"endpoint_invalid", reason, field} for filters that would not save.
  /**
   * @param {unknown} filters @param {{ branch?: string, tag?: string, actor?: string }} value
   * @returns {FilterCheck}
   */
  filterCheck(filters, value) {
    return JSON.parse(this.filterCheckText(filters, value));
  }

  // As filterCheck, but returns the answer's JSON text exactly as the core wrote it.
  /** @param {unknown} filters @param {{ branch?: string, tag?: string, actor?: string }} value */
  filterCheckText(filters, value) {
    return this.#call('dispatch_filter_check', { filters, ...value }, new Uint8Array(0));
  }

  // Checks an endpoint's templates {events, template?, templates?} against sample payloads [{event, body}]
  // (body: the payload's JSON text) of the events they apply to. Returns {code:"checked", checked:[keys],
  // warnings:[{selector, name, where?, missing_for, found_for, reason}]}: names no sample has, or that say
  // nothing for some of the events (a push template under mode "all"). Warnings, not errors.
  /**
   * @param {{ events: unknown, template?: unknown, templates?: unknown }} endpoint
   * @param {{ event: string, body: string }[]} samples @returns {TemplateWarnings}
   */
  templateWarnings(endpoint, samples) {
    /** @type {{ events: unknown, template?: unknown, templates?: unknown }} */
    const settings = { events: endpoint.events };
    if (endpoint.template !== undefined && endpoint.template !== null) settings.template = endpoint.template;
    if (endpoint.templates !== undefined && endpoint.templates !== null) settings.templates = endpoint.templates;
    return this.#callJson('dispatch_template_warnings', { endpoint: settings, samples }, new Uint8Array(0));
  }

  // The core's limits: {max_body_bytes, max_template_bytes, max_templates_bytes, max_template_depth,
  // max_section_nesting}.
  // They are constants of the module: asked once per instance, not on every hook.
  /** @returns {Limits} */
  limits() {
    return (this.#limits ??= this.#callJson('dispatch_limits', {}, new Uint8Array(0)));
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
  /**
   * @param {string} key @param {Bytes} payload @param {string} [template]
   * @param {{ budget?: boolean, thread?: boolean, filters?: unknown }} [options] @returns {Rendered}
   */
  render(key, payload, template, { budget = false, thread = false, filters } = {}) {
    return JSON.parse(this.renderText(key, payload, template, { budget, thread, filters }));
  }

  // As render, but returns the answer's JSON text exactly as the core wrote it.
  /**
   * @param {string} key @param {Bytes} payload @param {string} [template]
   * @param {{ budget?: boolean, thread?: boolean, filters?: unknown }} [options]
   */
  renderText(key, payload, template, { budget = false, thread = false, filters } = {}) {
    /** @type {{ event: string, template?: string, filters?: unknown, budget?: true, thread?: true }} */
    const envelope = { event: key };
    if (template !== undefined) envelope.template = template;
    if (filters !== undefined && filters !== null) envelope.filters = filters;
    if (budget) envelope.budget = true;
    if (thread) envelope.thread = true;
    return this.#call('dispatch_render', envelope, toBytes(payload));
  }

  // Answers a preview request from its raw body bytes {event, payload}: the core parses it, so payload
  // numbers keep their exact value. Returns {code:"rendered", message} or {code, reason, line?, column?}.
  /** @param {Bytes} request @returns {Rendered} */
  previewRequest(request) {
    return this.#callJson('dispatch_preview', {}, toBytes(request));
  }

  // Renders a Mustache text template against `dataText` (JSON text). `options`: {partials, escaping:
  // "html" | "discord" (default) | "none"}. Returns {code:"rendered", text} or {code, reason, line?, column?}.
  /**
   * @param {string} template @param {string} dataText
   * @param {{ partials?: Record<string, string>, escaping?: 'html' | 'discord' | 'none' }} [options]
   * @returns {MustacheAnswer}
   */
  mustache(template, dataText, { partials, escaping } = {}) {
    return this.#callJson('dispatch_mustache', { template, partials, escaping }, encoder.encode(dataText));
  }

  // Says which event keys a payload's shape fits, for a payload without its X-Event-Key (the preview).
  // Returns {code:"detected", keys:[…] (most likely first), basis}, {code:"shape_unknown", reason}, or the
  // body's error {code, reason, line?, column?}.
  /** @param {Bytes} payload @returns {Detection} */
  detect(payload) {
    return JSON.parse(this.detectText(payload));
  }

  // As detect, but returns the answer's JSON text exactly as the core wrote it.
  /** @param {Bytes} payload */
  detectText(payload) {
    return this.#call('dispatch_detect', {}, toBytes(payload));
  }

  // Checks an X-Hub-Signature value against the exact bytes that were signed and the secret. Returns
  // {code:"valid", reason} or {code, reason}: signature_mismatch, signature_malformed, algorithm_unsupported,
  // signature_missing, secret_missing. The reason never holds the expected signature.
  /** @param {string} secret @param {string} signature @param {Bytes} body @returns {SignatureCheck} */
  verify(secret, signature, body) {
    return JSON.parse(this.verifyText(secret, signature, body));
  }

  // As verify, but returns the answer's JSON text exactly as the core wrote it.
  /** @param {string} secret @param {string} signature @param {Bytes} body */
  verifyText(secret, signature, body) {
    return this.#call('dispatch_verify', { secret, signature }, toBytes(body));
  }

  // Returns the event catalogue: [{key, category, label, description, family, pull_request, branch}] (family:
  // the renderer; pull_request: whether it goes to a pull request's thread; branch: where the branch filters
  // find its branch, or null).
  /** @returns {CatalogueEntry[]} */
  events() {
    return this.#callJson('dispatch_events', {}, new Uint8Array(0));
  }

  // Returns the registry of codes: [{code, status (0: not an HTTP answer), meaning, also_status?}].
  /** @returns {{code: string, status: number, meaning: string, also_status?: number[]}[]} */
  codes() {
    return this.#callJson('dispatch_codes', {}, new Uint8Array(0));
  }

  // Plans a `dispatch` command line: returns {files:[…]} to read, or its whole answer {out, err, exit}.
  /** @param {string[]} argv @returns {CliPlan} */
  cliPlan(argv) {
    return this.#callJson('dispatch_cli', { argv }, new Uint8Array(0));
  }

  // Runs a command line with the planned files' contents (Uint8Arrays, in plan order). Returns
  // {out, err, exit}.
  /** @param {string[]} argv @param {Uint8Array[]} files @returns {CliOutput} */
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
  /** @param {string[]} argv @param {CliAnswer} answer @param {Uint8Array} body @returns {CliOutput} */
  cliAnswer(argv, answer, body) {
    return this.#callJson('dispatch_cli', { argv, answer }, body);
  }

  // Words a file that could not be read (`why`: not_found, permission_denied, is_directory, other) as
  // the native CLI does. Returns {out, err, exit}.
  /**
   * @param {string[]} argv @param {string} path @param {'not_found' | 'permission_denied' | 'is_directory' | 'other'} why
   * @returns {CliOutput}
   */
  cliReadError(argv, path, why) {
    return this.#callJson('dispatch_cli', { argv, read_error: { path, why } }, new Uint8Array(0));
  }

  // Returns the size of the wasm memory, which only ever grows: a long-lived isolate watches it.
  /** @returns {number} */
  memoryBytes() {
    return this.#exports.memory.buffer.byteLength;
  }

  // Returns the bytes malloc has handed out and not had back: equal before and after a call that frees
  // everything it allocated. Only dispatch-tools.wasm has it.
  /** @returns {number} */
  heapInUse() {
    return this.#exports.dispatch_heap_in_use();
  }

  // #call's answer, parsed: its type is the caller's to name, from the export's contract.
  /** @param {CallName} name @param {unknown} envelope @param {Uint8Array} bytes @returns {any} */
  #callJson(name, envelope, bytes) {
    return JSON.parse(this.#call(name, envelope, bytes));
  }

  // Copies the envelope and the bytes into wasm memory once, calls `name`, and frees everything on every
  // path. Whatever escapes the export (a trap, an abort, a RangeError from a stack overflow) leaves its
  // memory and stack untrustworthy: the instance is then unusable, and says so.
  /** @param {CallName} name @param {unknown} envelope @param {Uint8Array} bytes @returns {string} */
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
        throw new CoreFailure(`dispatch core failed in ${name}: ${/** @type {any} */ (error)?.message ?? error}`, { cause: error });
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

// Returns `body` as a Uint8Array over the same memory; a string is refused (TypeError): the core takes bytes.
/** @param {unknown} body @returns {Uint8Array} */
function toBytes(body) {
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('body must be the raw bytes received (Uint8Array or ArrayBuffer), not a decoded string');
}
