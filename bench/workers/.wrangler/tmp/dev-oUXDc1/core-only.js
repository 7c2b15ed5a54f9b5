var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

// core-only.mjs
import wasmModule from "./22214e5a461cd38690b96c713712ee8b98702a98-dispatch.wasm";

// ../../js-shim/core.mjs
var encoder = new TextEncoder();
var decoder = new TextDecoder("utf-8", { fatal: false });
var CoreFailure = class extends Error {
  static {
    __name(this, "CoreFailure");
  }
  constructor(message, options) {
    super(message, options);
    this.name = "CoreFailure";
  }
};
async function instantiateCore(moduleOrBytes) {
  const imports = {
    env: {
      // Views are re-created on every call, so growth needs no bookkeeping here.
      emscripten_notify_memory_growth() {
      }
    },
    wasi_snapshot_preview1: {
      proc_exit(code) {
        throw new CoreFailure(`dispatch core aborted (exit ${code})`);
      }
    }
  };
  const result = await WebAssembly.instantiate(moduleOrBytes, imports);
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  instance.exports._initialize();
  return new Core(instance);
}
__name(instantiateCore, "instantiateCore");
var Core = class {
  static {
    __name(this, "Core");
  }
  #exports;
  #broken = null;
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
  handle(endpoint, headers, body) {
    return JSON.parse(this.handleText(endpoint, headers, body));
  }
  // As handle, but returns the outcome's JSON text exactly as the core wrote it.
  handleText(endpoint, headers, body) {
    return this.#call("dispatch_handle", { endpoint, headers }, toBytes(body));
  }
  // Runs the pipeline after the signature on a recorded body (a redelivery): the endpoint's current
  // selection and templates apply. Returns the outcome, as handle does.
  redeliver(endpoint, event, body) {
    return this.#callJson("dispatch_redeliver", { endpoint, event }, toBytes(body));
  }
  // Checks endpoint settings {secret, events, template?, templates?}. Returns {code:"valid"} or
  // {code:"endpoint_invalid", reason:"endpoint.<field> …", line?, column?}.
  checkEndpoint(endpoint) {
    return this.#callJson("dispatch_endpoint_check", endpoint, new Uint8Array(0));
  }
  // Renders the message a payload would produce under event `key`, without verifying or filtering (the
  // preview). Returns {code:"rendered", message} or {code, reason, line?, column?}.
  // With `template` (its JSON source text), renders that template instead of the auto-formatted embed.
  render(key, payload, template) {
    return JSON.parse(this.renderText(key, payload, template));
  }
  // As render, but returns the answer's JSON text exactly as the core wrote it.
  renderText(key, payload, template) {
    const envelope = template === void 0 ? { event: key } : { event: key, template };
    return this.#call("dispatch_render", envelope, toBytes(payload));
  }
  // Answers a preview request from its raw body bytes {event, payload}: the core parses it, so payload
  // numbers keep their exact value. Returns {code:"rendered", message} or {code, reason, line?, column?}.
  previewRequest(request) {
    return this.#callJson("dispatch_preview", {}, toBytes(request));
  }
  // Renders a Mustache text template against `dataText` (JSON text). `options`: {partials, escaping:
  // "html" | "discord" (default) | "none"}. Returns {code:"rendered", text} or {code, reason, line?, column?}.
  mustache(template, dataText, { partials, escaping } = {}) {
    return this.#callJson("dispatch_mustache", { template, partials, escaping }, encoder.encode(dataText));
  }
  // Returns the event catalogue: [{key, category, label, description}].
  events() {
    return this.#callJson("dispatch_events", {}, new Uint8Array(0));
  }
  // Plans a `dispatch` command line: returns {files:[…]} to read, or its whole answer {out, err, exit}.
  cliPlan(argv) {
    return this.#callJson("dispatch_cli", { argv }, new Uint8Array(0));
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
    return this.#callJson("dispatch_cli", { argv, sizes }, joined);
  }
  // Words a file that could not be read (`why`: not_found, permission_denied, is_directory, other) as
  // the native CLI does. Returns {out, err, exit}.
  cliReadError(argv, path, why) {
    return this.#callJson("dispatch_cli", { argv, read_error: { path, why } }, new Uint8Array(0));
  }
  // Returns the size of the wasm memory, which only ever grows: a long-lived isolate watches it.
  memoryBytes() {
    return this.#exports.memory.buffer.byteLength;
  }
  // Returns the bytes malloc has handed out and not had back: equal before and after a call that frees
  // everything it allocated.
  heapInUse() {
    return this.#exports.dispatch_heap_in_use();
  }
  #callJson(name, envelope, bytes) {
    return JSON.parse(this.#call(name, envelope, bytes));
  }
  // Copies the envelope and the bytes into wasm memory once, calls `name`, and frees everything on every
  // path. The instance is unusable after a trap, so that is remembered and reported.
  #call(name, envelope, bytes) {
    if (this.#broken) throw new CoreFailure("dispatch core is unusable after an earlier failure", { cause: this.#broken });
    const exports = this.#exports;
    const envelopeBytes = encoder.encode(JSON.stringify(envelope));
    let envelopePointer = 0;
    let bytesPointer = 0;
    let answerPointer = 0;
    try {
      envelopePointer = exports.dispatch_alloc(envelopeBytes.byteLength);
      bytesPointer = exports.dispatch_alloc(bytes.byteLength);
      if (!envelopePointer || !bytesPointer) throw new CoreFailure("dispatch core is out of memory");
      new Uint8Array(exports.memory.buffer, envelopePointer, envelopeBytes.byteLength).set(envelopeBytes);
      new Uint8Array(exports.memory.buffer, bytesPointer, bytes.byteLength).set(bytes);
      answerPointer = exports[name](envelopePointer, envelopeBytes.byteLength, bytesPointer, bytes.byteLength);
      if (!answerPointer) throw new CoreFailure("dispatch core is out of memory");
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
};
function toBytes(body) {
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError("body must be the raw bytes received (Uint8Array or ArrayBuffer), not a decoded string");
}
__name(toBytes, "toBytes");

// ../../js-shim/http.mjs
async function readLimited(request, limit) {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (!request.body) return new Uint8Array(0);
  const chunks = [];
  let size = 0;
  const reader = request.body.getReader();
  for (; ; ) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
__name(readLimited, "readLimited");

// core-only.mjs
var core = null;
var core_only_default = {
  async fetch(request, env) {
    core ??= await instantiateCore(wasmModule);
    const body = await readLimited(request, 1024 * 1024);
    const headers = { "x-event-key": request.headers.get("x-event-key"), "x-hub-signature": request.headers.get("x-hub-signature") };
    const outcome = core.handle({ secret: env.BENCH_SECRET, events: { mode: "all" } }, headers, body);
    return new Response(JSON.stringify({ status: outcome.code }), { status: outcome.status, headers: { "content-type": "application/json" } });
  }
};

// ../../node_modules/wrangler/templates/middleware/middleware-ensure-req-body-drained.ts
var drainBody = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } finally {
    try {
      if (request.body !== null && !request.bodyUsed) {
        const reader = request.body.getReader();
        while (!(await reader.read()).done) {
        }
      }
    } catch (e) {
      console.error("Failed to drain the unused request body.", e);
    }
  }
}, "drainBody");
var middleware_ensure_req_body_drained_default = drainBody;

