#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dispatch/discord_limits.hpp"

using namespace dispatch;

namespace {
const std::string emoji = "\xF0\x9F\x9A\x80";  // U+1F680, four bytes
const std::string ellipsis = "\xE2\x80\xA6";
}  // namespace

TEST_CASE("characters are code points", "[limits]") {
  CHECK(count_chars("") == 0);
  CHECK(count_chars("abc") == 3);
  CHECK(count_chars("Zo\xC3\xAB") == 3);
  CHECK(count_chars(emoji + emoji) == 2);
  CHECK(count_chars("\xFF\xFE") == 2);
}

TEST_CASE("truncate_chars cuts on code point boundaries with an ellipsis", "[limits]") {
  CHECK(truncate_chars("hello", 5) == "hello");
  CHECK(truncate_chars("hello!", 5) == "hell" + ellipsis);
  CHECK(truncate_chars("hello world", 7) == "hello" + ellipsis);  // no gap before the ellipsis
  CHECK(truncate_chars("anything", 0).empty());
  // A four-byte emoji at every possible cut point: never split, always within the limit.
  for (std::size_t prefix = 0; prefix < 8; ++prefix) {
    const auto text = std::string(prefix, 'a') + emoji + emoji + emoji + "tail";
    for (std::size_t limit = 1; limit <= count_chars(text); ++limit) {
      const auto cut = truncate_chars(text, limit);
      INFO("prefix " << prefix << " limit " << limit);
      CHECK(count_chars(cut) <= limit);
      CHECK(clean_text(cut) == cut);  // still valid UTF-8
    }
  }
}

