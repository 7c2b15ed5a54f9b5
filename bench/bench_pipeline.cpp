// The native side of bench/pipeline.mjs: the same pipeline the wasm call runs (envelope in, outcome JSON
// out), and the body's parse alone, timed call by call so that node can interleave it with its own
// contenders.
//
//   dispatch_bench_pipeline MANIFEST   MANIFEST is {"payloads":[{"file":"…","envelope":"…"}]}.
//   Then, for every line "round" on stdin, one JSON line on stdout:
//   {"pipeline":[ns…],"parse":[ns…],"parse_nlohmann":[ns…],"outcome":[bytes…]}, one entry per payload.
//
// Built with -DDISPATCH_BENCH_BEFORE against an older core, parse_nlohmann is left out (the old parse_json
// is nlohmann's).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch/json_in.hpp"
#include "dispatch/answers.hpp"

namespace {

std::string read_all(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

template <class Call>
long long time_ns(Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  call();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
}

void print_list(const char* name, const std::vector<long long>& values, bool last) {
  std::printf("\"%s\":[", name);
  for (std::size_t k = 0; k < values.size(); ++k) std::printf(k == 0 ? "%lld" : ",%lld", values[k]);
  std::printf(last ? "]" : "],");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: dispatch_bench_pipeline MANIFEST\n");
    return 2;
  }
  const auto manifest = dispatch::parse_json(read_all(argv[1]));
  if (!manifest.ok() || !manifest.value().contains("payloads")) {
    std::fprintf(stderr, "manifest is not {\"payloads\":[…]}\n");
    return 2;
  }
  std::vector<std::string> bodies;
  std::vector<std::string> envelopes;
  for (const auto& payload : manifest.value()["payloads"]) {
    bodies.push_back(read_all(payload["file"].get<std::string>()));
    envelopes.push_back(payload["envelope"].get<std::string>());
  }
  const auto count = bodies.size();
  std::string line;
  std::size_t sink = 0;
  while (std::getline(std::cin, line)) {
    std::vector<long long> pipeline(count);
    std::vector<long long> parse(count);
    std::vector<long long> parse_nlohmann(count);
    std::vector<long long> outcome(count);
    for (std::size_t k = 0; k < count; ++k) {
      const auto& body = bodies[k];
      const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
      pipeline[k] = time_ns([&] {
        // As wasm/abi.cpp's dispatch_handle: the envelope, the pipeline, the outcome's text.
        const auto text = dispatch::dump_json(dispatch::outcome_json(dispatch::handle_envelope(envelopes[k], bytes)));
        outcome[k] = static_cast<long long>(text.size());
      });
      parse[k] = time_ns([&] { sink += dispatch::parse_json(body).ok(); });
#ifndef DISPATCH_BENCH_BEFORE
      parse_nlohmann[k] = time_ns([&] { sink += dispatch::detail::reference_parse_json(body).ok(); });
#endif
    }
    if (sink == 0) return 1;
    std::printf("{");
    print_list("pipeline", pipeline, false);
    print_list("parse", parse, false);
#ifndef DISPATCH_BENCH_BEFORE
    print_list("parse_nlohmann", parse_nlohmann, false);
#endif
    print_list("outcome", outcome, true);
    std::printf("}\n");
    std::fflush(stdout);
  }
  return 0;
}
