// What the Worker's JavaScript uses of workerd beyond the web platform's types, for `tsc` (tsconfig.json).

// workerd's constant-time comparison (developers.cloudflare.com/workers/runtime-apis/web-crypto/).
interface SubtleCrypto {
  timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean;
}

// A .wasm module imported by the Worker is a compiled WebAssembly.Module (wrangler's CompiledWasm rule).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
