#include "tokenize/bpe.h"

#include <cstdint>
#include <cstring>
#include <queue>
#include <vector>

namespace sluice::tokenize {
namespace {

void merge_short(const RankTable& ranks, std::string_view piece, TokenSink& sink) {
  const char* s = piece.data();
  const auto n = static_cast<std::uint32_t>(piece.size());
  // Part i starts at byte i while alive; next[i] is the start of the part after it (n at the end).
  // pair[i] is the rank of part i merged with its successor, k_no_rank when none or when part i
  // is dead, so the scan for the lowest rank runs over fixed positions and nothing moves.
  std::uint32_t next[k_bpe_short_piece];
  std::uint32_t prev[k_bpe_short_piece];
  Rank tok[k_bpe_short_piece];
  Rank pair[k_bpe_short_piece];
  for (std::uint32_t i = 0; i < n; ++i) {
    next[i] = i + 1;
    prev[i] = i - 1;  // wraps for i == 0; never read there
    tok[i] = ranks.byte_rank(static_cast<unsigned char>(s[i]));
  }
  for (std::uint32_t i = 0; i + 1 < n; ++i) pair[i] = ranks.pair_rank(s + i);
  if (n > 0) pair[n - 1] = k_no_rank;
  auto rank_of = [&](std::uint32_t i) -> Rank {  // part i merged with its successor
    const std::uint32_t j = next[i];
    if (j >= n) return k_no_rank;
    return ranks.find(s + i, next[j] - i);
  };
  for (;;) {
    Rank best = k_no_rank;
    std::uint32_t at = 0;
    for (std::uint32_t i = 0; i + 1 < n; ++i) {
      if (pair[i] < best) {
        best = pair[i];
        at = i;
      }
    }
    if (best == k_no_rank) break;
    const std::uint32_t j = next[at];
    tok[at] = best;
    pair[j] = k_no_rank;
    next[at] = next[j];
    if (next[j] < n) prev[next[j]] = at;
    pair[at] = rank_of(at);
    if (at > 0) pair[prev[at]] = rank_of(prev[at]);
  }
  for (std::uint32_t i = 0; i < n; i = next[i]) sink.token(tok[i], next[i]);
}

}  // namespace

void byte_pair_merge_long(const RankTable& ranks, std::string_view piece, TokenSink& sink) {
  const char* s = piece.data();
  const auto n = static_cast<std::uint32_t>(piece.size());
  constexpr std::uint32_t k_end = 0xffffffffu;
  // A doubly linked list of parts; part i starts at byte i (the part's first byte never moves).
  std::vector<std::uint32_t> next(n), prev(n), tok(n);
  std::vector<Rank> pair(n, k_no_rank);
  for (std::uint32_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : k_end;
    prev[i] = i > 0 ? i - 1 : k_end;
    tok[i] = ranks.byte_rank(static_cast<unsigned char>(s[i]));
  }
  auto end_of = [&](std::uint32_t i) { return next[i] == k_end ? n : next[i]; };
  auto rank_of = [&](std::uint32_t i) -> Rank {  // part i merged with its successor
    if (next[i] == k_end) return k_no_rank;
    return ranks.find(s + i, end_of(next[i]) - i);
  };
  // Min-heap on (rank, position): the lowest rank, leftmost on ties, as tiktoken's linear scan.
  using Entry = std::uint64_t;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  auto push = [&](std::uint32_t i) {
    pair[i] = rank_of(i);
    if (pair[i] != k_no_rank) heap.push((static_cast<Entry>(pair[i]) << 32) | i);
  };
  for (std::uint32_t i = 0; i + 1 < n; ++i) push(i);
  std::vector<bool> dead(n, false);
  while (!heap.empty()) {
    const Entry e = heap.top();
    heap.pop();
    const auto i = static_cast<std::uint32_t>(e & 0xffffffffu);
    const auto r = static_cast<Rank>(e >> 32);
    if (dead[i] || pair[i] != r) continue;  // stale: the pair changed since this entry was pushed
    const std::uint32_t j = next[i];
    tok[i] = r;
    dead[j] = true;
    next[i] = next[j];
    if (next[j] != k_end) prev[next[j]] = i;
    push(i);
    if (prev[i] != k_end) push(prev[i]);
  }
  for (std::uint32_t i = 0; i != k_end && n > 0; i = next[i]) sink.token(tok[i], end_of(i));
}

void byte_pair_merge(const RankTable& ranks, std::string_view piece, TokenSink& sink) {
  if (piece.size() <= k_bpe_short_piece) {
    merge_short(ranks, piece, sink);
  } else {
    byte_pair_merge_long(ranks, piece, sink);
  }
}

}  // namespace sluice::tokenize
