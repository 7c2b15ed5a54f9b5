#include "http_post.hpp"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace dispatch::cli_edge {
namespace {

constexpr std::size_t max_answer = 64 * 1024;

struct target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;
};

bool parse_url(const std::string& url, target& out) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  const auto scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  out.tls = scheme == "https";
  const auto rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.find('@') != std::string::npos || authority.empty()) return false;
  out.port = out.tls ? "443" : "80";
  const auto bracket = authority.find(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    out.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  out.host = authority;
  return !out.host.empty();
}

// Sorts an errno of connect, read or write into what the core words; `detail` gets the system's words when
// the kind alone would not say enough.
send_failure classify(int error_number, std::string& detail) {
  switch (error_number) {
    case ECONNREFUSED:
      return send_failure::refused;
    case ETIMEDOUT:
    case EINPROGRESS:  // connect under SO_SNDTIMEO
    case EAGAIN:       // read or write under SO_RCVTIMEO / SO_SNDTIMEO
      return send_failure::timed_out;
    case ENETUNREACH:
    case EHOSTUNREACH:
      return send_failure::unreachable;
    case ECONNRESET:
    case EPIPE:
      return send_failure::closed;
    default:
      detail = std::strerror(error_number);
      return send_failure::other;
  }
}

int connect_to(const target& where, int timeout_seconds, http_answer& answer) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int code = getaddrinfo(where.host.c_str(), where.port.c_str(), &hints, &found); code != 0) {
    answer.failure = code == EAI_NONAME || code == EAI_NODATA ? send_failure::dns_not_found : send_failure::dns_failed;
    return -1;
  }
  int fd = -1;
  int last_error = 0;
  for (auto* item = found; item != nullptr && fd < 0; item = item->ai_next) {
    fd = socket(item->ai_family, item->ai_socktype, item->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    timeval timeout{timeout_seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, item->ai_addr, item->ai_addrlen) != 0) {
      last_error = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) answer.failure = classify(last_error, answer.detail);
  return fd;
}

// Decodes a chunked body; returns it as it is when it is not well formed.
std::string unchunk(const std::string& body) {
  std::string out;
  std::size_t at = 0;
  while (at < body.size()) {
    const auto line_end = body.find("\r\n", at);
    if (line_end == std::string::npos) return body;
    const auto size = std::strtoul(body.substr(at, line_end - at).c_str(), nullptr, 16);
    if (size == 0) return out;
    if (line_end + 2 + size > body.size()) return body;
    out.append(body, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return out;
}

}  // namespace

http_answer http_post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, int timeout_seconds) {
  http_answer answer;
  target where;
  if (!parse_url(url, where)) {
    answer.failure = send_failure::other;
    answer.detail = "not an http:// or https:// URL";
    return answer;
  }
  const int fd = connect_to(where, timeout_seconds, answer);
  if (fd < 0) return answer;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(nullptr, SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> tls(nullptr, SSL_free);
  if (where.tls) {
    context.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_default_verify_paths(context.get());
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
    tls.reset(SSL_new(context.get()));
    SSL_set_fd(tls.get(), fd);
    SSL_set_tlsext_host_name(tls.get(), where.host.c_str());
    SSL_set1_host(tls.get(), where.host.c_str());
    if (const int connected = SSL_connect(tls.get()); connected != 1) {
      const auto error_number = errno;
      answer.failure = send_failure::tls;
      if (const auto verified = SSL_get_verify_result(tls.get()); verified != X509_V_OK) {
        answer.detail = X509_verify_cert_error_string(verified);  // the words node's TLS gives too
      } else if (const auto queued = ERR_get_error(); queued != 0) {
        char reason[256];
        ERR_error_string_n(queued, reason, sizeof reason);
        answer.detail = reason;
      } else {
        // No TLS error queued: the connection itself failed (closed, timed out) during the handshake.
        answer.failure = connected == 0 ? send_failure::closed : classify(error_number, answer.detail);
      }
      close(fd);
      return answer;
    }
  }
  std::string request = "POST " + where.path + " HTTP/1.1\r\nHost: " + where.host +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n" + body;
  const auto send_all = [&](const std::string& data) {
    for (std::size_t sent = 0; sent < data.size();) {
      const auto chunk = data.size() - sent;
      const auto wrote = tls ? SSL_write(tls.get(), data.data() + sent, static_cast<int>(chunk))
                             : static_cast<int>(::send(fd, data.data() + sent, chunk, MSG_NOSIGNAL));
      if (wrote <= 0) return false;
      sent += static_cast<std::size_t>(wrote);
    }
    return true;
  };
  std::string raw;
  int read_error = 0;  // the errno that ended writing or reading, 0 at the end of the answer
  if (!send_all(request)) read_error = errno;
  // A server may answer (413) and close before taking the whole body: its answer is still worth reading.
  if (read_error != EAGAIN) {
    char buffer[8192];
    while (raw.size() < max_answer + 8192) {
      errno = 0;
      const auto got =
          tls ? SSL_read(tls.get(), buffer, sizeof buffer) : static_cast<int>(read(fd, buffer, sizeof buffer));
      if (got < 0) read_error = errno;
      if (got <= 0) break;
      raw.append(buffer, static_cast<std::size_t>(got));
    }
  }
  close(fd);
  const auto header_end = raw.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    // A head cut short (by a timeout, a reset) says no more than no head at all; what is not the start of
    // one is not HTTP.
    if (raw.compare(0, 5, "HTTP/", 0, std::min<std::size_t>(raw.size(), 5)) == 0) {
      answer.failure = read_error != 0 ? classify(read_error, answer.detail) : send_failure::closed;
    } else {
      answer.failure = send_failure::not_http;
    }
    return answer;
  }
  if (raw.rfind("HTTP/", 0) != 0) {
    answer.failure = send_failure::not_http;
    return answer;
  }
  answer.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  std::string head = raw.substr(0, header_end);
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  answer.body = raw.substr(header_end + 4);
  if (head.find("transfer-encoding: chunked") != std::string::npos) answer.body = unchunk(answer.body);
  if (answer.body.size() > max_answer) answer.body.resize(max_answer);
  return answer;
}

std::string random_uuid() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

}  // namespace dispatch::cli_edge
