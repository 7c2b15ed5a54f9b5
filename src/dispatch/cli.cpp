#include "dispatch/cli.hpp"

#include <map>
#include <optional>
#include <type_traits>

#include "dispatch/answers.hpp"
#include "dispatch/events.hpp"
#include "dispatch/json_in.hpp"
#include "dispatch/signature.hpp"

namespace dispatch {
namespace {

constexpr std::string_view usage_text =
    "usage: dispatch <command> [options]\n"
    "\n"
    "  verify (--secret S | --secret-file F) --signature H FILE\n"
    "        check an X-Hub-Signature value against the bytes of FILE\n"
    "  sign (--secret S | --secret-file F) FILE\n"
    "        print the X-Hub-Signature value Bitbucket would send with the bytes of FILE\n"
    "  send URL (--secret S | --secret-file F) --event KEY FILE\n"
    "        sign FILE and POST it to URL as Bitbucket would; print the answer\n"
    "  handle --endpoint ENDPOINT.json --headers HEADERS.json FILE\n"
    "        run the whole pipeline and print the outcome\n"
    "  render --event KEY [--template T] FILE\n"
    "        print the Discord message for a payload (auto-formatted, or from template T)\n"
    "  template check T\n"
    "        check a template: valid, or the error with its line and column\n"
    "  events\n"
    "        print the event catalogue\n"
    "\n"
    "FILE may be - for standard input. Exit: 0 done, 1 input refused, 2 usage or I/O error.\n";

// A command name, its options (--name value) and its positional arguments.
struct parsed_args {
  std::string command;
  std::map<std::string, std::string, std::less<>> options;
  std::vector<std::string> positional;
};

cli_output usage_error(std::string_view message) {
  return {"", "dispatch: " + std::string(message) + "\n" + "run `dispatch help` for usage\n", 2};
}

// The options that take a value; any other --name is refused by name.
bool takes_value(std::string_view name) {
  for (const auto known : {"secret", "secret-file", "signature", "endpoint", "headers", "event", "template"}) {
    if (name == known) return true;
  }
  return false;
}

// Returns the parsed arguments, or a usage error for an option without a value, given twice, or unknown.
std::optional<parsed_args> parse_args(const std::vector<std::string>& args, cli_output& failure) {
  parsed_args parsed;
  if (args.empty()) {
    failure = usage_error("no command given");
    return std::nullopt;
  }
  parsed.command = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      if (!takes_value(arg.substr(2))) {
        const bool json = arg == "--json" && parsed.command == "events";
        failure = usage_error(json ? "events prints JSON already; it takes no options"
                                   : parsed.command + " does not take " + arg);
        return std::nullopt;
      }
      if (i + 1 >= args.size()) {
        failure = usage_error("option " + arg + " needs a value");
        return std::nullopt;
      }
      if (!parsed.options.emplace(arg.substr(2), args[i + 1]).second) {
        failure = usage_error("option " + arg + " is given twice");
        return std::nullopt;
      }
      ++i;
    } else {
      parsed.positional.push_back(arg);
    }
  }
  return parsed;
}

// Checks that exactly the options in `allowed` (`required` among them) and one FILE are given.
std::optional<cli_output> check_shape(const parsed_args& parsed, std::initializer_list<std::string_view> required,
                                      std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : parsed.options) {
    bool known = false;
    for (const auto option : allowed) known = known || option == name;
    if (!known) return usage_error(parsed.command + " does not take --" + name);
  }
  for (const auto option : required) {
    if (parsed.options.find(option) == parsed.options.end()) {
      return usage_error(parsed.command + " needs --" + std::string(option));
    }
  }
  if (parsed.positional.size() != 1) return usage_error(parsed.command + " takes exactly one FILE");
  return std::nullopt;
}

std::string print(const ordered_json& value) { return dump_json_pretty(value) + "\n"; }

cli_output run_template_check(const std::vector<std::string>& files) {
  const auto compiled = compile_template(files[0]);
  if (compiled.ok()) return {print({{"valid", true}}), "", 0};
  const auto& failure = compiled.error();
  ordered_json out = {{"valid", false}, {"code", failure.code}, {"reason", failure.message}};
  // A fault of the whole template (too large) has no place in it.
  if (failure.line > 0) {
    out["line"] = failure.line;
    out["column"] = failure.column;
  }
  return {print(out), "", 1};
}

cli_output run_events() { return {print(catalogue_json()), "", 0}; }

// The secret from --secret, or the contents of --secret-file (the first file read), one trailing newline
// dropped as editors add it.
std::string secret_of(const parsed_args& parsed, const std::vector<std::string>& files) {
  if (const auto inline_secret = parsed.options.find("secret"); inline_secret != parsed.options.end()) {
    return inline_secret->second;
  }
  std::string secret = files.front();
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  return secret;
}

