#pragma once
// The mergeable ranks of one encoding: a flat open-addressed hash from token bytes to rank, plus
// the bytes of each rank for decoding. Built once; lookups are const and thread-safe.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::tokenize {

using Rank = std::uint32_t;

// The size bytes at data (at most 8) as a little-endian integer, zero-padded, without reading past
// data + size: overlapping loads instead of a variable-length memcpy call.
[[nodiscard]] inline std::uint64_t load_short(const char* data, std::size_t size) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(data);
  if (size >= 4) {
    std::uint32_t lo;
    std::uint32_t hi;
    std::memcpy(&lo, s, 4);
    std::memcpy(&hi, s + size - 4, 4);
    return lo | (static_cast<std::uint64_t>(hi) << (8 * (size - 4)));
  }
  if (size == 0) return 0;
  return s[0] | (static_cast<std::uint64_t>(s[size / 2]) << (8 * (size / 2))) |
         (static_cast<std::uint64_t>(s[size - 1]) << (8 * (size - 1)));
}
inline constexpr Rank k_no_rank = 0xffffffffu;

class RankTable {
 public:
  RankTable() = default;

  // Parses tiktoken's format: one "base64(token) rank" line per token. `source` names the data in
  // error messages (a path). Fails on malformed lines, duplicate tokens or ranks, or when not all
  // 256 single bytes are tokens (byte-level BPE needs them).
  [[nodiscard]] static Expected<RankTable> parse(std::string_view data, std::string_view source);

  // Rank of exactly these bytes, or k_no_rank.
  [[nodiscard]] Rank find(std::string_view bytes) const noexcept { return find(bytes.data(), bytes.size()); }
  [[nodiscard]] Rank find(const char* data, std::size_t size) const noexcept;
  // Rank of the single byte b (every byte has one).
  [[nodiscard]] Rank byte_rank(unsigned char b) const noexcept { return m_byte_rank[b]; }
  // Rank of the two bytes at data, or k_no_rank: a direct table, no hashing.
  [[nodiscard]] Rank pair_rank(const char* data) const noexcept {
    return m_pair_rank[static_cast<unsigned char>(data[0]) | (static_cast<unsigned>(static_cast<unsigned char>(data[1])) << 8)];
  }
  // Bytes of a rank; empty when the rank is unused. Borrows from this table.
  [[nodiscard]] std::string_view bytes(Rank rank) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return m_count; }
  // One past the largest rank.
  [[nodiscard]] Rank rank_end() const noexcept { return static_cast<Rank>(m_offsets.size()); }
  [[nodiscard]] std::size_t max_token_bytes() const noexcept { return m_max_len; }

 private:
  // One cache line holds four slots. `head` is the token's first 8 bytes, zero-padded, so keys
  // of up to 8 bytes (most lookups) are decided inside the slot; longer keys also check `tag`
  // (hash bits) before comparing their tail with the arena. len == 0 marks an empty slot.
  struct Slot {
    std::uint64_t head;
    Rank rank;
    std::uint16_t len;
    std::uint16_t tag;
  };
  struct FreeSlots {
    std::size_t bytes;  // of the mapping
    void operator()(Slot* p) const noexcept;
  };

  std::string m_arena;                      // all token bytes, back to back
  std::vector<std::uint32_t> m_offsets;     // by rank: start in m_arena
  std::vector<std::uint32_t> m_lengths;     // by rank: byte length, 0 when unused
  std::unique_ptr<Slot[], FreeSlots> m_slots;  // power-of-two sized, m_mask + 1 slots
  std::vector<Rank> m_pair_rank;            // 65536 entries: two bytes (first byte low) -> rank
  std::uint64_t m_mask = 0;
  std::size_t m_count = 0;
  std::size_t m_max_len = 0;
  Rank m_byte_rank[256] = {};
};

}  // namespace sluice::tokenize
