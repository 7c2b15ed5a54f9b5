// The native side of bench/pipeline.mjs: the same pipeline the wasm call runs (envelope in, outcome JSON
// out), and the body's parse alone, timed call by call so that node can interleave it with its own
// contenders.
//
//   dispatch_bench_pipeline MANIFEST   MANIFEST is {"payloads":[{"file":"…","envelope":"…"}]}.
//   Then, for every line "round" on stdin, one JSON line on stdout:
//   {"pipeline":[ns…],"parse":[ns…],"parse_nlohmann":[ns…],"hmac":[ns…],"outcome":[bytes…]}, one entry per
//   payload ("hmac": the signature's HMAC-SHA256 alone).
//
// The pipeline is timed as the Worker calls it: the endpoint's settings read once (dispatch_endpoint_open),
// then per call the envelope of headers, the pipeline and the outcome's text (dispatch_handle_prepared).
// Built with -DDISPATCH_BENCH_BEFORE against an older core, parse_nlohmann and hmac are left out (the old parse_json
// is nlohmann's) and each call reads the settings from its envelope (dispatch_handle).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch/answers.hpp"
#include "dispatch/endpoint.hpp"
#include "dispatch/headers.hpp"
#include "dispatch/json_io.hpp"
#include "dispatch/pipeline.hpp"
#include "dispatch/signature.hpp"

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
#ifndef DISPATCH_BENCH_BEFORE
  // Each payload's endpoint read once, as the Worker keeps it compiled under its key.
  std::vector<dispatch::endpoint_settings> endpoints;
  std::vector<std::string> keys;  // each endpoint's secret, for the HMAC alone
  for (const auto& envelope : envelopes) {
    const auto root = dispatch::parse_json(envelope);
    auto settings = root.ok()
                        ? dispatch::parse_endpoint(root.value()["endpoint"])
                        : dispatch::result<dispatch::endpoint_settings>(dispatch::make_error("bench", "envelope"));
    if (!root.ok() || !settings.ok()) {
      std::fprintf(stderr, "a payload's envelope does not hold valid endpoint settings\n");
      return 2;
    }
    keys.push_back(settings.value().secrets.front());
    endpoints.push_back(std::move(settings).value());
  }
#endif
  std::string line;
  std::size_t sink = 0;
  while (std::getline(std::cin, line)) {
    std::vector<long long> pipeline(count);
    std::vector<long long> parse(count);
    std::vector<long long> parse_nlohmann(count);
    std::vector<long long> hmac(count);
    std::vector<long long> outcome(count);
    for (std::size_t k = 0; k < count; ++k) {
      const auto& body = bodies[k];
      const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
      pipeline[k] = time_ns([&] {
#ifdef DISPATCH_BENCH_BEFORE
        // As wasm/abi.cpp's dispatch_handle: the envelope, the pipeline, the outcome's text.
        const auto text = dispatch::dump_json(dispatch::outcome_json(dispatch::handle_envelope(envelopes[k], bytes)));
#else
        // As wasm/abi.cpp's dispatch_handle_prepared: the envelope's headers, the pipeline, the outcome's text.
        const auto root = dispatch::parse_json(envelopes[k]);
        const auto headers = dispatch::parse_headers(root.value()["headers"]);
        const auto text =
            dispatch::dump_json(dispatch::outcome_json(dispatch::handle(endpoints[k], headers.value(), bytes)));
#endif
        outcome[k] = static_cast<long long>(text.size());
      });
      parse[k] = time_ns([&] { sink += dispatch::parse_json(body).ok(); });
#ifndef DISPATCH_BENCH_BEFORE
      parse_nlohmann[k] = time_ns([&] { sink += dispatch::detail::reference_parse_json(body).ok(); });
      hmac[k] = time_ns([&] { sink += 1 + dispatch::hmac_sha256(dispatch::as_bytes(keys[k]), bytes)[0]; });
#endif
    }
    if (sink == 0) return 1;
    std::printf("{");
    print_list("pipeline", pipeline, false);
    print_list("parse", parse, false);
#ifndef DISPATCH_BENCH_BEFORE
    print_list("parse_nlohmann", parse_nlohmann, false);
    print_list("hmac", hmac, false);
#endif
    print_list("outcome", outcome, true);
    std::printf("}\n");
    std::fflush(stdout);
  }
  return 0;
}