// sign prints the X-Hub-Signature value; send also describes the request the edge is to make: Bitbucket's
// headers (X-Request-UUID is the edge's: the core has no randomness), the exact bytes.
cli_output run_sign(const parsed_args& parsed, const std::vector<std::string>& files) {
  const auto secret = secret_of(parsed, files);
  if (secret.empty()) return {"", "dispatch: the secret is empty\n", 1};
  const auto& body = files.back();
  const auto value = "sha256=" + to_hex(hmac_sha256(as_bytes(secret), as_bytes(body)));
  if (parsed.command == "sign") return {value + "\n", "", 0};
  cli_output out;
  out.request = cli_request{parsed.positional[0],
                            {{"Content-Type", "application/json"},
                             {"User-Agent", "Bitbucket-Webhooks/2.0"},
                             {"X-Event-Key", parsed.options.find("event")->second},
                             {"X-Hub-Signature", value},
                             {"X-Attempt-Number", "1"}},
                            body};
  return out;
}

cli_output run_verify(const parsed_args& parsed, const std::vector<std::string>& files) {
  const bool from_file = parsed.options.count("secret-file") > 0;
  const std::string& secret = from_file ? files[0] : parsed.options.find("secret")->second;
  // A secret file usually ends with a newline that is not part of the secret.
  std::string_view key = secret;
  if (from_file) {
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.remove_suffix(1);
  }
  const auto& body = files.back();
  const auto verified = verify_signature(parsed.options.find("signature")->second, as_bytes(key), as_bytes(body));
  if (verified.ok()) return {print({{"valid", true}, {"algorithm", "sha256"}}), "", 0};
  return {print({{"valid", false}, {"code", verified.error().code}, {"reason", verified.error().message}}), "", 1};
}

// Reads a JSON file given on the command line with `read` (parse_endpoint or parse_headers); a fault is a
// usage error naming the file.
template <class Reader>
auto read_json_file(const std::string& name, const std::string& text, Reader read, cli_output& failure)
    -> std::optional<std::decay_t<decltype(read(json()).value())>> {
  // A file that is not what it should be is refused input (exit 1), not a usage error.
  const auto parsed = parse_json(text);
  if (!parsed.ok()) {
    failure = {"",
               "dispatch: " + name + " is not JSON: " + parsed.error().message + position_suffix(parsed.error()) + "\n",
               1};
    return std::nullopt;
  }
  auto value = read(parsed.value());
  if (!value.ok()) {
    failure = {"", "dispatch: " + name + ": " + value.error().message + position_suffix(value.error()) + "\n", 1};
    return std::nullopt;
  }
  return std::move(value).value();
}

cli_output run_handle(const std::vector<std::string>& names, const std::vector<std::string>& files) {
  cli_output failure;
  // Templates written as objects in the endpoint file are placed in that file.
  const auto endpoint = read_json_file(
      names[0], files[0], [&](const json& value) { return parse_endpoint(value, files[0]); }, failure);
  if (!endpoint) return failure;
  const auto headers = read_json_file(names[1], files[1], parse_headers, failure);
  if (!headers) return failure;
  const auto result = handle(*endpoint, *headers, as_bytes(files[2]));
  return {print(outcome_json(result)), "", result.verdict == verdict::reject ? 1 : 0};
}

cli_output run_render(const parsed_args& parsed, const std::vector<std::string>& files) {
  const auto& key = parsed.options.find("event")->second;
  if (!is_well_formed_event_key(key)) {
    return usage_error("--event " + key + " is not an event key (category:action, see `dispatch events`)");
  }
  std::optional<message_template> custom;
  if (parsed.options.count("template") > 0) {
    auto compiled = compile_template(files[0]);
    if (!compiled.ok()) {
      return {"",
              "dispatch: " + parsed.options.find("template")->second + ": " + compiled.error().message +
                  position_suffix(compiled.error()) + "\n",
              1};
    }
    custom = std::move(compiled).value();
  }
  std::vector<cut> cuts;
  const auto message = preview(key, as_bytes(files.back()), custom ? &*custom : nullptr, &cuts);
  if (!message.ok()) {
    return {
        "",
        "dispatch: " + parsed.positional[0] + ": " + message.error().message + position_suffix(message.error()) + "\n",
        1};
  }
  // What Discord's limits cost the message is worth knowing, but it is not a failure.
  std::string notes;
  for (const auto& item : cuts) {
    notes += "dispatch: note: " + describe_cut(item) + "\n";
  }
  return {print(message.value()), notes, 0};
}

}  // namespace

