// The native `dispatch` command: reads the files the core asks for and prints its answer. All logic is in
// dispatch/cli.cpp, shared with the wasm build's wasm/cli.mjs.

#include <sys/stat.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch/cli.hpp"
#include "http_post.hpp"

namespace {

dispatch::read_failure classify(int error_number) {
  switch (error_number) {
    case ENOENT:
      return dispatch::read_failure::not_found;
    case EACCES:
      return dispatch::read_failure::permission_denied;
    case EISDIR:
      return dispatch::read_failure::is_directory;
    default:
      return dispatch::read_failure::other;
  }
}

// Reads a whole file (or standard input for "-") as bytes; returns false and sets `why` on failure.
bool read_file(const std::string& path, std::string& contents, dispatch::read_failure& why) {
  if (path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    contents = buffer.str();
    return true;
  }
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    why = classify(errno);
    return false;
  }
  if (S_ISDIR(info.st_mode)) {
    why = dispatch::read_failure::is_directory;
    return false;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    why = classify(errno);
    return false;
  }
  contents.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  if (file.bad()) {
    why = dispatch::read_failure::other;
    return false;
  }
  return true;
}

// Makes the request `dispatch send` asked for; the core words what came of it.
dispatch::cli_output make_request(const dispatch::cli_request& request) {
  // A peer that closes mid-request is an answer to report, not a signal that ends the program.
  std::signal(SIGPIPE, SIG_IGN);
  auto headers = request.headers;
  dispatch::cli_answer result;
  result.request_uuid = dispatch::cli_edge::random_uuid();
  headers.emplace_back("X-Request-UUID", "{" + result.request_uuid + "}");
  auto answer = dispatch::cli_edge::http_post(request.url, headers, request.body, request.timeout_seconds);
  result.status = answer.status;
  result.body = std::move(answer.body);
  result.failure = answer.failure;
  result.detail = std::move(answer.detail);
  return dispatch::cli_send_answer(request, result);
}

int emit(const dispatch::cli_output& output);

int emit(const dispatch::cli_output& output) {
  if (output.request) return emit(make_request(*output.request));
  std::fwrite(output.out.data(), 1, output.out.size(), stdout);
  std::fwrite(output.err.data(), 1, output.err.size(), stderr);
  return output.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const auto plan = dispatch::plan_cli(args);
  if (plan.done) return emit(plan.output);
  std::vector<std::string> files;
  for (const auto& path : plan.files) {
    std::string contents;
    dispatch::read_failure why{};
    if (!read_file(path, contents, why)) return emit(dispatch::cli_read_error(path, why));
    files.push_back(std::move(contents));
  }
  return emit(dispatch::run_cli(args, files));
}
