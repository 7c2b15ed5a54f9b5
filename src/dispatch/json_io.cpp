// Reading and writing JSON, both non-throwing: a fast reader that builds nlohmann's tree exactly as nlohmann's
// parser would (which places the faults), and a compact writer. One file of over 400 lines because the two
// share the UTF-8 and escape scanning at their core (utf8_length, plain_end), which the wasm build compiles
// with SIMD128.

#include "dispatch/json_io.hpp"

#include "dispatch/text.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dispatch {
namespace {

// Returns the length of the UTF-8 sequence at `b` (`left` bytes there) if it is one nlohmann's lexer and
// serializer accept (no overlong forms, surrogates or code points past U+10FFFF), else 0.
std::size_t utf8_length(const unsigned char* b, std::ptrdiff_t left) {
  std::ptrdiff_t size = 0;
  if (b[0] >= 0xC2 && b[0] <= 0xDF) {
    size = 2;
  } else if (b[0] >= 0xE0 && b[0] <= 0xEF) {
    size = 3;
  } else if (b[0] >= 0xF0 && b[0] <= 0xF4) {
    size = 4;
  } else {
    return 0;
  }
  if (left < size) return 0;
  const unsigned char low = b[0] == 0xE0 ? 0xA0 : b[0] == 0xF0 ? 0x90 : 0x80;
  const unsigned char high = b[0] == 0xED ? 0x9F : b[0] == 0xF4 ? 0x8F : 0xBF;
  if (b[1] < low || b[1] > high) return 0;
  for (std::ptrdiff_t k = 2; k < size; ++k) {
    if (b[k] < 0x80 || b[k] > 0xBF) return 0;
  }
  return static_cast<std::size_t>(size);
}

// The mask of the sixteen bytes at `p` that a JSON string does not hold as they are (bit k: byte k), on the
// SIMD each build has: as signed bytes, everything below 0x20 or from 0x80 up is less than 0x20.
#if defined(__wasm_simd128__)
#define DISPATCH_SPECIAL_MASK16 1
std::uint32_t special_mask16(const char* p) {
  const v128_t bytes = wasm_v128_load(p);
  const v128_t flags = wasm_v128_or(
      wasm_i8x16_lt(bytes, wasm_i8x16_splat(0x20)),
      wasm_v128_or(wasm_i8x16_eq(bytes, wasm_i8x16_splat('"')), wasm_i8x16_eq(bytes, wasm_i8x16_splat('\\'))));
  return static_cast<std::uint32_t>(wasm_i8x16_bitmask(flags));
}
#elif defined(__SSE2__)
#define DISPATCH_SPECIAL_MASK16 1
std::uint32_t special_mask16(const char* p) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i flags =
      _mm_or_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)),
                   _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))));
  return static_cast<std::uint32_t>(_mm_movemask_epi8(flags));
}
#endif

// Returns the first byte from `p` on (or `end`) that a JSON string does not hold as it is: one below 0x20, from
// 0x80 up, '"' or '\\'. Sixteen bytes at a time with SIMD where there is some, then eight at a time.
const char* plain_end(const char* p, const char* end) {
#if defined(DISPATCH_SPECIAL_MASK16)
  while (end - p >= 16) {
    if (const auto mask = special_mask16(p); mask != 0) return p + std::countr_zero(mask);
    p += 16;
  }
#endif
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    const auto zero_in = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
    // Each term may also flag bytes above its first true hit (borrows), never below, so the lowest flag
    // is a byte that needs attention.
    const std::uint64_t flags = (word & highs) | ((word - ones * 0x20) & ~word & highs) | zero_in(word ^ (ones * '"')) |
                                zero_in(word ^ (ones * '\\'));
    if (flags != 0) {
      return p + std::countr_zero(flags) / 8;
    }
    p += 8;
  }
  while (p != end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) return p;
    ++p;
  }
  return p;
}