cli_plan plan_cli(const std::vector<std::string>& args) {
  cli_plan plan;
  cli_output failure;
  const auto parsed = parse_args(args, failure);
  const auto finish = [&](cli_output output) {
    plan.done = true;
    plan.output = std::move(output);
    return plan;
  };
  if (!parsed) return finish(failure);
  const auto& command = parsed->command;
  if (command == "help" || command == "--help" || command == "-h") return finish({std::string(usage_text), "", 0});
  if (command == "events") {
    if (!parsed->options.empty() || !parsed->positional.empty())
      return finish(usage_error("events takes no arguments"));
    return finish(run_events());
  }
  if (command == "verify") {
    if (auto bad = check_shape(*parsed, {"signature"}, {"signature", "secret", "secret-file"})) return finish(*bad);
    const bool inline_secret = parsed->options.count("secret") > 0;
    const bool file_secret = parsed->options.count("secret-file") > 0;
    if (inline_secret == file_secret) return finish(usage_error("verify needs one of --secret or --secret-file"));
    if (file_secret) plan.files.push_back(parsed->options.find("secret-file")->second);
  } else if (command == "sign" || command == "send") {
    const bool send = command == "send";
    // send takes the URL first, then the FILE.
    parsed_args shape = *parsed;
    if (send && !shape.positional.empty()) shape.positional.erase(shape.positional.begin());
    if (auto bad = send ? check_shape(shape, {"event"}, {"secret", "secret-file", "event"})
                        : check_shape(shape, {}, {"secret", "secret-file"})) {
      return finish(*bad);
    }
    if (send && parsed->positional.size() != 2)
      return finish(usage_error("usage: dispatch send URL --secret S --event KEY FILE"));
    const auto& url = send ? parsed->positional[0] : std::string();
    if (send && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return finish(usage_error("send needs an http:// or https:// URL, not \"" + url + "\""));
    }
    if (send && !is_well_formed_event_key(parsed->options.find("event")->second)) {
      return finish(usage_error("--event " + parsed->options.find("event")->second +
                                " is not an event key (category:action, see `dispatch events`)"));
    }
    const bool inline_secret = parsed->options.count("secret") > 0;
    const bool file_secret = parsed->options.count("secret-file") > 0;
    if (inline_secret == file_secret) return finish(usage_error(command + " needs one of --secret or --secret-file"));
    if (file_secret) plan.files.push_back(parsed->options.find("secret-file")->second);
    plan.files.push_back(parsed->positional.back());
    return plan;
  } else if (command == "handle") {
    if (auto bad = check_shape(*parsed, {"endpoint", "headers"}, {"endpoint", "headers"})) return finish(*bad);
    plan.files.push_back(parsed->options.find("endpoint")->second);
    plan.files.push_back(parsed->options.find("headers")->second);
  } else if (command == "render") {
    if (auto bad = check_shape(*parsed, {"event"}, {"event", "template"})) return finish(*bad);
    if (parsed->options.count("template") > 0) plan.files.push_back(parsed->options.find("template")->second);
  } else if (command == "template") {
    if (parsed->positional.size() != 2 || parsed->positional[0] != "check" || !parsed->options.empty()) {
      return finish(usage_error("usage: dispatch template check T"));
    }
    plan.files.push_back(parsed->positional[1]);
    return plan;
  } else {
    return finish(usage_error("unknown command \"" + command + "\""));
  }
  plan.files.push_back(parsed->positional[0]);
  return plan;
}

cli_output run_cli(const std::vector<std::string>& args, const std::vector<std::string>& files) {
  auto plan = plan_cli(args);
  if (plan.done) return plan.output;
  if (files.size() != plan.files.size()) return usage_error("internal: file count does not match the plan");
  cli_output failure;
  const auto parsed = parse_args(args, failure);
  if (parsed->command == "verify") return run_verify(*parsed, files);
  if (parsed->command == "sign" || parsed->command == "send") return run_sign(*parsed, files);
  if (parsed->command == "handle") return run_handle(plan.files, files);
  if (parsed->command == "template") return run_template_check(files);
  return run_render(*parsed, files);
}

cli_output cli_read_error(std::string_view path, read_failure why) {
  std::string_view reason = "read failed";
  switch (why) {
    case read_failure::not_found:
      reason = "no such file";
      break;
    case read_failure::permission_denied:
      reason = "permission denied";
      break;
    case read_failure::is_directory:
      reason = "is a directory";
      break;
    case read_failure::other:
      break;
  }
  return {"", "dispatch: cannot read " + std::string(path) + ": " + std::string(reason) + "\n", 2};
}

}  // namespace dispatch
