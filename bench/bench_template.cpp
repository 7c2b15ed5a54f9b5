// Native template throughput, for bench/template.mjs to set beside wasm and mustache.js. Each call does what
// the others do: parse the data JSON and the template, then render (the spec suite: every core test).
//
//   dispatch_bench_template TEMPLATE DATA SPEC_DIR
//     -> {"push_per_second":R,"push_render_only_per_second":O,"spec_suites_per_second":S,…}

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch/mustache/ast.hpp"

namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

// Calls per second of `once`: the best of five rounds of at least 0.2 s, as every bench here does.
template <class F>
double rate(F once) {
  using clock = std::chrono::steady_clock;
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    long calls = 0;
    const auto start = clock::now();
    std::chrono::duration<double> elapsed{};
    do {
      for (int k = 0; k < 16; ++k) once();
      calls += 16;
      elapsed = clock::now() - start;
    } while (elapsed.count() < 0.2);
    best = std::max(best, static_cast<double>(calls) / elapsed.count());
  }
  return best;
}

struct spec_case {
  std::string template_text;
  std::string data;
  dispatch::mustache::partial_map partials;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: dispatch_bench_template TEMPLATE DATA SPEC_DIR\n");
    return 2;
  }
  using namespace dispatch;
  const auto template_text = read_all(argv[1]);
  const auto data = read_all(argv[2]);
  std::vector<spec_case> cases;
  for (const auto* name : {"comments", "delimiters", "interpolation", "inverted", "partials", "sections"}) {
    const auto suite = json::parse(read_all(std::filesystem::path(argv[3]) / (std::string(name) + ".json")));
    for (const auto& test : suite["tests"]) {
      spec_case one{test["template"].get<std::string>(), test["data"].dump(), {}};
      if (test.contains("partials")) {
        for (const auto& item : test["partials"].items())
          one.partials.emplace(item.key(), item.value().get<std::string>());
      }
      cases.push_back(std::move(one));
    }
  }
  std::size_t sink = 0;
  const auto push = rate([&] {
    sink +=
        mustache::render_text(template_text, data, {}, mustache::escaping::discord)["text"].get<std::string>().size();
  });
  const auto spec = rate([&] {
    for (const auto& one : cases) {
      sink += mustache::render_text(one.template_text, one.data, one.partials, mustache::escaping::html).size();
    }
  });
  // The engine alone: the template and the data parsed once, then rendered.
  const auto tree = mustache::parse(template_text);
  const auto values = parse_json(data);
  if (!tree.ok() || !values.ok()) return 1;
  const auto render_only = rate(
      [&] { sink += mustache::render(tree.value(), values.value(), {}, mustache::escaping::discord).value().size(); });
  std::printf(
      "{\"push_per_second\":%.1f,\"push_render_only_per_second\":%.1f,\"spec_suites_per_second\":%.1f,"
      "\"spec_tests\":%zu,\"sink\":%zu}\n",
      push, render_only, spec, cases.size(), sink % 2);
  return 0;
}