// Builds the DOM like nlohmann's own parser, but records where and why parsing failed and refuses
// nesting past max_json_depth.
template <class Json>
class recording_parser {
 public:
  using number_integer_t = typename Json::number_integer_t;
  using number_unsigned_t = typename Json::number_unsigned_t;
  using number_float_t = typename Json::number_float_t;
  using string_t = typename Json::string_t;
  using binary_t = typename Json::binary_t;

  explicit recording_parser(Json& root) : dom_(root, false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool value) { return dom_.boolean(value); }
  bool number_integer(number_integer_t value) { return dom_.number_integer(value); }
  bool number_unsigned(number_unsigned_t value) { return dom_.number_unsigned(value); }
  bool number_float(number_float_t value, const string_t& text) { return dom_.number_float(value, text); }
  bool string(string_t& value) { return dom_.string(value); }
  bool binary(binary_t& value) { return dom_.binary(value); }
  bool start_object(std::size_t size) { return deeper() && dom_.start_object(size); }
  bool key(string_t& value) { return dom_.key(value); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t size) { return deeper() && dom_.start_array(size); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& failure) {
    position_ = position;
    reason_ = failure.what();
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 2: <why>";
    // keep <why>, since the position is reported separately.
    if (const auto colon = reason_.find(": "); colon != std::string::npos) reason_.erase(0, colon + 2);
    return false;
  }

  bool too_deep() const { return too_deep_; }
  std::size_t position() const { return position_; }
  const std::string& reason() const { return reason_; }

