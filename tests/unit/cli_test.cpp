#include <catch2/catch.hpp>

#include <string>
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
  CHECK(bad.err.find("endpoint.filters.branches holds an empty pattern") != std::string::npos);
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
