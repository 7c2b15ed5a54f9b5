#pragma once
// The native CLI's one network call (`dispatch send`): an HTTP/1.1 POST over TCP, or TLS with the system's
// certificate store and the host name checked. An edge of the program, like reading files; the core never
// touches the network.

#include <string>
#include <utility>
#include <vector>

#include "dispatch/cli.hpp"

namespace dispatch::cli_edge {

struct http_answer {
  int status = 0;                             // 0 when no answer came
  std::string body;                           // the first 64 KiB of it
  send_failure failure = send_failure::none;  // why no answer came
  std::string detail;                         // the TLS library's or the system's words, for tls and other
};

// POSTs `body` to an http:// or https:// `url` with `headers` (Host, Content-Length and Connection are added),
// waiting at most `timeout_seconds` to connect and for each read and write.
http_answer http_post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, int timeout_seconds = 15);

// Returns a random version 4 UUID, as Bitbucket's X-Request-UUID looks.
std::string random_uuid();

}  // namespace dispatch::cli_edge