 private:
  bool deeper() {
    if (++depth_ > max_json_depth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::size_t position_ = 0;
  std::string reason_;
};

// Turns a byte offset (nlohmann counts the byte that failed as read) into a 1-based line and column.
std::pair<int, int> line_and_column(std::string_view text, std::size_t position) {
  const std::size_t end = std::min(position, text.size());
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  const auto column = static_cast<int>(end - line_start) + (position > text.size() ? 1 : 0);
  return {line, std::max(column, 1)};
}

// Returns the offset of the bracket that nests past max_json_depth (outside strings), or text.size().
std::size_t too_deep_at(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_json_depth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return text.size();
}

// The fast path: a reader that accepts exactly the documents nlohmann accepts (within max_json_depth) and
// builds the same tree, directly, with each string copied in runs and allocated once. On any fault it
// simply answers false: nlohmann then parses again and places the error, so errors cost a second parse
// but never differ.
template <class Json>
class fast_reader {
 public:
  using string_t = typename Json::string_t;
  using object_t = typename Json::object_t;
  using array_t = typename Json::array_t;

  explicit fast_reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool read(Json& root) {
    // nlohmann skips a UTF-8 byte order mark at the start (and refuses a broken one).
    if (end_ - p_ >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;
    if (!value(root, 0)) return false;
    skip_whitespace();
    // Nothing may follow the document (a NUL byte included, which nlohmann would take as the end).
    return p_ == end_;
  }

 private:
  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool literal(const char* word, std::size_t size) {
    if (static_cast<std::size_t>(end_ - p_) < size || std::memcmp(p_, word, size) != 0) return false;
    p_ += size;
    return true;
  }

  bool value(Json& out, int depth) {
    skip_whitespace();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"': {
        ++p_;
        string_t text;
        if (!string(text)) return false;
        out = Json(std::move(text));
        return true;
      }
      case 't':
        out = true;
        return literal("true", 4);
      case 'f':
        out = false;
        return literal("false", 5);
      case 'n':
        out = nullptr;
        return literal("null", 4);
      default:
        return number(out);
    }
  }

  bool object(Json& out, int depth) {
    if (depth > max_json_depth) return false;
    ++p_;
    out = Json(nlohmann::detail::value_t::object);
    auto& members = *out.template get_ptr<object_t*>();
    skip_whitespace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      skip_whitespace();
      if (p_ == end_ || *p_ != '"') return false;
      ++p_;
      string_t key;
      if (!string(key)) return false;
      skip_whitespace();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      // A repeated key takes the last value, as with nlohmann's DOM builder; the hint makes keys that arrive
      // in order cheap to insert.
      Json& slot = members.try_emplace(members.end(), std::move(key))->second;
      if (!value(slot, depth)) return false;
      skip_whitespace();
      if (p_ == end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
    }
  }

  bool array(Json& out, int depth) {
    if (depth > max_json_depth) return false;
    ++p_;
    out = Json(nlohmann::detail::value_t::array);
    auto& items = *out.template get_ptr<array_t*>();
    skip_whitespace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      items.emplace_back();
      if (!value(items.back(), depth)) return false;
      skip_whitespace();
      if (p_ == end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
    }
  }

  // Checks one UTF-8 sequence at p_ against the ranges nlohmann's lexer accepts, and steps over it.
  bool utf8_sequence() {
    const auto size = utf8_length(reinterpret_cast<const unsigned char*>(p_), end_ - p_);
    p_ += size;
    return size != 0;
  }

  // Reads four hex digits at p_ into `code`.
  bool hex4(unsigned& code) {
    if (end_ - p_ < 4) return false;
    code = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = p_[k];
      unsigned digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return false;
      }
      code = code * 16 + digit;
    }
    p_ += 4;
    return true;
  }

  static void append_utf8(string_t& out, unsigned code) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      const char bytes[] = {static_cast<char>(0xC0 | (code >> 6)), static_cast<char>(0x80 | (code & 0x3F))};
      out.append(bytes, 2);
    } else if (code < 0x10000) {
      const char bytes[] = {static_cast<char>(0xE0 | (code >> 12)), static_cast<char>(0x80 | ((code >> 6) & 0x3F)),
                            static_cast<char>(0x80 | (code & 0x3F))};
      out.append(bytes, 3);
    } else {
      const char bytes[] = {static_cast<char>(0xF0 | (code >> 18)), static_cast<char>(0x80 | ((code >> 12) & 0x3F)),
                            static_cast<char>(0x80 | ((code >> 6) & 0x3F)), static_cast<char>(0x80 | (code & 0x3F))};
      out.append(bytes, 4);
    }
  }

  // Reads the escape after a backslash (p_ is past the backslash) onto `out`, as nlohmann decodes it.
  bool escape(string_t& out) {
    if (p_ == end_) return false;
    const char c = *p_++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(c);
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    unsigned code = 0;
    if (!hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return false;
    if (code >= 0xD800 && code <= 0xDBFF) {
      unsigned low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, code);
    return true;
  }

  // Reads a string's contents (p_ is past the opening quote) into `out` and steps past the closing quote.
  bool string(string_t& out) {
    const char* run = p_;
    for (;;) {
      p_ = plain_end(p_, end_);
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return true;
      }
      if (c == '\\') {
        out.append(run, p_);
        ++p_;
        if (!escape(out)) return false;
        run = p_;
      } else if (c < 0x20 || !utf8_sequence()) {
        return false;
      }
    }
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // Reads a number as nlohmann does: an integer that fits 64 bits is unsigned (or, with a minus, signed);
  // anything else is the double strtod makes of the token; a non-finite one is nlohmann's error.
  bool number(Json& out) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_) return false;
    // The mantissa's digits as an integer (while it fits) and how many digits it has.
    std::uint64_t mantissa = 0;
    bool mantissa_exact = true;
    int fraction_digits = 0;
    const auto take = [&](char c) {
      if (!mantissa_exact) return;
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (mantissa > (UINT64_MAX - d) / 10) {
        mantissa_exact = false;
      } else {
        mantissa = mantissa * 10 + d;
      }
    };
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && digit(*p_)) take(*p_++);
    } else {
      return false;
    }
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || !digit(*p_)) return false;
      while (p_ != end_ && digit(*p_)) {
        if (mantissa_exact) ++fraction_digits;
        take(*p_++);
      }
    }
    int exponent = 0;
    bool exponent_small = true;
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      bool exponent_negative = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) exponent_negative = *p_++ == '-';
      if (p_ == end_ || !digit(*p_)) return false;
      while (p_ != end_ && digit(*p_)) {
        if (exponent < 100000) {
          exponent = exponent * 10 + (*p_ - '0');
        } else {
          exponent_small = false;
        }
        ++p_;
      }
      if (exponent_negative) exponent = -exponent;
    }
    if (integral && mantissa_exact) {
      if (!negative) {
        out = static_cast<typename Json::number_unsigned_t>(mantissa);
        return true;
      }
      if (mantissa <= std::uint64_t{1} << 63) {
        out = static_cast<typename Json::number_integer_t>(static_cast<std::int64_t>(0 - mantissa));
        return true;
      }
    }
    double result = 0;
    // Clinger's fast path: both operands exact, so the one rounding matches a correctly rounded strtod.
    const int scale = exponent - fraction_digits;
    static constexpr double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (mantissa_exact && exponent_small && mantissa <= (std::uint64_t{1} << 53) && scale >= -22 && scale <= 22) {
      result = static_cast<double>(mantissa);
      result = scale < 0 ? result / powers[-scale] : result * powers[scale];
      if (negative) result = -result;
    } else {
      // nlohmann hands strtod the token with '.' replaced by the locale's decimal point.
      std::string token(start, p_);
      const auto* locale = std::localeconv();
      const char point = locale == nullptr || locale->decimal_point == nullptr ? '.' : *locale->decimal_point;
      std::replace(token.begin(), token.end(), '.', point);
      result = std::strtod(token.c_str(), nullptr);
    }
    if (!std::isfinite(result)) return false;
    out = static_cast<typename Json::number_float_t>(result);
    return true;
  }

  const char* p_;
  const char* end_;
};

