// Native verify throughput, for bench/verify.mjs to set beside wasm and WebCrypto. Measures the same call
// the wasm figure does: the whole pipeline entry on a body whose signature does not match, which is one
// HMAC-SHA256 over the body, the compare, and the refusal.
//
//   dispatch_bench SIZE... -> one JSON line per size: {"size":N,"iterations":I,"seconds":S}

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dispatch/pipeline.hpp"

int main(int argc, char** argv) {
  using clock = std::chrono::steady_clock;
  const auto selection = dispatch::make_selection("all", {});
  const dispatch::endpoint_settings endpoint{"bench-secret", selection.value()};
  dispatch::header_map headers;
  headers.add("X-Event-Key", "repo:push");
  headers.add("X-Hub-Signature", "sha256=" + std::string(64, '0'));
  for (int i = 1; i < argc; ++i) {
    const auto size = static_cast<std::size_t>(std::strtoull(argv[i], nullptr, 10));
    std::string body(size, 'x');
    for (std::size_t k = 0; k < size; ++k) body[k] = static_cast<char>('a' + k % 26);
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
    // Run for at least half a second to smooth out the clock.
    long iterations = 0;
    const auto start = clock::now();
    std::chrono::duration<double> elapsed{};
    int refusals = 0;
    do {
      for (int k = 0; k < 64; ++k) refusals += dispatch::handle(endpoint, headers, bytes).status == 401;
      iterations += 64;
      elapsed = clock::now() - start;
    } while (elapsed.count() < 0.5);
    if (refusals != iterations) return 1;
    std::printf("{\"size\":%zu,\"iterations\":%ld,\"seconds\":%.6f}\n", size, iterations, elapsed.count());
  }
  return 0;
}