TEST_CASE("clean_text removes control characters and repairs UTF-8", "[limits]") {
  CHECK(clean_text("a\x01"
                   "b\x7f"
                   "c") == "abc");
  CHECK(clean_text("line\nnext\ttab") == "line\nnext\ttab");
  CHECK(clean_text("bell\x07") == "bell");
  CHECK(clean_text("c1\xC2\x85"
                   "x") == "c1x");
  CHECK(clean_text("bad\xFF") == "bad\xEF\xBF\xBD");
  CHECK(clean_text("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // an encoded surrogate
  CHECK(clean_text("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  CHECK(clean_text(emoji) == emoji);
}

TEST_CASE("escape_markdown neutralises Discord markdown", "[limits]") {
  CHECK(escape_markdown("*bold* _it_ ~~s~~ `code` ||spoiler||") ==
        "\\*bold\\* \\_it\\_ \\~\\~s\\~\\~ \\`code\\` \\|\\|spoiler\\|\\|");
  // Escaped brackets are enough to stop a masked link; parentheses stay readable.
  CHECK(escape_markdown("[click](https://evil)") == "\\[click\\](https://evil)");
  CHECK(escape_markdown("Merged (pull request #2)") == "Merged (pull request #2)");
  CHECK(escape_markdown("<@123> and <#9>") == "\\<@123\\> and \\<#9\\>");
  CHECK(escape_markdown("# heading\n- item\nmid-word #tag") == "\\# heading\n\\- item\nmid-word #tag");
  CHECK(escape_markdown("back\\slash") == "back\\\\slash");
}

TEST_CASE("a numbered line in user text does not become a list", "[limits][regression]") {
  CHECK(escape_markdown("1. Fix it\n 12. then this\nv1. no\n3.14 is pi") ==
        "1\\. Fix it\n 12\\. then this\nv1. no\n3.14 is pi");
}

TEST_CASE("finalize_message enforces every limit and mentions nobody", "[limits]") {
  SECTION("allowed_mentions is always empty") {
    const auto message = finalize_message({{"content", "@everyone"}, {"allowed_mentions", {{"parse", {"everyone"}}}}});
    CHECK(message["allowed_mentions"] == ordered_json({{"parse", ordered_json::array()}}));
    CHECK(finalize_message(ordered_json::object())["allowed_mentions"]["parse"].empty());
  }
  SECTION("each string is cut to its own limit") {
    ordered_json field = {{"name", std::string(300, 'n')}, {"value", std::string(2000, 'v')}};
    ordered_json embed = {{"title", std::string(300, 't')},
                          {"description", std::string(5000, 'd')},
                          {"footer", {{"text", std::string(3000, 'f')}}},
                          {"author", {{"name", std::string(300, 'a')}}},
                          {"fields", ordered_json::array({field})}};
    const auto message = finalize_message({{"content", std::string(2500, 'c')}, {"embeds", {embed}}});
    CHECK(count_chars(message["content"].get<std::string>()) == 2000);
    const auto& out = message["embeds"][0];
    CHECK(count_chars(out["title"].get<std::string>()) == 256);
    CHECK(count_chars(out["footer"]["text"].get<std::string>()) == 2048);
    CHECK(count_chars(out["author"]["name"].get<std::string>()) == 256);
    CHECK(count_chars(out["fields"][0]["name"].get<std::string>()) == 256);
    CHECK(count_chars(out["fields"][0]["value"].get<std::string>()) == 1024);
    // 256 + 2048 + 256 + 256 + 1024 = 3840, leaving 2160 of the 6000 for the description.
    CHECK(count_chars(out["description"].get<std::string>()) == 2160);
    CHECK(out["description"].get<std::string>().substr(out["description"].get<std::string>().size() - 3) == ellipsis);
  }
  SECTION("at most 10 embeds and 25 fields") {
    ordered_json fields = ordered_json::array();
    for (int i = 0; i < 30; ++i) fields.push_back({{"name", "n"}, {"value", "v"}});
    ordered_json embeds = ordered_json::array();
    for (int i = 0; i < 12; ++i) embeds.push_back({{"title", "t"}, {"fields", fields}});
    const auto message = finalize_message({{"embeds", embeds}});
    CHECK(message["embeds"].size() == 10);
    CHECK(message["embeds"][9]["fields"].size() == 25);
  }
  SECTION("the 6000 total is kept across embeds") {
    ordered_json embeds = ordered_json::array();
    for (int i = 0; i < 4; ++i) embeds.push_back({{"title", "t"}, {"description", std::string(4000, 'd')}});
    const auto message = finalize_message({{"embeds", embeds}});
    std::size_t total = 0;
    for (const auto& embed : message["embeds"]) {
      total += count_chars(embed["title"].get<std::string>());
      if (embed.contains("description")) total += count_chars(embed["description"].get<std::string>());
    }
    CHECK(total <= 6000);
    CHECK(count_chars(message["embeds"][0]["description"].get<std::string>()) == 4000);
  }
  SECTION("control characters are removed everywhere") {
    ordered_json embed = {{"title", "a\x1b[31mred"}};
    const auto message = finalize_message({{"embeds", ordered_json::array({embed})}});
    CHECK(message["embeds"][0]["title"] == "a[31mred");
  }
}

TEST_CASE("fuzz finding: a control character in a link reached author.url", "[limits][regression]") {
  // libFuzzer found an actor whose links.html.href held a DEL byte; finalize cleaned only the text fields.
  ordered_json embed = {{"author", {{"name", "Acme"}, {"url", "https://bitbucket.org/acme\x7f"}}},
                        {"footer", {{"text", "f\x01"}, {"icon_url", "javascript:alert(1)"}}},
                        {"url", "https://bitbucket.org/acme/relay api"},
                        {"thumbnail", {{"url", "https://example.com/t.png"}}}};
  const auto message =
      finalize_message({{"avatar_url", "ftp://x"}, {"embeds", ordered_json::array({embed})}, {"extra", {"\x02"}}});
  const auto& out = message["embeds"][0];
  CHECK(out["author"] == ordered_json({{"name", "Acme"}, {"url", "https://bitbucket.org/acme"}}));
  CHECK(out["footer"] == ordered_json({{"text", "f"}}));
  CHECK_FALSE(out.contains("url"));
  CHECK(out["thumbnail"]["url"] == "https://example.com/t.png");
  CHECK_FALSE(message.contains("avatar_url"));
  CHECK(message["extra"][0] == "");
}

TEST_CASE("finalize_message drops or fills the empty texts Discord refuses", "[limits]") {
  ordered_json embed = {{"title", ""},
                        {"description", "kept"},
                        {"author", {{"name", ""}, {"url", "https://x.example"}}},
                        {"footer", {{"text", ""}}},
                        {"fields", {{{"name", ""}, {"value", "v"}}, {{"name", "n"}}, nullptr}}};
  const auto message = finalize_message({{"embeds", ordered_json::array({embed})}});
  const auto& out = message["embeds"][0];
  CHECK_FALSE(out.contains("title"));
  CHECK(out["description"] == "kept");
  CHECK_FALSE(out.contains("author"));
  CHECK_FALSE(out.contains("footer"));
  const std::string zero_width = "\xE2\x80\x8B";
  CHECK(out["fields"][0] == ordered_json({{"name", zero_width}, {"value", "v"}}));
  CHECK(out["fields"][1] == ordered_json({{"name", "n"}, {"value", zero_width}}));
  CHECK(out["fields"][2] == ordered_json({{"name", zero_width}, {"value", zero_width}}));
}

TEST_CASE("finalize_message reports each cut it makes, and a finalized message has none left", "[limits]") {
  ordered_json message = {{"username", std::string(81, 'u')}, {"avatar_url", "ftp://host/a.png"}};
  message["embeds"] = ordered_json::array();
  for (int k = 0; k < 11; ++k)
    message["embeds"].push_back({{"title", "embed"}, {"description", std::string(700, 'd')}});
  std::vector<cut> cuts;
  const auto finalized = finalize_message(message, &cuts);
  std::string printed;
  for (const auto& item : cuts) {
    printed += item.path + " " + std::string(item.rule) + " " + std::to_string(item.limit) + " " +
               std::to_string(item.length) + "\n";
  }
  CHECK(printed ==
        "avatar_url url 2048 16\n"
        "username username 80 81\n"
        "embeds[10] embeds 10 11\n"
        "embeds[9].description embeds_total 6000 7050\n"
        "embeds[8].description embeds_total 6000 6350\n");
  CHECK(describe_cut(cuts[1]) == "username was 81 characters; Discord takes 80, so it ends in " + ellipsis);
  CHECK(describe_cut(cuts[2]) == "embeds[10] and after were dropped: 11 embeds, Discord takes 10");
  CHECK(describe_cut(cuts[3]) ==
        "embeds[9].description was dropped: all embeds together held 7050 characters, Discord takes 6000");
  CHECK(describe_cut(cuts[4]) ==
        "embeds[8].description was shortened: all embeds together held 6350 characters, Discord takes 6000");
  CHECK(finalized["embeds"].size() == 10);
  CHECK_FALSE(finalized["embeds"][9].contains("description"));

  std::vector<cut> again;
  CHECK(finalize_message(finalized, &again) == finalized);
  CHECK(again.empty());
}
