#include <catch2/catch.hpp>

#include <string>

#include "dispatch/json_in.hpp"

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
