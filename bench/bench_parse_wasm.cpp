// A bench-only wasm module for bench/pipeline.mjs: the body's parse alone, with the reader parse_json uses
// and with nlohmann's own parse (what parse_json was before the fast reader), and its HMAC-SHA256 alone, in the same
// module and memory. Never part of dispatch.wasm.

#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <string_view>

#include "../wasm/call_arena.hpp"
#include "dispatch/json_io.hpp"
#include "dispatch/signature.hpp"

extern "C" {

// Returns `size` bytes of wasm memory, or 0.
void* bench_alloc(std::size_t size) { return std::malloc(size == 0 ? 1 : size); }

// Releases memory from bench_alloc.
void bench_free(void* pointer) { std::free(pointer); }

// Parses the bytes with parse_json as a delivery does: in the call arena (wasm/call_arena.hpp), the tree left
// to it rather than taken apart; returns 1 if they are JSON, else 0.
int bench_parse(const char* data, std::size_t size) {
  using parsed_json = dispatch::result<dispatch::json>;
  const dispatch::wasm::call_scope scope;
  return dispatch::wasm::left_to_arena<parsed_json>(dispatch::parse_json({data, size})).ok() ? 1 : 0;
}

// Parses the bytes with nlohmann's own parser; returns 1 if they are JSON, else 0.
int bench_parse_nlohmann(const char* data, std::size_t size) {
  return dispatch::detail::reference_parse_json({data, size}).ok() ? 1 : 0;
}

// HMAC-SHA256 of the bytes under `key` (as the signature check computes it); returns the digest's first byte.
int bench_hmac(const char* key, std::size_t key_size, const char* data, std::size_t size) {
  const auto digest = dispatch::hmac_sha256({reinterpret_cast<const std::uint8_t*>(key), key_size},
                                            {reinterpret_cast<const std::uint8_t*>(data), size});
  return digest[0];
}

// Returns the bytes malloc has handed out and not had back.
std::size_t bench_heap_in_use() { return mallinfo().uordblks; }
}
