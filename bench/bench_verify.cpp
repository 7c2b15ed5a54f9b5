// Native verify throughput, for bench/verify.mjs to set beside wasm and WebCrypto. Measures the same call
// the wasm figure does: the whole pipeline entry on a body whose signature does not match, which is one
// HMAC-SHA256 over the body, the compare, and the refusal.
//
//   dispatch_bench SIZE... -> one JSON line per size: {"size":N,"per_second":R}

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dispatch/pipeline.hpp"

int main(int argc, char** argv) {
  using clock = std::chrono::steady_clock;
  const auto selection = dispatch::make_selection("all", {});
  const dispatch::endpoint_settings endpoint{{"bench-secret"}, selection.value(), {}};
  dispatch::header_map headers;
  headers.add("X-Event-Key", "repo:push");
  headers.add("X-Hub-Signature", "sha256=" + std::string(64, '0'));
  for (int i = 1; i < argc; ++i) {
    const auto size = static_cast<std::size_t>(std::strtoull(argv[i], nullptr, 10));
    std::string body(size, 'x');
    for (std::size_t k = 0; k < size; ++k) body[k] = static_cast<char>('a' + k % 26);
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
    // The best of five rounds of at least 0.2 s each: the least disturbed by whatever else the machine does.
    double best = 0;
    for (int round = 0; round < 5; ++round) {
      long iterations = 0;
      long refusals = 0;
      const auto start = clock::now();
      std::chrono::duration<double> elapsed{};
      do {
        for (int k = 0; k < 64; ++k) refusals += dispatch::handle(endpoint, headers, bytes).status == 401;
        iterations += 64;
        elapsed = clock::now() - start;
      } while (elapsed.count() < 0.2);
      if (refusals != iterations) return 1;
      best = std::max(best, static_cast<double>(iterations) / elapsed.count());
    }
    std::printf("{\"size\":%zu,\"per_second\":%.1f}\n", size, best);
  }
  return 0;
}
