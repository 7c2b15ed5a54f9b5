// Runs every case of tests/vectors/*.json through the native core, checks it against `expected`, and writes
// each raw outcome to a file that script/test compares byte for byte with the wasm build's. A case with an
// `endpoint` runs the whole pipeline (handle); one with `detect` asks which event the body is; one with
// `verify` ({secret, signature}) runs the signature checker; `selects` ({endpoint, event}) asks whether the
// endpoint would deliver the body; `filter_check` ({filters, branch|tag|actor}) tries one name against filters;
// one with only an `event` renders a preview (with `filters`, as a delivery would send it).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch/answers.hpp"
#include "dispatch/json_io.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace dispatch;
using dispatch::testing::read_all;

namespace {

std::string decode_base64(std::string_view text) {
  std::string out;
  int value = 0;
  int bits = -8;
  for (const char c : text) {
    const auto* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* at = std::strchr(alphabet, c);
    if (c == '=' || at == nullptr || c == '\0') break;
    value = (value << 6) + static_cast<int>(at - alphabet);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((value >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// A vector's template is its source text, or an object written out as JSON.
std::string template_source(const ordered_json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump(2);
}

}  // namespace

TEST_CASE("shared vectors: native outcomes", "[vectors]") {
  const fs::path root = DISPATCH_SOURCE_DIR;
  const char* out_env = std::getenv("DISPATCH_VECTORS_OUT");
  const fs::path out_path =
      out_env != nullptr ? fs::path(out_env) : fs::path(DISPATCH_BINARY_DIR) / "vectors-native.txt";

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(root / "tests/vectors")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE_FALSE(files.empty());

  std::ofstream out(out_path, std::ios::binary);
  int ran = 0;
  int skipped = 0;
  for (const auto& file : files) {
    const auto suite = json::parse(read_all(file));
    // Templates keep their members' order (it is the output's), so they are read from an ordered copy.
    const auto ordered_suite = ordered_json::parse(read_all(file));
    std::size_t index = 0;
    for (const auto& test : suite.at("tests")) {
      const auto& ordered_test = ordered_suite.at("tests").at(index++);
      const auto name = file.filename().string() + "#" + test.at("name").get<std::string>();
      std::string body;
      if (test.contains("body")) {
        body = test["body"].get<std::string>();
      } else if (test.contains("body_base64")) {
        body = decode_base64(test["body_base64"].get<std::string>());
      } else if (test.contains("body_file")) {
        const auto path = root / test["body_file"].get<std::string>();
        if (!fs::exists(path)) {
          // The shared fixtures sit beside the repository in CI, not in a user's clone.
          WARN("skipped " << name << ": " << test["body_file"].get<std::string>() << " is not here (../shared absent)");
          out << name << "\tskipped\n";
          ++skipped;
          continue;
        }
        body = read_all(path);
      } else if (test.contains("body_fill")) {
        const auto& fill = test.at("body_fill");
        body = fill.value("prefix", "");
        for (int i = 0; i < fill.at("times").get<int>(); ++i) body += fill.at("text").get<std::string>();
        body += fill.value("suffix", "");
      }
      const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
      std::string actual;
      if (test.contains("endpoint")) {
        const ordered_json envelope = {{"endpoint", test.at("endpoint")}, {"headers", test.at("headers")}};
        actual = dump_json(outcome_json(handle_envelope(dump_json(envelope), bytes)));
      } else if (test.contains("selects")) {
        actual = dump_json(selects_json(dump_json(ordered_test.at("selects")), bytes));
      } else if (test.contains("filter_check")) {
        actual = dump_json(filter_check_json(dump_json(ordered_test.at("filter_check"))));
      } else if (test.contains("detect")) {
        actual = dump_json(detect_json(bytes));
      } else if (test.contains("verify")) {
        actual = dump_json(signature_check_json(dump_json(ordered_test.at("verify")), bytes));
      } else {
        const auto key = test.at("event").get<std::string>();
        const auto source = test.contains("template")
                                ? std::optional<std::string>(template_source(ordered_test.at("template")))
                                : std::nullopt;
        const auto filters = parse_filters(test.contains("filters") ? test.at("filters") : json());
        REQUIRE(filters.ok());
        actual = dump_json(preview_json(key, bytes, source, &filters.value()));
      }
      out << name << "\t" << actual << "\n";
      INFO(name);
      CHECK(json::parse(actual) == test.at("expected"));
      ++ran;
    }
  }
  CHECK(ran > 0);

  // Every shared fixture, previewed under its event key, also goes into the comparison.
  const auto index_path = testing::shared_dir() / "fixtures/bitbucket-cloud/index.json";
  if (!fs::exists(index_path)) {
    WARN("skipped the shared fixtures: ../shared is not beside the repository");
    out << "shared fixtures\tskipped\n";
    return;
  }
  for (const auto& entry : json::parse(read_all(index_path))) {
    const auto file = entry.at("file").get<std::string>();
    const auto body = read_all(index_path.parent_path() / file);
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
    const auto actual = dump_json(preview_json(entry.at("event_key").get<std::string>(), bytes));
    out << "shared:" << file << "\t" << actual << "\n";
    INFO(file);
    CHECK(json::parse(actual).at("code") == "rendered");
    // Detection must offer the key each fixture arrived with.
    const auto detected = dump_json(detect_json(bytes));
    out << "detect:" << file << "\t" << detected << "\n";
    const auto keys = json::parse(detected).value("keys", json::array());
    CHECK(std::find(keys.begin(), keys.end(), entry.at("event_key")) != keys.end());
  }
}
