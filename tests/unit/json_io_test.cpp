#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "dispatch/json_io.hpp"
#include "test_support.hpp"

using namespace dispatch;

TEST_CASE("parse_json reads documents and reports faults with a position", "[json]") {
  REQUIRE(parse_json(R"({"a":[1,2,{"b":null}]})").ok());
  CHECK(parse_json(R"({"a":[1,2,{"b":null}]})").value()["a"][2]["b"].is_null());

  const auto fault = [](std::string_view text) {
    const auto parsed = parse_json(text);
    REQUIRE_FALSE(parsed.ok());
    return parsed.error();
  };
  const auto bad_literal = fault("{\n  \"push\": nope\n}");
  CHECK(bad_literal.code == "json_syntax");
  CHECK(bad_literal.line == 2);
  CHECK(bad_literal.column == 12);  // the 'o' of "nope": the first byte that cannot continue "null"
  CHECK(bad_literal.message == "syntax error while parsing value - invalid literal; last read: '\"push\": no'");

  const auto empty = fault("");
  CHECK(empty.line == 1);
  CHECK(empty.column == 1);

  const auto trailing = fault("{} x");
  CHECK(trailing.line == 1);
  CHECK(trailing.column == 4);
  CHECK(trailing.message ==
        "syntax error while parsing value - invalid literal; last read: '{} x'; expected end of input");

  CHECK(fault("{\"a\":\"\x80\"}").code == "json_syntax");
}

TEST_CASE("parse_json refuses nesting past the limit", "[json]") {
  const std::string at_limit = std::string(max_json_depth, '[') + std::string(max_json_depth, ']');
  CHECK(parse_json(at_limit).ok());
  const std::string past = "[" + at_limit + "]";
  const auto parsed = parse_json(past);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == "json_too_deep");
  CHECK(parsed.error().message == "JSON nests deeper than 128 levels");
  CHECK(parsed.error().line == 1);
  CHECK(parsed.error().column == 129);
  // Brackets inside strings do not count.
  CHECK(parse_json("{\"a\": \"" + std::string(500, '[') + "\"}").ok());
  const auto multiline = parse_json("[\n" + std::string(200, '['));
  CHECK(multiline.error().line == 2);
  CHECK(multiline.error().column == 128);
  // A megabyte of brackets does not exhaust the stack.
  CHECK(parse_json(std::string(1 << 20, '[')).error().code == "json_too_deep");
}

TEST_CASE("dump_json never fails on bad UTF-8", "[json]") {
  ordered_json value = {{"text", std::string("ok\xff")}};
  CHECK(dump_json(value) == "{\"text\":\"ok\xEF\xBF\xBD\"}");
}

TEST_CASE("dump_json writes what nlohmann's dump writes, byte for byte", "[json]") {
  const std::vector<std::string> texts = {
      "",
      "plain",
      "quote \" and backslash \\",
      "\b\f\n\r\t",
      std::string("\x00\x01\x1f\x7f", 4),
      "caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x8E\x89",
      "\xC2\x80\xC2\x9F",  // C1 controls are not escaped
      // Invalid UTF-8: nlohmann's replacement.
      "\xff",
      "a\xC3",
      "\xE0\x80\x80",
      "\xED\xA0\x80",
      "\xF4\x90\x80\x80",
      "ok\xC3\xA9\xC3",
  };
  for (const auto& text : texts) {
    INFO("text: " << text);
    const ordered_json value = {{text, text}, {"list", {text, 1, -2, 3.5, true, nullptr}}};
    CHECK(dump_json(value) == detail::reference_dump_json(value));
  }
  const ordered_json numbers = {0, -0.0, 1e300, 18446744073709551615u, -9223372036854775807 - 1, 0.1, 1.0};
  CHECK(dump_json(numbers) == detail::reference_dump_json(numbers));
  CHECK(dump_json(ordered_json::object()) == "{}");
  CHECK(dump_json(ordered_json::array()) == "[]");
}

namespace {

// Checks that parse_json answers exactly what nlohmann's own parse answers (the same tree, or the same
// error), and returns whether the fast reader took the document itself.
bool agrees_with_nlohmann(std::string_view text) {
  json fast;
  const bool took = detail::fast_parse(text, fast);
  const auto parsed = parse_json(text);
  const auto reference = detail::reference_parse_json(text);
  REQUIRE(parsed.ok() == reference.ok());
  CHECK(took == reference.ok());
  if (reference.ok()) {
    CHECK(detail::same_json(parsed.value(), reference.value()));
    if (took) CHECK(detail::same_json(fast, reference.value()));
  } else {
    CHECK(parsed.error().code == reference.error().code);
    CHECK(parsed.error().message == reference.error().message);
    CHECK(parsed.error().line == reference.error().line);
    CHECK(parsed.error().column == reference.error().column);
  }
  return took;
}

}  // namespace

