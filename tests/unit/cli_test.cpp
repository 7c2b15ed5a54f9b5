#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "dispatch/cli.hpp"
#include "dispatch/signature.hpp"

using namespace dispatch;

namespace {
using args = std::vector<std::string>;
}

TEST_CASE("plan_cli names the files each command reads", "[cli]") {
  CHECK(plan_cli({"verify", "--secret", "s", "--signature", "sha256=00", "body.json"}).files == args{"body.json"});
  CHECK(plan_cli({"verify", "--secret-file", "key", "--signature", "x", "-"}).files == args{"key", "-"});
  CHECK(plan_cli({"handle", "--endpoint", "e.json", "--headers", "h.json", "b"}).files ==
        args{"e.json", "h.json", "b"});
  CHECK(plan_cli({"render", "--event", "repo:push", "b"}).files == args{"b"});
  const auto events = plan_cli({"events"});
  CHECK(events.done);
  CHECK(events.output.exit_code == 0);
  CHECK(events.output.out.find("\"key\": \"pipeline:span_created\"") != std::string::npos);
  const auto codes = plan_cli({"codes"});
  CHECK(codes.done);
  CHECK(codes.output.exit_code == 0);
  CHECK(codes.output.out.find("\"code\": \"signature_mismatch\",\n    \"status\": 401") != std::string::npos);
}

TEST_CASE("usage errors exit 2 and say why", "[cli]") {
  const auto usage = [](const args& argv) {
    const auto plan = plan_cli(argv);
    REQUIRE(plan.done);
    CHECK(plan.output.exit_code == 2);
    CHECK(plan.output.out.empty());
    return plan.output.err.substr(0, plan.output.err.find('\n'));
  };
  CHECK(usage({}) == "dispatch: no command given");
  CHECK(usage({"frobnicate"}) == "dispatch: unknown command \"frobnicate\"");
  CHECK(usage({"verify", "--signature", "x", "f"}) == "dispatch: verify needs one of --secret or --secret-file");
  CHECK(usage({"verify", "--secret", "a", "--secret-file", "b", "--signature", "x", "f"}) ==
        "dispatch: verify needs one of --secret or --secret-file");
  CHECK(usage({"verify", "--secret", "a", "f"}) == "dispatch: verify needs --signature");
  CHECK(usage({"verify", "--secret", "a", "--signature", "x"}) == "dispatch: verify takes exactly one FILE");
  CHECK(usage({"render", "--event"}) == "dispatch: option --event needs a value");
  CHECK(usage({"render", "--event", "a:b", "--event", "c:d", "f"}) == "dispatch: option --event is given twice");
  CHECK(usage({"render", "--colour", "red", "--event", "a:b", "f"}) == "dispatch: render does not take --colour");
  CHECK(usage({"events", "extra"}) == "dispatch: events takes no arguments");
  CHECK(usage({"codes", "extra"}) == "dispatch: codes takes no arguments");
  CHECK(usage({"codes", "--json"}) == "dispatch: codes prints JSON already; it takes no options");
  CHECK(plan_cli({"help"}).output.exit_code == 0);
}

TEST_CASE("verify exits 0 when valid and 1 when refused", "[cli]") {
  const std::string body = "{\"a\":1}";
  const auto tag = "sha256=" + to_hex(hmac_sha256(as_bytes("key"), as_bytes(body)));
  const auto valid = run_cli({"verify", "--secret", "key", "--signature", tag, "f"}, {body});
  CHECK(valid.exit_code == 0);
  CHECK(valid.out == "{\n  \"valid\": true,\n  \"algorithm\": \"sha256\"\n}\n");
  // A secret file's trailing newline is not part of the secret.
  CHECK(run_cli({"verify", "--secret-file", "k", "--signature", tag, "f"}, {"key\n", body}).exit_code == 0);
  const auto refused = run_cli({"verify", "--secret", "other", "--signature", tag, "f"}, {body});
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.find("\"code\": \"signature_mismatch\"") != std::string::npos);
}

