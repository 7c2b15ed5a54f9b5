#pragma once
// The `dispatch` command line as a pure function: the native main and wasm/cli.mjs only read the files it
// names and print what it returns, so both builds answer alike.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dispatch {

// A request for the edge to make (`dispatch send`): POST `body` to `url` with `headers`, adding a fresh
// X-Request-UUID, giving up after `timeout_seconds` without an answer; the edge hands what came of it to
// cli_send_answer.
struct cli_request {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int timeout_seconds = 15;
};

// Why a request the edge made got no answer, as both edges classify their errors.
enum class send_failure {
  none,
  refused,
  timed_out,
  dns_not_found,
  dns_failed,
  unreachable,
  closed,
  not_http,
  tls,
  other
};

// What came of a cli_request: an answer (status and its first 64 KiB), or a failure with the edge's own
// words in `detail` (used for tls and other).
struct cli_answer {
  std::string request_uuid;  // the X-Request-UUID the edge added, without braces
  int status = 0;            // 0 when no answer came
  std::string body;
  send_failure failure = send_failure::none;
  std::string detail;
};

// What a command prints and how it exits: 0 done, 1 input refused, 2 usage or I/O error. With `request`,
// the command is not done until the edge has made it.
struct cli_output {
  std::string out;
  std::string err;
  int exit_code = 0;
  std::optional<cli_request> request = std::nullopt;
};

// The files a command needs, in order ("-" is standard input). If `done` is true the command needs no
// files and `output` is its whole answer (help, a usage error, `events`).
struct cli_plan {
  std::vector<std::string> files;
  bool done = false;
  cli_output output;
};

// Reads the arguments (without the program name) and says which files to read.
cli_plan plan_cli(const std::vector<std::string>& args);

// Runs the command with the contents of the files plan_cli named, in the same order.
cli_output run_cli(const std::vector<std::string>& args, const std::vector<std::string>& files);

// Returns what `dispatch send` prints for `answer` to `request`: the status line and the answer's body on
// stdout; on stderr what a duplicate, a replay or Discord's "empty message" means, or which host could not be
// reached and why. Exits 0 for a 2xx the relay took, 1 for any other answer, 2 when none came.
cli_output cli_send_answer(const cli_request& request, const cli_answer& answer);

// Why a file could not be read, as both edges report it.
enum class read_failure { not_found, permission_denied, is_directory, other };

// Returns the answer for a file that could not be read (exit 2).
cli_output cli_read_error(std::string_view path, read_failure why);

}  // namespace dispatch
