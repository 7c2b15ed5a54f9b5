// libFuzzer target for users' templates (up to 16 KB) rendered against real Bitbucket payloads: compiled and
// rendered through the endpoint settings, previewed as POST /api/preview receives them, and rendered as plain
// Mustache text with partials in each escaping mode. Its oracle: every answer is JSON, every error has a code,
// and no message leaves the core larger than Discord takes or with a string that is not UTF-8.
//
// Input, read with FuzzedDataProvider (integers come from the end of the input, text from the front):
//   last byte           the payload: 0 is push.json with its commits repeated to ten; then tests/vectors/bodies/*.json
//                       in name order (loaded once, from DISPATCH_SOURCE_DIR)
//   the byte before     the event key, an index into event_catalogue()
//   the byte before     flags: bit 0 renders through render_with (else handle_verified, then render_with if that
//                       refuses the key); bit 1 puts the template in the preview request as an object (else as text)
//   everything before   NUL-separated: the template document, then partials, each "name\nsource" (a partial
//                       without a newline is named p1, p2, … by its place)
//
//   cmake --preset fuzz && cmake --build --preset fuzz --target dispatch_fuzz_template
//   build/fuzz/dispatch_fuzz_template -max_len=16384 -rss_limit_mb=256 -timeout=2 -dict=tests/fuzz/template.dict \
//     build/fuzz/corpus-template tests/fuzz/corpus-template

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/answers.hpp"
#include "dispatch/discord_limits.hpp"
#include "dispatch/events.hpp"
#include "dispatch/json_io.hpp"
#include "dispatch/message_template.hpp"
#include "dispatch/mustache/ast.hpp"
#include "dispatch/signature.hpp"

using namespace dispatch;

namespace {

// A payload as Bitbucket sends it: its bytes, and those bytes parsed.
struct payload {
  std::string name;
  std::string text;
  json value;
};

// Used only when the repository's bodies cannot be read: the fuzzer still runs, over this alone.
constexpr std::string_view fallback_payload =
    R"({"actor":{"display_name":"Zoë"},"repository":{"full_name":"acme/relay-api"},"push":{"changes":[{"new":)"
    R"({"name":"main"},"commits":[{"hash":"7a1f3c2b9d8e","message":"Fix *it*\n\nbody"},{"hash":"3c4d5e6f7a8b",)"
    R"("message":"@everyone"}]}]}})";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Loaded once, before the first input: the fuzzer never touches the file system while it runs.
std::vector<payload>& payloads() {
  static std::vector<payload> loaded;
  return loaded;
}

void add_payload(std::string name, std::string text) {
  auto parsed = parse_json(text);
  if (!parsed.ok() || !parsed.value().is_object()) return;
  payloads().push_back({std::move(name), std::move(text), std::move(parsed).value()});
}

void load_payloads() {
  const std::filesystem::path dir = std::filesystem::path(DISPATCH_SOURCE_DIR) / "tests" / "vectors" / "bodies";
  std::error_code failure;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, failure)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  // First, and so index 0 whatever else is added: the ten-commit push that makes nested sections costly.
  const auto push = std::find_if(files.begin(), files.end(), [](const auto& p) { return p.filename() == "push.json"; });
  if (push != files.end()) {
    auto ten = parse_ordered_json(read_file(*push));
    if (ten.ok() && ten.value()["push"]["changes"].is_array() && !ten.value()["push"]["changes"].empty()) {
      auto& commits = ten.value()["push"]["changes"][0]["commits"];
      if (commits.is_array() && !commits.empty()) {
        const auto given = commits;
        for (std::size_t i = 0; commits.size() < 10; ++i) commits.push_back(given[i % given.size()]);
        add_payload("push.json, ten commits", dump_json(ten.value()));
      }
    }
  }
  for (const auto& file : files) add_payload(file.filename().string(), read_file(file));
  if (payloads().empty()) {
    std::fprintf(stderr, "fuzz_template: no payloads in %s; using a small built-in push\n", dir.c_str());
    add_payload("built-in push", std::string(fallback_payload));
  }
}

