// The Mustache engine's own tests: printed syntax trees, errors with line and column, escaping modes.
// (The official spec runs in mustache_spec_test.cpp.)

#include <catch2/catch.hpp>

#include "dispatch/mustache/ast.hpp"

using namespace dispatch;
using namespace dispatch::mustache;

namespace {

std::string tree_of(std::string_view source) {
  const auto tree = parse(source);
  REQUIRE(tree.ok());
  return print(tree.value());
}

error error_of(std::string_view source) {
  const auto tree = parse(source);
  REQUIRE_FALSE(tree.ok());
  CHECK(tree.error().code == "template_syntax");
  return tree.error();
}

std::string rendered(std::string_view source, const json& data, escaping mode = escaping::html) {
  const auto tree = parse(source);
  REQUIRE(tree.ok());
  const auto text = render(tree.value(), data, {}, mode);
  REQUIRE(text.ok());
  return text.value();
}

}  // namespace

TEST_CASE("parse builds the tree", "[mustache]") {
  CHECK(tree_of("Hi {{name}}!") == R"t("Hi "var(name)"!")t");
  CHECK(tree_of("{{{a}}}{{&b}}") == "raw(a)raw(b)");
  CHECK(tree_of("{{#list}}<{{.}}>{{/list}}") == R"t(sec(list){"<"var(.)">"})t");
  CHECK(tree_of("{{^empty}}none{{/empty}}") == R"t(inv(empty){"none"})t");
  CHECK(tree_of("a{{! comment }}b") == R"t("a""b")t");
  CHECK(tree_of("{{=<% %>=}}<%x%>{{y}}") == R"t(var(x)"{{y}}")t");
  CHECK(tree_of("{{>item}}{{>*dynamic}}") == "partial(item)partial(*dynamic)");
  CHECK(tree_of("{{<base}}{{$title}}T{{/title}}{{/base}}") == R"t(parent(base){block(title){"T"}})t");
  // A standalone section line disappears; the lines around it stay.
  CHECK(tree_of("a\n  {{#s}}\nb\n  {{/s}}\nc") == "\"a\\n\"sec(s){\"b\\n\"}\"c\"");
}

TEST_CASE("syntax errors name line and column", "[mustache]") {
  const auto unclosed_section = error_of("line one\n  {{#items}}\n{{name}}\n");
  CHECK(unclosed_section.message == "{{#items}} is never closed with {{/items}}");
  CHECK(unclosed_section.line == 2);
  CHECK(unclosed_section.column == 3);

  const auto mismatch = error_of("{{#a}}\n{{#b}}x{{/a}}");
  CHECK(mismatch.message == "{{/a}} does not match {{#b}} (opened at line 2, column 1)");
  CHECK(mismatch.line == 2);
  CHECK(mismatch.column == 8);

  const auto stray = error_of("x {{/a}}");
  CHECK(stray.message == "{{/a}} closes a section that was never opened");
  CHECK(stray.column == 3);

  const auto unclosed_tag = error_of("ok\n{{name");
  CHECK(unclosed_tag.message == "tag opened with \"{{\" is never closed with \"}}\"");
  CHECK(unclosed_tag.line == 2);
  CHECK(unclosed_tag.column == 1);

  CHECK(error_of("{{=<%>=}}").message ==
        "delimiter change needs two delimiters without spaces or '=', e.g. {{=<% %>=}}");
  CHECK(error_of("{{ }}").message == "tag has no name");
  CHECK(error_of("{{#}}").message == "tag has no name");
}

TEST_CASE("escaping follows the mode", "[mustache]") {
  const json data = {{"v", "<b>*x*</b> & \"q\""}};
  CHECK(rendered("{{v}}", data, escaping::html) == "&lt;b&gt;*x*&lt;/b&gt; &amp; &quot;q&quot;");
  CHECK(rendered("{{v}}", data, escaping::discord) == "\\<b\\>\\*x\\*\\</b\\> & \"q\"");
  CHECK(rendered("{{v}}", data, escaping::none) == "<b>*x*</b> & \"q\"");
  CHECK(rendered("{{{v}}}", data, escaping::discord) == "<b>*x*</b> & \"q\"");
}

TEST_CASE("rendering reads data safely", "[mustache]") {
  const json data = json::parse(R"({"a":{"b":{"c":1.5}},"n":null,"list":[1,2],"t":true})");
  CHECK(rendered("{{a.b.c}}|{{a.x.c}}|{{n}}|{{missing}}|{{t}}", data) == "1.5||||true");
  CHECK(rendered("{{#list}}{{.}},{{/list}}", data) == "1,2,");
  CHECK(rendered("{{#a}}{{b.c}}{{/a}}", data) == "1.5");
  // A partial that includes itself stops at the depth limit instead of recursing forever.
  const auto tree = parse("{{>self}}");
  REQUIRE(tree.ok());
  CHECK(render(tree.value(), data, {{"self", "x{{>self}}"}}, escaping::none).value() == std::string(64, 'x'));
}
