#pragma once
// The pre-tokenizers of tiktoken's cl100k_base and o200k_base, written out by hand: each call
// returns the end of the piece that tiktoken's regex would match at `pos`. The input must be valid
// UTF-8 (the encoder splits invalid bytes off first). Pure functions, thread-safe.

#include <cstddef>
#include <string_view>

namespace sluice::tokenize {

enum class Pattern { cl100k, o200k };

// End offset (exclusive) of the piece starting at `pos` (< text.size()); always > pos.
[[nodiscard]] std::size_t next_piece(Pattern pattern, std::string_view text, std::size_t pos) noexcept;

}  // namespace sluice::tokenize
