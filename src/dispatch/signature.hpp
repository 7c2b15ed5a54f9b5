#pragma once
// The X-Hub-Signature header and HMAC-SHA256 over the raw body.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include <string>

#include "dispatch/result.hpp"

namespace dispatch {

using sha256_digest = std::array<std::uint8_t, 32>;

// A parsed `X-Hub-Signature` value: the algorithm is always sha256 once parsed.
struct signature {
  sha256_digest digest{};
};

// Parses `<algorithm>=<hex>` (surrounding spaces and tabs ignored, hex in either case). Returns the digest;
// otherwise an error with code `signature_missing` (empty value), `algorithm_unsupported` (not sha256),
// or `signature_malformed` (no `=`, wrong length, non-hex), whose message says which.
result<signature> parse_signature(std::string_view header);

// Returns HMAC-SHA256(key, message) as RFC 2104 defines it, for any key and message length.
sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message);

// Returns true if a and b are equal, taking the same time wherever they differ.
bool digests_equal(const sha256_digest& a, const sha256_digest& b);

// Verifies `header` against the body and secret. Returns true if the signature matches; otherwise an error:
// the parse errors above, or `signature_mismatch`. The message never contains the expected value.
result<bool> verify_signature(std::string_view header, std::span<const std::uint8_t> secret,
                              std::span<const std::uint8_t> body);

// Verifies `header` against the body under each of `secrets` (after a rotation: the current secret and the
// previous one). Returns true if any matches; every secret is checked, each in constant time, wherever a
// match is. Otherwise the parse errors above, or `signature_mismatch` (also for an empty list).
result<bool> verify_signature_any(std::string_view header, std::span<const std::string> secrets,
                                  std::span<const std::uint8_t> body);

// Returns the lowercase hex spelling of a digest.
std::string to_hex(const sha256_digest& digest);

// Returns the bytes of a string, for passing text secrets and bodies as byte spans.
inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace dispatch
