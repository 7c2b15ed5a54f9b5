#include "dispatch/signature.hpp"

#include <string>

// The SHA-256 primitives are "deprecated" in OpenSSL 3 in favour of EVP, but EVP pulls the whole provider
// machinery into the wasm build (about 1.3 MB) where these link to a few KB. HMAC is built on them below.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace dispatch {
namespace {

constexpr std::size_t block_size = 64;  // SHA-256's block, in bytes
constexpr std::string_view expected_algorithm = "sha256";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Shows a short, printable excerpt of untrusted text inside an error message.
std::string quote(std::string_view text) {
  constexpr std::size_t max_shown = 16;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < max_shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (text.size() > max_shown) out += "...";
  return out + "\"";
}

}  // namespace

result<signature> parse_signature(std::string_view header) {
  header = trim(header);
  if (header.empty()) {
    return make_error(codes::signature_missing, "X-Hub-Signature is empty; expected sha256=<64 hex digits>");
  }
  const auto equals = header.find('=');
  if (equals == std::string_view::npos) {
    return make_error(codes::signature_malformed, "X-Hub-Signature has no '='; expected sha256=<64 hex digits>");
  }
  const auto algorithm = header.substr(0, equals);
  const auto hex = header.substr(equals + 1);
  if (!equals_ignoring_case(algorithm, expected_algorithm)) {
    return make_error(codes::algorithm_unsupported,
                      "X-Hub-Signature algorithm " + quote(algorithm) + " is not supported; only sha256 is");
  }
  if (hex.size() != 2 * sizeof(sha256_digest)) {
    return make_error(codes::signature_malformed, "X-Hub-Signature sha256 value has " + std::to_string(hex.size()) +
                                                      " characters; expected 64 hex digits");
  }
  signature parsed;
  for (std::size_t i = 0; i < parsed.digest.size(); ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      const std::size_t at = high < 0 ? 2 * i : 2 * i + 1;
      return make_error(codes::signature_malformed,
                        "X-Hub-Signature sha256 value has a non-hex character at position " + std::to_string(at + 1));
    }
    parsed.digest[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return parsed;
}

sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message) {
  std::array<std::uint8_t, block_size> block_key{};
  SHA256_CTX ctx;
  if (key.size() > block_size) {
    // Not the one-shot SHA256(): in OpenSSL 3 it goes through EVP and drags in the providers.
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, key.data(), key.size());
    SHA256_Final(block_key.data(), &ctx);
  } else {
    std::copy(key.begin(), key.end(), block_key.begin());
  }

  // H((K ^ pad) || data), for the inner (0x36) and outer (0x5c) passes.
  std::array<std::uint8_t, block_size> pad;
  const auto keyed_hash = [&](std::uint8_t pad_byte, std::span<const std::uint8_t> data) {
    for (std::size_t i = 0; i < block_size; ++i) pad[i] = block_key[i] ^ pad_byte;
    sha256_digest digest;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad.data(), pad.size());
    SHA256_Update(&ctx, data.data(), data.size());
    SHA256_Final(digest.data(), &ctx);
    return digest;
  };
  const auto inner = keyed_hash(0x36, message);
  const auto outer = keyed_hash(0x5c, inner);

  OPENSSL_cleanse(block_key.data(), block_key.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return outer;
}

bool digests_equal(const sha256_digest& a, const sha256_digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

result<bool> verify_signature(std::string_view header, std::span<const std::uint8_t> secret,
                              std::span<const std::uint8_t> body) {
  auto parsed = parse_signature(header);
  if (!parsed.ok()) return parsed.error();
  if (!digests_equal(hmac_sha256(secret, body), parsed.value().digest)) {
    return make_error(codes::signature_mismatch,
                      "X-Hub-Signature does not match the body signed with this endpoint's secret");
  }
  return true;
}

result<bool> verify_signature_any(std::string_view header, std::span<const std::string> secrets,
                                  std::span<const std::uint8_t> body) {
  auto parsed = parse_signature(header);
  if (!parsed.ok()) return parsed.error();
  bool matched = false;
  for (const auto& secret : secrets) {
    // No early exit: which secret matched must not show in the time taken.
    matched |= digests_equal(hmac_sha256(as_bytes(secret), body), parsed.value().digest);
  }
  if (!matched) {
    return make_error(codes::signature_mismatch,
                      secrets.size() > 1
                          ? "X-Hub-Signature does not match the body signed with any of this endpoint's " +
                                std::to_string(secrets.size()) + " current secrets"
                          : std::string("X-Hub-Signature does not match the body signed with this endpoint's secret"));
  }
  return true;
}

std::string to_hex(const sha256_digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (const auto byte : digest) {
    out += digits[byte >> 4];
    out += digits[byte & 0x0f];
  }
  return out;
}

}  // namespace dispatch