// ../../node_modules/wrangler/templates/middleware/middleware-miniflare3-json-error.ts
function reduceError(e) {
  return {
    name: e?.name,
    message: e?.message ?? String(e),
    stack: e?.stack,
    cause: e?.cause === void 0 ? void 0 : reduceError(e.cause)
  };
}
__name(reduceError, "reduceError");
var jsonError = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } catch (e) {
    const error = reduceError(e);
    return Response.json(error, {
      status: 500,
      headers: { "MF-Experimental-Error-Stack": "true" }
    });
  }
}, "jsonError");
var middleware_miniflare3_json_error_default = jsonError;

// .wrangler/tmp/bundle-kLJLPQ/middleware-insertion-facade.js
var __INTERNAL_WRANGLER_MIDDLEWARE__ = [
  middleware_ensure_req_body_drained_default,
  middleware_miniflare3_json_error_default
];
var middleware_insertion_facade_default = core_only_default;

// ../../node_modules/wrangler/templates/middleware/common.ts
var __facade_middleware__ = [];
function __facade_register__(...args) {
  __facade_middleware__.push(...args.flat());
}
__name(__facade_register__, "__facade_register__");
function __facade_invokeChain__(request, env, ctx, dispatch, middlewareChain) {
  const [head, ...tail] = middlewareChain;
  const middlewareCtx = {
    dispatch,
    next(newRequest, newEnv) {
      return __facade_invokeChain__(newRequest, newEnv, ctx, dispatch, tail);
    }
  };
  return head(request, env, ctx, middlewareCtx);
}
__name(__facade_invokeChain__, "__facade_invokeChain__");
function __facade_invoke__(request, env, ctx, dispatch, finalMiddleware) {
  return __facade_invokeChain__(request, env, ctx, dispatch, [
    ...__facade_middleware__,
    finalMiddleware
  ]);
}
__name(__facade_invoke__, "__facade_invoke__");

