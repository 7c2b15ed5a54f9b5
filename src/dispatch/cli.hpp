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
// X-Request-UUID; the edge prints the answer's status and body.
struct cli_request {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
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

// Why a file could not be read, as both edges report it.
enum class read_failure { not_found, permission_denied, is_directory, other };

// Returns the answer for a file that could not be read (exit 2).
cli_output cli_read_error(std::string_view path, read_failure why);

}  // namespace dispatch