TEST_CASE("handle exits by verdict, and an endpoint file that is not JSON is refused input", "[cli]") {
  const std::string endpoint = R"({"secret":"key","events":{"mode":"push"}})";
  const std::string body = "{}";
  const auto tag = "sha256=" + to_hex(hmac_sha256(as_bytes("key"), as_bytes(body)));
  const std::string headers = R"({"X-Event-Key":"repo:push","X-Hub-Signature":")" + tag + "\"}";
  const args argv = {"handle", "--endpoint", "e.json", "--headers", "h.json", "b"};
  CHECK(run_cli(argv, {endpoint, headers, body}).exit_code == 0);
  CHECK(run_cli(argv, {endpoint, R"({"X-Event-Key":"repo:fork","X-Hub-Signature":")" + tag + "\"}", body}).exit_code ==
        0);
  CHECK(run_cli(argv, {endpoint, R"({"X-Event-Key":"repo:push"})", body}).exit_code == 1);
  const auto bad = run_cli(argv, {"{", headers, body});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.substr(0, bad.err.find('\n')) ==
        "dispatch: e.json is not JSON: syntax error while parsing object key - unexpected end of input; expected "
        "string literal (at line 1, column 2)");
}

TEST_CASE("handle applies the endpoint file's filters and says why an event was left out", "[cli]") {
  const std::string endpoint = R"({"secret":"key","events":{"mode":"all"},"filters":{"branches":["release/*"]}})";
  const std::string body = R"({"push":{"changes":[{"new":{"type":"branch","name":"main"},"old":null}]}})";
  const auto tag = "sha256=" + to_hex(hmac_sha256(as_bytes("key"), as_bytes(body)));
  const std::string headers = R"({"X-Event-Key":"repo:push","X-Hub-Signature":")" + tag + "\"}";
  const auto ignored =
      run_cli({"handle", "--endpoint", "e.json", "--headers", "h.json", "b"}, {endpoint, headers, body});
  CHECK(ignored.exit_code == 0);
  CHECK(ignored.out.find("\"code\": \"branch_filtered\"") != std::string::npos);
  CHECK(ignored.out.find("\"reason\": \"branch main matches none of release/*\"") != std::string::npos);
  const auto bad = run_cli({"handle", "--endpoint", "e.json", "--headers", "h.json", "b"},
                           {R"({"secret":"key","events":{"mode":"all"},"filters":{"branches":[""]}})", headers, body});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("filters.branches holds an empty pattern") != std::string::npos);
}

TEST_CASE("render prints the message or says why not", "[cli]") {
  const auto rendered =
      run_cli({"render", "--event", "repo:fork", "p.json"}, {R"({"repository":{"full_name":"a/b"}})"});
  CHECK(rendered.exit_code == 0);
  CHECK(rendered.out.find("\"title\": \"[a/b] Forked\"") != std::string::npos);
  const auto refused = run_cli({"render", "--event", "repo:fork", "p.json"}, {"[]"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err == "dispatch: p.json: body is JSON but not an object\n");
  CHECK(run_cli({"render", "--event", "Fork", "p.json"}, {"{}"}).exit_code == 2);
}

TEST_CASE("read errors are worded by the core", "[cli]") {
  CHECK(cli_read_error("x.json", read_failure::not_found).err == "dispatch: cannot read x.json: no such file\n");
  CHECK(cli_read_error("d", read_failure::is_directory).exit_code == 2);
}

namespace {

const std::string hook = "http://127.0.0.1:8787/hooks/demo";

args send_args(const std::string& url, const std::string& key, const args& extra = {}) {
  args argv = {"send", url, "--secret", "s", "--event", key};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("push.json");
  return argv;
}

// An answer with `status` and `body` to a request whose X-Request-UUID was {u}.
cli_answer answered(int status, std::string body) {
  cli_answer answer;
  answer.request_uuid = "u";
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

// No answer, for `why`.
cli_answer failure(send_failure why, std::string detail = {}) {
  cli_answer answer;
  answer.request_uuid = "u";
  answer.failure = why;
  answer.detail = std::move(detail);
  return answer;
}

}  // namespace

TEST_CASE("send refuses an event key dispatch does not know, naming the nearest, unless --anyway",
          "[cli][regression]") {
  const auto typo = plan_cli(send_args(hook, "repo:psuh"));
  REQUIRE(typo.done);
  CHECK(typo.output.exit_code == 2);
  CHECK(typo.output.out.empty());
  CHECK(typo.output.err ==
        "dispatch: repo:psuh is not an event key dispatch knows; did you mean repo:push? (dispatch events lists "
        "them; --anyway sends it as it is)\n");
  CHECK(plan_cli(send_args(hook, "pullrequest:aproved")).output.err.find("did you mean pullrequest:approved?") !=
        std::string::npos);
  // Far from every key: still named, but not offered as the one meant.
  CHECK(plan_cli(send_args(hook, "deployment:started")).output.err.find("; the nearest it knows is ") !=
        std::string::npos);
  // --anyway sends it as it is, even a key of the wrong shape (to see the relay refuse it).
  const auto anyway = plan_cli(send_args(hook, "repo:psuh", {"--anyway"}));
  CHECK_FALSE(anyway.done);
  CHECK(anyway.files == args{"push.json"});
  const auto sent = run_cli(send_args(hook, "repo:psuh", {"--anyway"}), {"{}"});
  REQUIRE(sent.request);
  CHECK(std::find(sent.request->headers.begin(), sent.request->headers.end(),
                  std::pair<std::string, std::string>{"X-Event-Key", "repo:psuh"}) != sent.request->headers.end());
  CHECK_FALSE(plan_cli(send_args(hook, "Push", {"--anyway"})).done);
  CHECK(plan_cli(send_args(hook, "Push")).output.exit_code == 2);
  CHECK_FALSE(plan_cli(send_args(hook, "repo:push")).done);
  // --anyway is send's alone, and a flag: it takes no value.
  CHECK(plan_cli({"render", "--anyway", "--event", "repo:push", "f"})
            .output.err.rfind("dispatch: render does not take --anyway\n", 0) == 0);
  CHECK(plan_cli(send_args(hook, "repo:push", {"--anyway", "--anyway"}))
            .output.err.rfind("dispatch: option --anyway is given twice\n", 0) == 0);
}

TEST_CASE("send --timeout takes whole seconds from 1 to 600", "[cli]") {
  CHECK(run_cli(send_args(hook, "repo:push"), {"{}"}).request->timeout_seconds == 15);
  CHECK(run_cli(send_args(hook, "repo:push", {"--timeout", "2"}), {"{}"}).request->timeout_seconds == 2);
  for (const std::string bad : {"0", "601", "1.5", "-1", "", "99999"}) {
    INFO(bad);
    const auto plan = plan_cli(send_args(hook, "repo:push", {"--timeout", bad}));
    CHECK(plan.output.exit_code == 2);
    CHECK(plan.output.err.rfind("dispatch: --timeout takes whole seconds from 1 to 600, not \"" + bad + "\"\n", 0) ==
          0);
  }
}

TEST_CASE("send refuses a Discord webhook URL up front and says what send is for", "[cli][regression]") {
  const std::string said =
      "dispatch: send: that is a Discord webhook URL; send posts a Bitbucket payload, signed, to a dispatch hook URL "
      "(.../hooks/{endpoint}), which then delivers it to Discord; a Discord webhook URL belongs in that endpoint's "
      "destination_url\n";
  for (const std::string url :
       {"https://discord.com/api/webhooks/123/secret-token", "https://DiscordApp.com/api/v10/webhooks/1/t?wait=true",
        "https://canary.discord.com/api/webhooks/1/t", "https://ptb.discordapp.com:443/api/webhooks/1/t",
        "https://discord.com./api/webhooks/1/t", "http://discord.com/api/v9/webhooks/1/t"}) {
    INFO(url);
    const auto plan = plan_cli(send_args(url, "repo:push"));
    REQUIRE(plan.done);
    CHECK(plan.output.exit_code == 2);
    CHECK(plan.output.err == said);  // the URL, and its token, are not repeated
  }
  for (const std::string url : {"https://relay.example/hooks/abc", "https://notdiscord.com/api/webhooks/1/t",
                                "https://discord.com.evil.example/api/webhooks/1/t"}) {
    INFO(url);
    CHECK_FALSE(plan_cli(send_args(url, "repo:push")).done);
  }
  // An answer that is Discord's refusal of an empty message gets the same explanation.
  const auto discord = cli_send_answer({"https://relay.example/x", {}, "", 15},
                                       answered(400, R"({"message": "Cannot send an empty message", "code": 50006})"));
  CHECK(discord.exit_code == 1);
  CHECK(discord.out ==
        "HTTP 400 (X-Request-UUID {u})\n{\"message\": \"Cannot send an empty message\", \"code\": 50006}\n");
  CHECK(discord.err ==
        "dispatch: send: Discord answered \"Cannot send an empty message\" (code 50006): this URL leads to Discord, "
        "not to dispatch; send posts a Bitbucket payload, signed, to a dispatch hook URL (.../hooks/{endpoint}), "
        "which then delivers it to Discord; a Discord webhook URL belongs in that endpoint's destination_url\n");
  CHECK(cli_send_answer({hook, {}, "", 15}, answered(400, R"({"code": "body_not_json"})")).err.empty());
  // fetch refuses credentials in a URL, so the native build refuses them too.
  CHECK(plan_cli(send_args("https://user:pw@relay.example/hooks/x", "repo:push"))
            .output.err.rfind("dispatch: send needs an http:// or https:// URL, not ", 0) == 0);
}

TEST_CASE("an answer that nothing was delivered again exits 1 and says why", "[cli][regression]") {
  const cli_request request{hook, {}, "", 15};
  const auto replay =
      cli_send_answer(request, answered(200, R"({"status":"duplicate","code":"replay","delivery":"d-1"})"));
  CHECK(replay.exit_code == 1);
  CHECK(replay.out ==
        "HTTP 200 (X-Request-UUID {u})\n{\"status\":\"duplicate\",\"code\":\"replay\",\"delivery\":\"d-1\"}\n");
  CHECK(replay.err ==
        "dispatch: send: not delivered again: the relay already received these exact bytes (delivery d-1), whatever "
        "the X-Request-UUID, and refuses a replay within its replay window; send other bytes to deliver again\n");
  const auto duplicate = cli_send_answer(request, answered(200, "{\"status\":\"duplicate\",\"delivery\":\"d-2\"}\n"));
  CHECK(duplicate.exit_code == 1);
  CHECK(duplicate.err ==
        "dispatch: send: not delivered again: the relay already received this X-Request-UUID (delivery d-2)\n");
  const auto accepted = cli_send_answer(request, answered(202, R"({"status":"accepted","delivery":"d-3"})"));
  CHECK(accepted.exit_code == 0);
  CHECK(accepted.err.empty());
  CHECK(cli_send_answer(request, answered(200, R"({"status":"ignored"})")).exit_code == 0);
  CHECK(cli_send_answer(request, answered(200, "not json")).exit_code == 0);
  CHECK(cli_send_answer(request, answered(401, R"({"status":"rejected"})")).exit_code == 1);
}

TEST_CASE("a send that got no answer names the host and what failed", "[cli][regression]") {
  const auto failed = [](const std::string& url, send_failure why, std::string detail = {}) {
    const auto output = cli_send_answer({url, {}, "", 15}, failure(why, std::move(detail)));
    CHECK(output.exit_code == 2);
    CHECK(output.out.empty());
    return output.err;
  };
  CHECK(failed(hook, send_failure::refused) == "dispatch: send: cannot reach 127.0.0.1:8787: connection refused\n");
  CHECK(failed("https://Relay.Example/hooks/x", send_failure::timed_out) ==
        "dispatch: send: no answer from relay.example:443 within 15 s (timed out)\n");
  CHECK(failed("http://nowhere.invalid/hooks/x", send_failure::dns_not_found) ==
        "dispatch: send: cannot reach nowhere.invalid:80: no such host (DNS)\n");
  CHECK(failed("http://relay.example:8080", send_failure::dns_failed) ==
        "dispatch: send: cannot reach relay.example:8080: the DNS lookup failed (offline?)\n");
  CHECK(failed("http://[::1]:8787/hooks/x", send_failure::refused) ==
        "dispatch: send: cannot reach [::1]:8787: connection refused\n");
  CHECK(failed("http://10.0.0.9/x", send_failure::unreachable) ==
        "dispatch: send: cannot reach 10.0.0.9:80: no route to it (network unreachable)\n");
  CHECK(failed(hook, send_failure::closed) ==
        "dispatch: send: 127.0.0.1:8787 closed the connection without an answer\n");
  CHECK(failed(hook, send_failure::not_http) == "dispatch: send: 127.0.0.1:8787 answered something that is not HTTP\n");
  CHECK(failed("https://relay.example", send_failure::tls, "certificate has expired") ==
        "dispatch: send: TLS with relay.example:443 failed: certificate has expired\n");
  CHECK(failed(hook, send_failure::other, "Operation not permitted") ==
        "dispatch: send: cannot reach 127.0.0.1:8787: Operation not permitted\n");
  // The wait it gave up after is the one asked for.
  CHECK(cli_send_answer({hook, {}, "", 2}, failure(send_failure::timed_out)).err ==
        "dispatch: send: no answer from 127.0.0.1:8787 within 2 s (timed out)\n");
}