void check_error_json(const ordered_json& answer) {
  assert(answer.is_object());
  const auto code = answer.find("code");
  assert(code != answer.end() && code->is_string() && !code->get_ref<const std::string&>().empty());
  if (const auto line = answer.find("line"); line != answer.end()) {
    assert(line->is_number_integer() && line->get<int>() >= 1);
    assert(answer.contains("column") && answer["column"].get<int>() >= 1);
  }
}

// Asserts that `answer` dumps as the core dumps it, and that the text reads back as the same JSON.
void check_dumps(const ordered_json& answer) {
  const auto text = dump_json(answer);
  assert(!text.empty());
  assert(parse_json(text).ok());
}

void check_strings(const ordered_json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    assert(clean_text(text) == text);
  } else if (value.is_structured()) {
    for (const auto& item : value) check_strings(item);
  }
}

bool is_utf8(const std::string& text) {
  try {
    ordered_json(text).dump();  // throws on bytes that are not UTF-8
  } catch (const ordered_json::exception&) {
    return false;
  }
  return true;
}

std::size_t chars_of(const ordered_json& object, std::string_view key) {
  if (!object.is_object()) return 0;
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? count_chars(it->get_ref<const std::string&>()) : 0;
}

// Asserts what finalize_message promises of every message the core hands out.
void check_message(const ordered_json& message) {
  assert(message.is_object());
  std::string strict;
  try {
    strict = message.dump();  // throws on a string that is not UTF-8
  } catch (const ordered_json::exception&) {
    assert(false && "a finalized message holds a string that is not UTF-8");
  }
  assert(parse_json(strict).ok());
  check_strings(message);

  assert(chars_of(message, "content") <= discord_limits::content);
  assert(chars_of(message, "username") <= discord_limits::username);
  assert(message.contains("allowed_mentions") && message["allowed_mentions"]["parse"].empty());
  const auto embeds = message.find("embeds");
  if (embeds == message.end()) return;
  assert(embeds->is_array() && embeds->size() <= discord_limits::embeds);
  std::size_t total = 0;
  for (const auto& embed : *embeds) {
    assert(embed.is_object());
    const auto title = chars_of(embed, "title");
    const auto description = chars_of(embed, "description");
    assert(title <= discord_limits::title);
    assert(description <= discord_limits::description);
    total += title + description;
    if (const auto footer = embed.find("footer"); footer != embed.end()) {
      assert(chars_of(*footer, "text") <= discord_limits::footer_text);
      total += chars_of(*footer, "text");
    }
    if (const auto author = embed.find("author"); author != embed.end()) {
      assert(chars_of(*author, "name") <= discord_limits::author_name);
      total += chars_of(*author, "name");
    }
    if (const auto fields = embed.find("fields"); fields != embed.end()) {
      assert(fields->is_array() && fields->size() <= discord_limits::fields);
      for (const auto& field : *fields) {
        assert(chars_of(field, "name") <= discord_limits::field_name);
        assert(chars_of(field, "value") <= discord_limits::field_value);
        total += chars_of(field, "name") + chars_of(field, "value");
      }
    }
  }
  assert(total <= discord_limits::embeds_total);
}

void check_preview(const ordered_json& answer) {
  check_dumps(answer);
  check_error_json(answer);
  if (answer["code"] == "rendered") {
    assert(answer.contains("message"));
    check_message(answer["message"]);
  }
}

// The template, then the partials: NUL-separated pieces, each partial "name\nsource".
struct pieces {
  std::string document;
  mustache::partial_map partials;
};

pieces split(std::string_view text) {
  pieces out;
  std::size_t index = 0;
  while (true) {
    const auto end = text.find('\0');
    const auto piece = text.substr(0, end);
    if (index == 0) {
      out.document = std::string(piece);
    } else {
      const auto newline = piece.find('\n');
      if (newline == std::string_view::npos) {
        out.partials.emplace("p" + std::to_string(index), std::string(piece));
      } else {
        out.partials.emplace(std::string(piece.substr(0, newline)), std::string(piece.substr(newline + 1)));
      }
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
    ++index;
  }
  return out;
}

}  // namespace