template <class Json>
bool same_tree(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case nlohmann::detail::value_t::object: {
      if (a.size() != b.size()) return false;
      auto left = a.begin();
      auto right = b.begin();
      for (; left != a.end(); ++left, ++right) {
        if (left.key() != right.key() || !same_tree(left.value(), right.value())) return false;
      }
      return true;
    }
    case nlohmann::detail::value_t::array: {
      if (a.size() != b.size()) return false;
      for (std::size_t k = 0; k < a.size(); ++k) {
        if (!same_tree(a[k], b[k])) return false;
      }
      return true;
    }
    case nlohmann::detail::value_t::number_float: {
      const auto x = a.template get<double>();
      const auto y = b.template get<double>();
      return x == y && std::signbit(x) == std::signbit(y);
    }
    default:
      return a == b;
  }
}

template <class Json>
result<Json> reference_parse(std::string_view text) {
  Json root;
  recording_parser<Json> handler(root);
  const bool parsed = Json::sax_parse(text.begin(), text.end(), &handler, Json::input_format_t::json, true);
  // nlohmann's lexer takes a NUL byte as the end of the input and ignores what follows; a NUL cannot stand
  // inside a valid document, so one found means bytes after it, which are refused.
  if (const auto nul = text.find('\0'); parsed && nul != std::string_view::npos) {
    const auto [line, column] = line_and_column(text, nul + 1);
    return make_error(codes::json_syntax, "a NUL byte follows the JSON value; nothing may follow it", line, column);
  }
  if (parsed) return root;
  if (handler.too_deep()) {
    const auto [line, column] = line_and_column(text, too_deep_at(text) + 1);
    return make_error(codes::json_too_deep, "JSON nests deeper than " + std::to_string(max_json_depth) + " levels",
                      line, column);
  }
  const auto [line, column] = line_and_column(text, handler.position());
  // nlohmann quotes the bytes it last read, which may be anything: a reason is valid UTF-8 text.
  return make_error(codes::json_syntax, clean_text(handler.reason()), line, column);
}

}  // namespace

// Bodies and envelopes take the fast reader; a template (ordered_json, a few hundred bytes, parsed once per
// templated delivery) stays with nlohmann's parser alone: a second instantiation of the reader would cost
// 4.6 KB of wasm (2.1 KB gzipped) to save a few microseconds.
result<json> parse_json(std::string_view text) {
  json root;
  if (fast_reader<json>(text).read(root)) return root;
  return reference_parse<json>(text);
}

