#include "llm/interfaces.h"

#include <algorithm>

namespace sluice::llm {

size_t ApproximateTokenCounter::prefix_bytes(std::string_view text, size_t max_tokens) const {
  size_t n = std::min(text.size(), max_tokens * 4);
  // Back off to a UTF-8 boundary (never split a multi-byte sequence).
  while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace sluice::llm
