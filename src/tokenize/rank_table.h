#pragma once
// The mergeable ranks of one encoding: a flat open-addressed hash from token bytes to rank, plus
// the bytes of each rank for decoding. Built once; lookups are const and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::tokenize {

using Rank = std::uint32_t;
inline constexpr Rank k_no_rank = 0xffffffffu;

class RankTable {
 public:
  RankTable() = default;

  // Parses tiktoken's format: one "base64(token) rank" line per token. `source` names the data in
  // error messages (a path). Fails on malformed lines, duplicate tokens or ranks, or when not all
  // 256 single bytes are tokens (byte-level BPE needs them).
  [[nodiscard]] static Expected<RankTable> parse(std::string_view data, std::string_view source);

  // Rank of exactly these bytes, or k_no_rank.
  [[nodiscard]] Rank find(std::string_view bytes) const noexcept;
  [[nodiscard]] Rank find(const char* data, std::size_t size) const noexcept;
  // Rank of the single byte b (every byte has one).
  [[nodiscard]] Rank byte_rank(unsigned char b) const noexcept { return m_byte_rank[b]; }
  // Bytes of a rank; empty when the rank is unused. Borrows from this table.
  [[nodiscard]] std::string_view bytes(Rank rank) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return m_count; }
  // One past the largest rank.
  [[nodiscard]] Rank rank_end() const noexcept { return static_cast<Rank>(m_offsets.size()); }
  [[nodiscard]] std::size_t max_token_bytes() const noexcept { return m_max_len; }

 private:
  // Low 24 bits: the rank (ranks are < 2^24); high 8 bits: hash bits that skip most byte
  // comparisons. k_no_rank marks an empty slot. 4 bytes keep o200k's table at 2 MiB.
  using Slot = std::uint32_t;

  std::string m_arena;                      // all token bytes, back to back
  std::vector<std::uint32_t> m_offsets;     // by rank: start in m_arena (size rank_end()+1 sentinel)
  std::vector<std::uint32_t> m_lengths;     // by rank: byte length, 0 when unused
  std::vector<Slot> m_slots;                // power-of-two sized
  std::uint64_t m_mask = 0;
  std::size_t m_count = 0;
  std::size_t m_max_len = 0;
  Rank m_byte_rank[256] = {};
};

}  // namespace sluice::tokenize