result<ordered_json> parse_ordered_json(std::string_view text) { return reference_parse<ordered_json>(text); }

namespace detail {

bool fast_parse(std::string_view text, json& out) { return fast_reader<json>(text).read(out); }

result<json> reference_parse_json(std::string_view text) { return reference_parse<json>(text); }

bool same_json(const json& a, const json& b) { return same_tree(a, b); }

}  // namespace detail

namespace {

// Writes a value compactly, byte for byte as nlohmann's dump(-1, ' ', false, error_handler_t::replace) does,
// without its per-byte decoding: a string of valid UTF-8 is copied in runs between the bytes JSON escapes.
// What is rare in an answer (a number with a fraction, a string with invalid UTF-8) is left to nlohmann.
class compact_writer {
 public:
  explicit compact_writer(std::string& out) : out_(out) {}

  void value(const ordered_json& item) {
    switch (item.type()) {
      case nlohmann::detail::value_t::object: {
        out_ += '{';
        bool first = true;
        for (const auto& [key, member] : *item.get_ptr<const ordered_json::object_t*>()) {
          if (!first) out_ += ',';
          first = false;
          string(key);
          out_ += ':';
          value(member);
        }
        out_ += '}';
        return;
      }
      case nlohmann::detail::value_t::array: {
        out_ += '[';
        bool first = true;
        for (const auto& element : *item.get_ptr<const ordered_json::array_t*>()) {
          if (!first) out_ += ',';
          first = false;
          value(element);
        }
        out_ += ']';
        return;
      }
      case nlohmann::detail::value_t::string:
        string(item.get_ref<const std::string&>());
        return;
      case nlohmann::detail::value_t::boolean:
        out_ += item.get<bool>() ? "true" : "false";
        return;
      case nlohmann::detail::value_t::null:
        out_ += "null";
        return;
      case nlohmann::detail::value_t::number_integer:
        number(item.get<std::int64_t>());
        return;
      case nlohmann::detail::value_t::number_unsigned:
        number(item.get<std::uint64_t>());
        return;
      default:
        out_ += detail::reference_dump_json(item);
        return;
    }
  }

 private:
  template <class Integer>
  void number(Integer value) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out_.append(digits, static_cast<std::size_t>(end - digits));
  }

  void string(std::string_view text) {
    const auto start = out_.size();
    out_ += '"';
    std::size_t run = 0;
    const char* const end = text.data() + text.size();
    for (std::size_t i = 0; i < text.size();) {
      i = static_cast<std::size_t>(plain_end(text.data() + i, end) - text.data());
      if (i == text.size()) break;
      const auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x80) {
        const auto size = utf8_length(reinterpret_cast<const unsigned char*>(text.data()) + i,
                                      static_cast<std::ptrdiff_t>(text.size() - i));
        if (size == 0) {
          // Invalid UTF-8: nlohmann's replacement rules, for this string alone.
          out_.resize(start);
          out_ += detail::reference_dump_json(ordered_json(std::string(text)));
          return;
        }
        i += size;
        continue;
      }
      out_.append(text.substr(run, i - run));
      escape(c);
      run = ++i;
    }
    out_.append(text.substr(run));
    out_ += '"';
  }

  void escape(unsigned char c) {
    switch (c) {
      case '"':
        out_ += "\\\"";
        return;
      case '\\':
        out_ += "\\\\";
        return;
      case '\b':
        out_ += "\\b";
        return;
      case '\t':
        out_ += "\\t";
        return;
      case '\n':
        out_ += "\\n";
        return;
      case '\f':
        out_ += "\\f";
        return;
      case '\r':
        out_ += "\\r";
        return;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        const char code[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0x0F]};
        out_.append(code, sizeof code);
        return;
      }
    }
  }

  std::string& out_;
};

}  // namespace

std::string dump_json(const ordered_json& value) {
  std::string out;
  compact_writer(out).value(value);
  return out;
}

namespace detail {

std::string reference_dump_json(const ordered_json& value) {
  return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace detail

std::string dump_json_pretty(const ordered_json& value) {
  return value.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace dispatch