// ASan keeps 256 MB of freed memory by default, which alone passes -rss_limit_mb=256 after a few hundred inputs
// (a false out-of-memory); 32 MB still catches a use after free. ASAN_OPTIONS overrides it.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=32"; }

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  load_payloads();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  const auto& chosen = payloads()[input.ConsumeIntegralInRange<std::size_t>(0, payloads().size() - 1)];
  const auto catalogue = event_catalogue();
  const std::string key(catalogue[input.ConsumeIntegralInRange<std::size_t>(0, catalogue.size() - 1)].key);
  const auto flags = input.ConsumeIntegral<std::uint8_t>();
  const auto text = input.ConsumeRemainingBytesAsString();
  const auto [document, partials] = split(text);

  // (a) The template as an endpoint's settings carry it, compiled and rendered as a delivery would be.
  const auto compiled = compile_template(document);
  if (!compiled.ok()) {
    assert(!compiled.error().code.empty() && !compiled.error().message.empty());
    assert(compiled.error().line >= 1 && compiled.error().column >= 1);
  }
  const json settings = {{"secret", "s"}, {"events", {{"mode", "all"}}}, {"template", document}};
  const auto endpoint = parse_endpoint(settings);
  assert(endpoint.ok() == compiled.ok());
  if (!endpoint.ok()) {
    assert(endpoint.error().code == "endpoint_invalid" && !endpoint.error().message.empty());
  } else {
    // A delivery whose key the body's shape contradicts is refused before rendering; render_with renders it
    // anyway, so that every input reaches the template.
    bool rendered_already = false;
    if ((flags & 1) == 0) {
      const auto delivered = handle_verified(endpoint.value(), key, as_bytes(chosen.text));
      check_dumps(outcome_json(delivered));
      assert(!delivered.code.empty() && !delivered.reason.empty());
      if (delivered.verdict == verdict::deliver) {
        assert(delivered.status == 202 && (delivered.code == "accepted" || delivered.code == "template_fallback"));
        assert(delivered.message.has_value());
        check_message(*delivered.message);
        rendered_already = true;
      } else {
        assert(delivered.verdict == verdict::reject && delivered.status == 400 && !delivered.message.has_value());
      }
    }
    if (!rendered_already) {
      const auto rendered = render_with(key, chosen.value, endpoint.value().templates);
      check_message(rendered.message);
      if (rendered.fallback) assert(!rendered.fallback->code.empty() && !rendered.fallback->message.empty());
    }
  }

  // (b) The preview, with the template inside the request as its text or as the object itself.
  std::string request = R"({"event":")" + key + R"(","payload":)" + chosen.text + R"(,"template":)";
  const auto as_object = (flags & 2) != 0 ? parse_ordered_json(document) : result<ordered_json>(ordered_json());
  request += as_object.ok() && as_object.value().is_object() ? dump_json(as_object.value())
                                                             : dump_json(ordered_json(document));
  request += '}';
  const auto previewed = preview_request_json(as_bytes(request));
  check_preview(previewed);
  if ((!as_object.ok() || !as_object.value().is_object()) && is_utf8(document)) {
    // Given as text, the preview compiles exactly what compile_template compiled, and says so (a request is
    // UTF-8: the core's dump writes other bytes as U+FFFD, which is another template).
    const auto& code = previewed["code"].get_ref<const std::string&>();
    if (compiled.ok()) {
      assert(code != "template_syntax" && code != "template_invalid");
    } else {
      assert(code == compiled.error().code);
    }
  }

  // (c) The text as a plain Mustache template with the input's partials, against what templates see.
  const auto context = dump_json(ordered_json(template_context(key, chosen.value, render_message(key, chosen.value))));
  for (const auto mode : {mustache::escaping::html, mustache::escaping::discord, mustache::escaping::none}) {
    const auto answer = mustache::render_text(document, context, partials, mode);
    check_dumps(answer);
    check_error_json(answer);
    if (answer["code"] == "rendered") {
      assert(answer["text"].is_string());
    } else {
      assert(answer["code"] != "data_not_json");
      assert(answer["reason"].is_string() && !answer["reason"].get_ref<const std::string&>().empty());
    }
  }
  return 0;
}