// .wrangler/tmp/bundle-kLJLPQ/middleware-loader.entry.ts
var __Facade_ScheduledController__ = class ___Facade_ScheduledController__ {
  constructor(scheduledTime, cron, noRetry) {
    this.scheduledTime = scheduledTime;
    this.cron = cron;
    this.#noRetry = noRetry;
  }
  static {
    __name(this, "__Facade_ScheduledController__");
  }
  #noRetry;
  noRetry() {
    if (!(this instanceof ___Facade_ScheduledController__)) {
      throw new TypeError("Illegal invocation");
    }
    this.#noRetry();
  }
};
function wrapExportedHandler(worker) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return worker;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  const fetchDispatcher = /* @__PURE__ */ __name(function(request, env, ctx) {
    if (worker.fetch === void 0) {
      throw new Error("Handler does not export a fetch() function.");
    }
    return worker.fetch(request, env, ctx);
  }, "fetchDispatcher");
  return {
    ...worker,
    fetch(request, env, ctx) {
      const dispatcher = /* @__PURE__ */ __name(function(type, init) {
        if (type === "scheduled" && worker.scheduled !== void 0) {
          const controller = new __Facade_ScheduledController__(
            Date.now(),
            init.cron ?? "",
            () => {
            }
          );
          return worker.scheduled(controller, env, ctx);
        }
      }, "dispatcher");
      return __facade_invoke__(request, env, ctx, dispatcher, fetchDispatcher);
    }
  };
}
__name(wrapExportedHandler, "wrapExportedHandler");
function wrapWorkerEntrypoint(klass) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return klass;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  return class extends klass {
    #fetchDispatcher = /* @__PURE__ */ __name((request, env, ctx) => {
      this.env = env;
      this.ctx = ctx;
      if (super.fetch === void 0) {
        throw new Error("Entrypoint class does not define a fetch() function.");
      }
      return super.fetch(request);
    }, "#fetchDispatcher");
    #dispatcher = /* @__PURE__ */ __name((type, init) => {
      if (type === "scheduled" && super.scheduled !== void 0) {
        const controller = new __Facade_ScheduledController__(
          Date.now(),
          init.cron ?? "",
          () => {
          }
        );
        return super.scheduled(controller);
      }
    }, "#dispatcher");
    fetch(request) {
      return __facade_invoke__(
        request,
        this.env,
        this.ctx,
        this.#dispatcher,
        this.#fetchDispatcher
      );
    }
  };
}
__name(wrapWorkerEntrypoint, "wrapWorkerEntrypoint");
var WRAPPED_ENTRY;
if (typeof middleware_insertion_facade_default === "object") {
  WRAPPED_ENTRY = wrapExportedHandler(middleware_insertion_facade_default);
} else if (typeof middleware_insertion_facade_default === "function") {
  WRAPPED_ENTRY = wrapWorkerEntrypoint(middleware_insertion_facade_default);
}
var middleware_loader_entry_default = WRAPPED_ENTRY;
export {
  __INTERNAL_WRANGLER_MIDDLEWARE__,
  middleware_loader_entry_default as default
};
//# sourceMappingURL=core-only.js.map
