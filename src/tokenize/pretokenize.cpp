#include "tokenize/pretokenize.h"

#include <array>
#include <cstdint>

#include "tokenize/unicode_class.h"

// The patterns, as tiktoken 0.x / the `tiktoken` npm package (1.0.22) define them:
//   cl100k: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//           | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   o200k:  [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|...|'d)?
//           |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|...|'d)?
//           |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
// Each branch below reproduces the leftmost-first, backtracking result of that regex; the
// comments name the branch. Every character matches some branch, so pieces tile the text.

namespace sluice::tokenize {
namespace {

constexpr std::size_t k_none = static_cast<std::size_t>(-1);
constexpr std::uint8_t k_o200k_upper = k_upper | k_letter_other | k_mark;  // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
constexpr std::uint8_t k_o200k_lower = k_lower | k_letter_other | k_mark;  // [\p{Ll}\p{Lm}\p{Lo}\p{M}]

constexpr std::array<std::uint8_t, 128> make_ascii_classes() {
  std::array<std::uint8_t, 128> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = k_upper;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = k_lower;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = k_number;
  for (int c = 0x09; c <= 0x0d; ++c) t[static_cast<std::size_t>(c)] = k_space;
  t[0x20] = k_space;
  return t;
}
constexpr std::array<std::uint8_t, 128> k_ascii = make_ascii_classes();

struct Char {
  char32_t cp;
  std::uint32_t len;
  std::uint8_t cls;
};

class Scanner {
 public:
  explicit Scanner(std::string_view text)
      : m_s(reinterpret_cast<const unsigned char*>(text.data())), m_n(text.size()) {}

  // Decodes the (valid) UTF-8 character at p < m_n.
  [[nodiscard]] Char at(std::size_t p) const noexcept {
    const unsigned c = m_s[p];
    if (c < 0x80) return {c, 1, k_ascii[c]};
    char32_t cp = 0;
    std::uint32_t len = 0;
    if (c < 0xe0) {
      cp = ((c & 0x1fu) << 6) | (m_s[p + 1] & 0x3fu);
      len = 2;
    } else if (c < 0xf0) {
      cp = ((c & 0x0fu) << 12) | ((m_s[p + 1] & 0x3fu) << 6) | (m_s[p + 2] & 0x3fu);
      len = 3;
    } else {
      cp = ((c & 0x07u) << 18) | ((m_s[p + 1] & 0x3fu) << 12) | ((m_s[p + 2] & 0x3fu) << 6) |
           (m_s[p + 3] & 0x3fu);
      len = 4;
    }
    return {cp, len, unicode_class(cp)};
  }

  [[nodiscard]] std::uint8_t cls(std::size_t p) const noexcept {
    const unsigned c = m_s[p];
    return c < 0x80 ? k_ascii[c] : at(p).cls;
  }

  // End of the maximal run, starting at p, of characters having any of `bits`.
  [[nodiscard]] std::size_t run(std::size_t p, std::uint8_t bits) const noexcept {
    while (p < m_n) {
      const unsigned c = m_s[p];
      if (c < 0x80) {
        if (!(k_ascii[c] & bits)) break;
        ++p;
      } else {
        const Char ch = at(p);
        if (!(ch.cls & bits)) break;
        p += ch.len;
      }
    }
    return p;
  }

  // End of the maximal run of [^\s\p{L}\p{N}] starting at p.
  [[nodiscard]] std::size_t other_run(std::size_t p) const noexcept {
    while (p < m_n) {
      const Char ch = at(p);
      if (ch.cls & (k_letter | k_number | k_space)) break;
      p += ch.len;
    }
    return p;
  }

  // (?i:'s|'t|'re|'ve|'m|'ll|'d) at p: its end, or k_none. Case-insensitive as Rust's regex crate
  // folds: 's' also matches U+017F LATIN SMALL LETTER LONG S (simple case folding).
  [[nodiscard]] std::size_t contraction(std::size_t p) const noexcept {
    if (p + 1 >= m_n || m_s[p] != '\'') return k_none;
    const unsigned c1 = m_s[p + 1] | 0x20u;  // ASCII lower-case (only used for letters)
    switch (c1) {
      case 's':
      case 't':
      case 'm':
      case 'd':
        return p + 2;
      case 'r':
      case 'v':
        return (p + 2 < m_n && (m_s[p + 2] | 0x20u) == 'e') ? p + 3 : k_none;
      case 'l':
        return (p + 2 < m_n && (m_s[p + 2] | 0x20u) == 'l') ? p + 3 : k_none;
      default:
        break;
    }
    if (m_s[p + 1] == 0xc5 && p + 2 < m_n && m_s[p + 2] == 0xbf) return p + 3;  // U+017F
    return k_none;
  }

  [[nodiscard]] static bool is_cr_lf(char32_t cp) noexcept { return cp == '\r' || cp == '\n'; }

