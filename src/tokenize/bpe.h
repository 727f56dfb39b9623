#pragma once
// Byte-pair merging of one pre-tokenized piece, with tiktoken's exact order: repeatedly merge the
// adjacent pair whose concatenation has the lowest rank, leftmost first on ties.

#include <cstddef>
#include <string_view>

#include "tokenize/rank_table.h"

namespace sluice::tokenize {

// Receives the tokens of a piece in order: rank and the end offset of the token within the piece.
class TokenSink {
 public:
  virtual ~TokenSink() = default;
  virtual void token(Rank rank, std::size_t end) = 0;
};

// Pieces up to this many bytes use a quadratic scan over a stack array (fast for short pieces);
// longer ones use a heap and linked list, O(n log n).
inline constexpr std::size_t k_bpe_short_piece = 96;

// Merges `piece` (not itself a token) and emits its tokens. Thread-safe; allocates only for
// pieces longer than k_bpe_short_piece.
void byte_pair_merge(const RankTable& ranks, std::string_view piece, TokenSink& sink);

// The same, always through the O(n log n) path; exposed so tests can check both paths agree.
void byte_pair_merge_long(const RankTable& ranks, std::string_view piece, TokenSink& sink);

}  // namespace sluice::tokenize
