#include "tokenize/rank_table.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sluice::tokenize {
namespace {

// Most lookups during BPE are of 2-8 bytes; a multiply-mix of the zero-padded word is far cheaper
// than a general hash there.
inline std::uint64_t hash_bytes(const char* data, std::size_t size) noexcept {
  if (size <= 8) {
    std::uint64_t v = 0;
    std::memcpy(&v, data, size);
    std::uint64_t h = (v ^ (size * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 32);
  }
  return XXH3_64bits(data, size);
}

constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr std::array<std::int8_t, 256> k_base64 = make_base64_table();

// Decodes standard padded base64, appending at out[used]; false when malformed.
bool decode_base64(std::string_view in, char* out, std::size_t& used) {
  if (in.empty() || in.size() % 4 != 0) return false;
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t o = used;
  for (std::size_t i = 0; i < n; i += 4) {
    const int a = k_base64[s[i]], b = k_base64[s[i + 1]];
    int c = k_base64[s[i + 2]], d = k_base64[s[i + 3]];
    int pad = 0;
    if (i + 4 == n) {  // only the last quad may carry '=' padding
      if (s[i + 3] == '=') {
        d = 0;
        pad = 1;
        if (s[i + 2] == '=') {
          c = 0;
          pad = 2;
        }
      }
    }
    if ((a | b | c | d) < 0) return false;
    const auto w = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                   (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
    out[o++] = static_cast<char>(w >> 16);
    if (pad < 2) out[o++] = static_cast<char>((w >> 8) & 0xff);
    if (pad < 1) out[o++] = static_cast<char>(w & 0xff);
  }
  used = o;
  return true;
}

}  // namespace

Expected<RankTable> RankTable::parse(std::string_view data, std::string_view source) {
  RankTable t;
  // Decodes straight into the arena (sized to an upper bound, so no reallocation), then inserts
  // in a second pass with prefetching: the table is bigger than the caches and inserting in file
  // order is a chain of cache misses otherwise.
  t.m_arena.resize(data.size());
  char* arena = t.m_arena.data();
  std::size_t used = 0;
  std::vector<Rank> order;
  std::vector<std::uint64_t> hashes;
  order.reserve(data.size() / 12 + 1);
  hashes.reserve(data.size() / 12 + 1);
  const char* p = data.data();
  const char* const end = p + data.size();
  std::size_t line_no = 0;
  auto bad_line = [&] {
    return make_error(ErrorCode::integrity,
                      fmt::format("{}:{}: not a tiktoken rank line (want \"base64 rank\")", source, line_no));
  };
  while (p < end) {
    ++line_no;
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (eol == nullptr) eol = end;
    const char* line_end = (eol > p && eol[-1] == '\r') ? eol - 1 : eol;
    const char* line = p;
    p = eol + 1;
    if (line == line_end) continue;
    const char* space = static_cast<const char*>(std::memchr(line, ' ', static_cast<std::size_t>(line_end - line)));
    if (space == nullptr || space + 1 == line_end || line_end - space - 1 > 9) return bad_line();
    std::uint32_t rank = 0;
    for (const char* d = space + 1; d < line_end; ++d) {
      if (*d < '0' || *d > '9') return bad_line();
      rank = rank * 10 + static_cast<std::uint32_t>(*d - '0');
    }
    const std::string_view b64(line, static_cast<std::size_t>(space - line));
    const std::size_t before = used;
    if (!decode_base64(b64, arena, used) || used - before > 0xffff || rank >= (1u << 24)) return bad_line();
    const std::size_t len = used - before;
    if (rank >= t.m_offsets.size()) {
      const std::size_t grow = std::max<std::size_t>(rank + 1, t.m_offsets.size() * 2);
      t.m_offsets.resize(grow, 0);
      t.m_lengths.resize(grow, 0);
    }
    if (t.m_lengths[rank] != 0) {
      return make_error(ErrorCode::integrity, fmt::format("{}: rank {} appears twice", source, rank));
    }
    t.m_offsets[rank] = static_cast<std::uint32_t>(before);
    t.m_lengths[rank] = static_cast<std::uint32_t>(len);
    order.push_back(rank);
    hashes.push_back(hash_bytes(arena + before, len));
    t.m_max_len = std::max(t.m_max_len, len);
  }
  if (order.empty()) return make_error(ErrorCode::integrity, fmt::format("{}: no ranks in file", source));
  t.m_arena.resize(used);
  const Rank end_rank = *std::max_element(order.begin(), order.end()) + 1;
  t.m_offsets.resize(end_rank);
  t.m_lengths.resize(end_rank);

  std::size_t capacity = 1024;
  while (capacity < order.size() * 2) capacity *= 2;
  t.m_slots.assign(capacity, k_no_rank);
  t.m_mask = capacity - 1;
  constexpr std::size_t k_ahead = 16;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (k + k_ahead < order.size()) __builtin_prefetch(&t.m_slots[hashes[k + k_ahead] & t.m_mask], 1);
    const Rank rank = order[k];
    const std::uint64_t h = hashes[k];
    const auto tag = static_cast<std::uint32_t>(h >> 56) << 24;
    const char* bytes = t.m_arena.data() + t.m_offsets[rank];
    const std::uint32_t len = t.m_lengths[rank];
    for (std::uint64_t i = h & t.m_mask;; i = (i + 1) & t.m_mask) {
      Slot& s = t.m_slots[i];
      if (s == k_no_rank) {
        s = tag | rank;
        break;
      }
      const Rank other = s & 0xffffffu;
      if ((s & 0xff000000u) == tag && t.m_lengths[other] == len &&
          std::memcmp(t.m_arena.data() + t.m_offsets[other], bytes, len) == 0) {
        return make_error(ErrorCode::integrity, fmt::format("{}: token of rank {} appears twice", source, rank));
      }
    }
  }
  t.m_count = order.size();
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    t.m_byte_rank[b] = t.find(&c, 1);
    if (t.m_byte_rank[b] == k_no_rank) {
      return make_error(ErrorCode::integrity, fmt::format("{}: byte 0x{:02x} has no rank", source, b));
    }
  }
  return t;
}

Rank RankTable::find(const char* data, std::size_t size) const noexcept {
  if (size > m_max_len || m_slots.empty()) return k_no_rank;
  const std::uint64_t h = hash_bytes(data, size);
  const auto tag = static_cast<std::uint32_t>(h >> 56) << 24;
  for (std::uint64_t i = h & m_mask;; i = (i + 1) & m_mask) {
    const Slot s = m_slots[i];
    if (s == k_no_rank) return k_no_rank;
    const Rank rank = s & 0xffffffu;
    if ((s & 0xff000000u) == tag && m_lengths[rank] == size &&
        std::memcmp(m_arena.data() + m_offsets[rank], data, size) == 0) {
      return rank;
    }
  }
}

Rank RankTable::find(std::string_view bytes) const noexcept { return find(bytes.data(), bytes.size()); }

std::string_view RankTable::bytes(Rank rank) const noexcept {
  if (rank >= m_lengths.size()) return {};
  return std::string_view(m_arena.data() + m_offsets[rank], m_lengths[rank]);
}

}  // namespace sluice::tokenize
