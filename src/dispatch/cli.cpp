#include "dispatch/cli.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <type_traits>

#include "dispatch/answers.hpp"
#include "dispatch/events.hpp"
#include "dispatch/json_io.hpp"
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
    "  send URL (--secret S | --secret-file F) --event KEY [--anyway] [--timeout SECONDS] FILE\n"
    "        sign FILE and POST it as Bitbucket would to URL, a dispatch hook URL (.../hooks/{endpoint}, not\n"
    "        a Discord webhook); print the answer. A KEY dispatch does not know is refused unless --anyway;\n"
    "        no answer in SECONDS (default 15) is a failure\n"
    "  handle --endpoint ENDPOINT.json --headers HEADERS.json FILE\n"
    "        run the whole pipeline and print the outcome\n"
    "  render --event KEY [--template T] FILE\n"
    "        print the Discord message for a payload (auto-formatted, or from template T)\n"
    "  template check T\n"
    "        check a template: valid, or the error with its line and column\n"
    "  events\n"
    "        print the event catalogue\n"
    "  codes\n"
    "        print every code dispatch answers with, its HTTP status (0: none) and what it means\n"
    "\n"
    "FILE may be - for standard input. Exit: 0 done; 1 input refused (for send: an answer other than 2xx,\n"
    "or a duplicate or replay the relay did not deliver again); 2 usage or I/O error (for send: no answer).\n";

// A command name, its options (--name value) and its positional arguments.
struct parsed_args {
  std::string command;
  std::map<std::string, std::string, std::less<>> options;
  std::vector<std::string> positional;
};

cli_output usage_error(std::string_view message) {
  return {"", "dispatch: " + std::string(message) + "\n" + "run `dispatch help` for usage\n", 2};
}

// The options that take a value; any other --name but a flag is refused by name.
bool takes_value(std::string_view name) {
  for (const auto known :
       {"secret", "secret-file", "signature", "endpoint", "headers", "event", "template", "timeout"}) {
    if (name == known) return true;
  }
  return false;
}

// The options that take no value (kept in `options` with an empty one).
bool is_flag(std::string_view name) { return name == "anyway"; }

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
      if (is_flag(arg.substr(2))) {
        if (!parsed.options.emplace(arg.substr(2), "").second) {
          failure = usage_error("option " + arg + " is given twice");
          return std::nullopt;
        }
        continue;
      }
      if (!takes_value(arg.substr(2))) {
        const bool json = arg == "--json" && (parsed.command == "events" || parsed.command == "codes");
        failure = usage_error(json ? parsed.command + " prints JSON already; it takes no options"
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

// Returns --timeout's value, whole seconds from 1 to 600, or nullopt for anything else. (Not std::stoi: its
// exceptions would link stdio into the wasm build, which has no exceptions and no files.)
std::optional<int> timeout_seconds(std::string_view text) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 600) return std::nullopt;
  return value;
}

// The optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours
// ("psuh" is one from "push") each cost one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Returns the refusal of an --event key the catalogue does not hold, naming the catalogue's nearest key (the
// first of equals, in Bitbucket's order).
cli_output unknown_event_key(std::string_view key) {
  std::string_view nearest;
  auto best = std::string_view::npos;
  for (const auto& info : event_catalogue()) {
    if (const auto distance = edit_distance(key, info.key); distance < best) {
      best = distance;
      nearest = info.key;
    }
  }
  // A near miss is a typo; past a third of the key it is more likely a key Bitbucket added since.
  const auto suggestion = best <= std::max<std::size_t>(2, key.size() / 3)
                              ? "did you mean " + std::string(nearest) + "?"
                              : "the nearest it knows is " + std::string(nearest);
  return {"",
          "dispatch: " + std::string(key) + " is not an event key dispatch knows; " + suggestion +
              " (dispatch events lists them; --anyway sends it as it is)\n",
          2};
}

// An http:// or https:// URL in the parts the command line needs.
struct url_parts {
  std::string host;  // lowercase, without the brackets of an IPv6 address
  std::string port;  // as written, else the scheme's
  std::string path;  // "/" when absent; the query left on
};

// Returns the parts of an http:// or https:// URL with a host and no user:password@, or nullopt.
std::optional<url_parts> split_url(std::string_view url) {
  const bool tls = url.rfind("https://", 0) == 0;
  if (!tls && url.rfind("http://", 0) != 0) return std::nullopt;
  auto rest = url.substr(tls ? 8 : 7);
  const auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end);
  url_parts parts;
  parts.path = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  if (!parts.path.empty() && parts.path.front() != '/') parts.path.insert(0, "/");
  // Credentials in a URL are refused by fetch, so the wasm build could not send them: neither build does.
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  parts.port = tls ? "443" : "80";
  const auto bracket = authority.find(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    parts.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  for (const char c : authority) parts.host.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  if (parts.host.empty()) return std::nullopt;
  return parts;
}

// Returns "host:port", an IPv6 host in brackets.
std::string host_port(const url_parts& parts) {
  const bool v6 = parts.host.find(':') != std::string::npos;
  return (v6 ? "[" + parts.host + "]" : parts.host) + ":" + parts.port;
}

// Returns true for a Discord webhook URL: discord.com or discordapp.com (or their ptb. and canary.
// hosts), path /api/webhooks/… or /api/v{N}/webhooks/….
bool is_discord_webhook(std::string_view url) {
  const auto parts = split_url(url);
  if (!parts) return false;
  auto host = std::string_view(parts->host);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  bool discord = false;
  for (const auto base : {"discord.com", "discordapp.com"}) {
    for (const auto prefix : {"", "ptb.", "canary."}) discord = discord || host == std::string(prefix) + base;
  }
  if (!discord) return false;
  std::string_view path = parts->path;
  if (path.rfind("/api/", 0) != 0) return false;
  path.remove_prefix(5);
  if (path.size() > 1 && path[0] == 'v' && path[1] >= '0' && path[1] <= '9') {
    const auto slash = path.find('/');
    if (slash == std::string_view::npos) return false;
    path.remove_prefix(slash + 1);
  }
  return path.rfind("webhooks/", 0) == 0;
}

