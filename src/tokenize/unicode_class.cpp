#include "tokenize/unicode_class.h"

namespace sluice::tokenize {
namespace {
#include "tokenize/unicode_tables.inc"
}  // namespace

std::uint8_t unicode_class(char32_t cp) noexcept {
  if (cp >= 0x110000) return 0;
  const unsigned block = k_stage1[cp >> 8];
  return static_cast<std::uint8_t>(k_stage2[block * 256 + (cp & 0xff)]);
}

std::string_view unicode_table_version() noexcept { return k_unicode_version; }

}  // namespace sluice::tokenize