TEST_CASE("the fast reader agrees with nlohmann on tricky documents", "[json]") {
  const std::vector<std::string> cases = {
      // numbers
      "0", "-0", "-0.0", "0.0", "1", "-1", "01", "-01", "00", "1.", ".5", "+1", "-", "1e", "1e+", "1E-2", "1e5",
      "1.5e3", "123.456", "0.1", "0.3", "2.2250738585072014e-308", "4.9e-324", "1e-400", "1e400", "-1e400",
      "1.7976931348623157e308", "1.7976931348623159e308", "9007199254740993", "9007199254740993.0",
      "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
      "123456789012345678901234567890", "0.000000000000000000000000000001", "1e22", "1e23", "8.98846567431158e307",
      "1e0000000000000000000000001", "[1,2.5,-3e-2,4E+2]", "3.14159265358979323846264338327950288",
      // strings and escapes
      R"("")", R"("plain")", R"("\" \\ \/ \b \f \n \r \t")", R"("\u0000")", R"("\u0041\u00e9\u20AC")",
      R"("\ud83d\ude00")", R"("\uD83D\uDE00 tail")", R"("\ud83d")", R"("\ud83d x")", R"("\ude00")", R"("\ud83d\u0041")",
      R"("\u12")", R"("\u12g4")", R"("\x")", R"("\)", "\"unterminated", "\"tab\there\"", "\"nul\x01\"", "\"del\x7f\"",
      "\"caf\xc3\xa9\"", "\"\xe2\x82\xac\"", "\"\xf0\x9f\x98\x80\"", "\"\xc0\xaf\"", "\"\xc2\"", "\"\xe0\x80\xaf\"",
      "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\x80\"", "\"\xff\"",
      "\"a long run of plain text that spans several eight-byte words\"",
      "\"abcdefg\\\"hijklmnop\\\\qrstuvwxyz\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"",
      // objects, arrays, duplicates, literals
      "{}", "[]", "{ }", "[ ]", R"({"a":1,"a":2})", R"({"b":1,"a":2,"b":{"c":3}})", R"({"a":[1,{"b":null}]})",
      R"({"a" 1})", R"({"a":1,})", "[1,]", "[1 2]", R"({1:2})", "{\"a\":1", "[", "]", "true", "false", "null", "tru",
      "nul", "falsey", "True", "[true,false,null]",
      // whitespace, empty input, trailing content, BOM
      "", " ", "\n\t\r ", " {} ", "{}\n", "{} x", "{}{}", "1 2", "\xEF\xBB\xBF{}", "\xEF\xBB\xBF", "\xEF\xBB{}",
      "\xEF{}", " \xEF\xBB\xBF{}", "{\"a\":1}\x00", std::string("{\"a\":\"x\0y\"}", 11), std::string("{}\0 x", 5),
      std::string("1\0", 2), std::string("[1]\n\0{", 6), std::string("\0{}", 3), std::string("[1,\0]", 5),
      std::string("tr\0ue", 5), "/* c */ {}", "\n\n  {\n \"a\": nope }"};
  for (const auto& text : cases) {
    INFO("input: " << text);
    agrees_with_nlohmann(text);
  }
  CHECK(agrees_with_nlohmann("-0"));
  CHECK(parse_json("-0").value().is_number_integer());
  CHECK(parse_json("18446744073709551615").value().is_number_unsigned());
  CHECK(parse_json("18446744073709551616").value().is_number_float());
  CHECK(parse_json("-9223372036854775809").value().is_number_float());
  CHECK(std::signbit(parse_json("-0.0").value().get<double>()));
  CHECK(parse_json("1e400").error().message == "[json.exception.out_of_range.406] number overflow parsing '1e400'");
  CHECK(parse_json("01").error().column == 2);
  // nlohmann takes a NUL byte after the document as its end (found by the fuzzer); nothing may follow a
  // document, so both readers refuse it, at the NUL.
  const auto trailing = parse_json(std::string("{}\0 x", 5));
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().code == "json_syntax");
  CHECK(trailing.error().column == 3);
  CHECK_FALSE(parse_json(std::string("[1]\0", 4)).ok());
  CHECK_FALSE(parse_ordered_json(std::string("{}\0{}", 5)).ok());
  // Duplicates: the last value wins; in document order the key keeps its first place.
  CHECK(parse_ordered_json(R"({"b":1,"a":2,"b":3})").value().dump() == R"({"b":3,"a":2})");
}

TEST_CASE("the fast reader agrees with nlohmann on depth", "[json]") {
  const std::string at_limit = std::string(max_json_depth, '[') + std::string(max_json_depth, ']');
  CHECK(agrees_with_nlohmann(at_limit));
  CHECK_FALSE(agrees_with_nlohmann("[" + at_limit + "]"));
  std::string objects;
  for (int k = 0; k < max_json_depth; ++k) objects += "{\"a\":";
  objects += "1" + std::string(max_json_depth, '}');
  CHECK(agrees_with_nlohmann(objects));
  CHECK_FALSE(agrees_with_nlohmann("{\"x\":" + objects + "}"));
  CHECK_FALSE(agrees_with_nlohmann(std::string(1 << 16, '[')));
}

TEST_CASE("the fast reader takes every vector body and shared fixture as nlohmann does", "[json]") {
  namespace fs = std::filesystem;
  const fs::path root(DISPATCH_SOURCE_DIR);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(root / "tests/vectors/bodies")) files.push_back(entry.path());
  for (const auto& entry : fs::directory_iterator(root / "tests/vectors")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  const fs::path shared = testing::shared_dir() / "fixtures/bitbucket-cloud";
  if (fs::is_directory(shared)) {
    for (const auto& entry : fs::recursive_directory_iterator(shared)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    }
  } else {
    WARN("skipped the shared fixtures: ../shared is not beside the repository");
  }
  for (const auto& file : files) {
    INFO("file: " << file.string());
    const auto text = testing::read_all(file);
    // sparse.json and the like are meant to be odd, not broken: every file here is valid JSON.
    CHECK(agrees_with_nlohmann(text));
    const ordered_json document = parse_json(text).value();
    CHECK(dump_json(document) == detail::reference_dump_json(document));
    // Cut anywhere, a document is refused with nlohmann's exact error.
    for (const std::size_t cut : {text.size() / 3, text.size() / 2, text.size() - 1}) {
      agrees_with_nlohmann(std::string_view(text).substr(0, cut));
    }
  }
}