// What send is for, said wherever a Discord URL shows up in its place.
constexpr std::string_view send_purpose =
    "send posts a Bitbucket payload, signed, to a dispatch hook URL (.../hooks/{endpoint}), which then delivers "
    "it to Discord; a Discord webhook URL belongs in that endpoint's destination_url";

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
  if (const auto timeout = parsed.options.find("timeout"); timeout != parsed.options.end()) {
    out.request->timeout_seconds = timeout_seconds(timeout->second).value_or(out.request->timeout_seconds);
  }
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
  if (command == "codes") {
    if (!parsed->options.empty() || !parsed->positional.empty()) return finish(usage_error("codes takes no arguments"));
    return finish({print(codes_json()), "", 0});
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
    if (auto bad = send ? check_shape(shape, {"event"}, {"secret", "secret-file", "event", "anyway", "timeout"})
                        : check_shape(shape, {}, {"secret", "secret-file"})) {
      return finish(*bad);
    }
    if (send && parsed->positional.size() != 2)
      return finish(usage_error("usage: dispatch send URL --secret S --event KEY FILE"));
    const auto& url = send ? parsed->positional[0] : std::string();
    if (send && !split_url(url)) {
      return finish(usage_error("send needs an http:// or https:// URL, not \"" + url + "\""));
    }
    // Discord would answer "Cannot send an empty message": it is sent a Bitbucket payload, not a message.
    // The URL holds the webhook's token, so it is not repeated.
    if (send && is_discord_webhook(url)) {
      return finish({"", "dispatch: send: that is a Discord webhook URL; " + std::string(send_purpose) + "\n", 2});
    }
    if (const auto timeout = parsed->options.find("timeout"); send && timeout != parsed->options.end()) {
      if (!timeout_seconds(timeout->second)) {
        return finish(usage_error("--timeout takes whole seconds from 1 to 600, not \"" + timeout->second + "\""));
      }
    }
    // A misspelt key is accepted by the relay and then selected by no endpoint: refused here, before sending.
    const auto& key = send ? parsed->options.find("event")->second : std::string();
    if (send && parsed->options.count("anyway") == 0) {
      if (!is_well_formed_event_key(key)) {
        return finish(usage_error("--event " + key +
                                  " is not an event key (category:action, see `dispatch events`; --anyway sends it "
                                  "as it is)"));
      }
      if (find_event(key) == nullptr) return finish(unknown_event_key(key));
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

cli_output cli_send_answer(const cli_request& request, const cli_answer& answer) {
  const auto parts = split_url(request.url);
  const auto where = parts ? host_port(*parts) : request.url;
  if (answer.status == 0) {
    std::string why;
    switch (answer.failure) {
      case send_failure::refused:
        why = "cannot reach " + where + ": connection refused";
        break;
      case send_failure::timed_out:
        why = "no answer from " + where + " within " + std::to_string(request.timeout_seconds) + " s (timed out)";
        break;
      case send_failure::dns_not_found:
        why = "cannot reach " + where + ": no such host (DNS)";
        break;
      case send_failure::dns_failed:
        why = "cannot reach " + where + ": the DNS lookup failed (offline?)";
        break;
      case send_failure::unreachable:
        why = "cannot reach " + where + ": no route to it (network unreachable)";
        break;
      case send_failure::closed:
        why = where + " closed the connection without an answer";
        break;
      case send_failure::not_http:
        why = where + " answered something that is not HTTP";
        break;
      case send_failure::tls:
        why = "TLS with " + where + " failed: " + answer.detail;
        break;
      case send_failure::none:
      case send_failure::other:
        why = "cannot reach " + where + (answer.detail.empty() ? "" : ": " + answer.detail);
        break;
    }
    return {"", "dispatch: send: " + why + "\n", 2};
  }
  cli_output out;
  out.out = "HTTP " + std::to_string(answer.status) + " (X-Request-UUID {" + answer.request_uuid + "})\n" + answer.body;
  if (!answer.body.empty() && answer.body.back() != '\n') out.out += '\n';
  out.exit_code = answer.status >= 200 && answer.status < 300 ? 0 : 1;
  const auto parsed = parse_json(answer.body);
  if (!parsed.ok() || !parsed.value().is_object()) return out;
  const auto& body = parsed.value();
  const auto text = [&](const char* name) {
    const auto it = body.find(name);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (out.exit_code == 0 && text("status") == "duplicate") {
    // 200 from the relay, but nothing was delivered: a send that did nothing must not look like one that did.
    const auto delivery = text("delivery").empty() ? std::string() : " (delivery " + text("delivery") + ")";
    out.err =
        text("code") == "replay"
            ? "dispatch: send: not delivered again: the relay already received these exact bytes" + delivery +
                  ", whatever the X-Request-UUID, and refuses a replay within its replay window; send other "
                  "bytes to deliver again\n"
            : "dispatch: send: not delivered again: the relay already received this X-Request-UUID" + delivery + "\n";
    out.exit_code = 1;
  } else if (answer.status == 400) {
    const auto code = body.find("code");
    if (code != body.end() && code->is_number_integer() && code->get<long long>() == 50006) {
      out.err =
          "dispatch: send: Discord answered \"Cannot send an empty message\" (code 50006): this URL leads to "
          "Discord, not to dispatch; " +
          std::string(send_purpose) + "\n";
    }
  }
  return out;
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