  // \s*[\r\n]+ | \s+(?!\S) | \s+ at p, where the character at p is white space.
  [[nodiscard]] std::size_t whitespace(std::size_t p) const noexcept {
    std::size_t q = p;
    std::size_t after_newline = k_none;
    std::size_t last_start = p;
    while (q < m_n) {
      const Char ch = at(q);
      if (!(ch.cls & k_space)) break;
      last_start = q;
      q += ch.len;
      if (is_cr_lf(ch.cp)) after_newline = q;
    }
    if (after_newline != k_none) return after_newline;  // \s*[\r\n]+
    if (q == m_n) return q;                              // \s+(?!\S) at the end
    if (last_start > p) return last_start;               // \s+(?!\S), giving back one
    return q;                                            // \s+ (a single space before \S)
  }

  // ` ?[^\s\p{L}\p{N}]+` followed by [\r\n]* (cl100k) or [\r\n/]* (o200k); k_none if no match.
  [[nodiscard]] std::size_t punctuation(std::size_t p, const Char& c0, bool slash) const noexcept {
    std::size_t s = p;
    if (c0.cp == ' ') {
      s = p + 1;
      if (s >= m_n || (cls(s) & (k_letter | k_number | k_space))) return k_none;
    } else if (c0.cls & (k_letter | k_number | k_space)) {
      return k_none;
    }
    std::size_t e = other_run(s);
    while (e < m_n && (m_s[e] == '\r' || m_s[e] == '\n' || (slash && m_s[e] == '/'))) ++e;
    return e;
  }

  [[nodiscard]] std::size_t numbers(std::size_t p) const noexcept {
    std::size_t e = p;
    for (int i = 0; i < 3 && e < m_n; ++i) {
      const Char ch = at(e);
      if (!(ch.cls & k_number)) break;
      e += ch.len;
    }
    return e;
  }

  [[nodiscard]] std::size_t cl100k(std::size_t p) const noexcept {
    if (const std::size_t e = contraction(p); e != k_none) return e;
    const Char c0 = at(p);
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c0.cls & k_letter) return run(p + c0.len, k_letter);
    if (!(c0.cls & k_number) && !is_cr_lf(c0.cp)) {
      const std::size_t p1 = p + c0.len;
      if (p1 < m_n && (cls(p1) & k_letter)) return run(p1, k_letter);
    }
    if (c0.cls & k_number) return numbers(p);  // \p{N}{1,3}
    if (const std::size_t e = punctuation(p, c0, false); e != k_none) return e;
    return whitespace(p);
  }

  // [A]*[B]+ from s (A = o200k upper set, B = lower set), or k_none.
  [[nodiscard]] std::size_t upper_star_lower_plus(std::size_t s) const noexcept {
    std::size_t a = s;
    std::size_t after_last_lower = k_none;  // backtracking point: B+ can take one A∩B character
    while (a < m_n) {
      const Char ch = at(a);
      if (!(ch.cls & k_o200k_upper)) break;
      a += ch.len;
      if (ch.cls & k_o200k_lower) after_last_lower = a;
    }
    if (a < m_n && (cls(a) & k_o200k_lower)) return run(a, k_o200k_lower);
    return after_last_lower;
  }

  // [A]+[B]* from s, or k_none.
  [[nodiscard]] std::size_t upper_plus_lower_star(std::size_t s) const noexcept {
    const std::size_t a = run(s, k_o200k_upper);
    if (a == s) return k_none;
    return run(a, k_o200k_lower);
  }

  [[nodiscard]] std::size_t o200k(std::size_t p) const noexcept {
    const Char c0 = at(p);
    const bool prefix = !(c0.cls & (k_letter | k_number)) && !is_cr_lf(c0.cp);
    const std::size_t p1 = p + c0.len;
    std::size_t e = k_none;
    if (prefix && p1 < m_n) e = upper_star_lower_plus(p1);
    if (e == k_none) e = upper_star_lower_plus(p);
    if (e == k_none && prefix && p1 < m_n) e = upper_plus_lower_star(p1);
    if (e == k_none) e = upper_plus_lower_star(p);
    if (e != k_none) {
      const std::size_t c = contraction(e);
      return c != k_none ? c : e;
    }
    if (c0.cls & k_number) return numbers(p);
    if (const std::size_t q = punctuation(p, c0, true); q != k_none) return q;
    return whitespace(p);
  }

 private:
  const unsigned char* m_s;
  std::size_t m_n;
};

}  // namespace

std::size_t next_piece(Pattern pattern, std::string_view text, std::size_t pos) noexcept {
  const Scanner scanner(text);
  return pattern == Pattern::cl100k ? scanner.cl100k(pos) : scanner.o200k(pos);
}

}  // namespace sluice::tokenize
