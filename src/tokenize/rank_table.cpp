#include "tokenize/rank_table.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <new>

#include <fmt/format.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sluice::tokenize {
namespace {

inline std::uint64_t load8(const char* data) noexcept {
  std::uint64_t v;
  std::memcpy(&v, data, 8);
  return v;
}

// Most lookups during BPE are of 2-8 bytes; a multiply-mix of the zero-padded word is far cheaper
// than a general hash there.
inline std::uint64_t mix_short(std::uint64_t v, std::size_t size) noexcept {
  std::uint64_t h = (v ^ (size * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 32);
}

inline std::uint64_t hash_long(const char* data, std::size_t size) noexcept { return XXH3_64bits(data, size); }

inline std::uint64_t hash_bytes(const char* data, std::size_t size) noexcept {
  return size <= 8 ? mix_short(load_short(data, size), size) : hash_long(data, size);
}

constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr std::array<std::int8_t, 256> k_base64 = make_base64_table();

constexpr std::array<bool, 256> make_base64_or_pad_table() {
  std::array<bool, 256> t{};
  for (std::size_t i = 0; i < 256; ++i) t[i] = k_base64[i] >= 0 || i == '=';
  return t;
}
constexpr std::array<bool, 256> k_base64_or_pad = make_base64_or_pad_table();

// Decodes standard padded base64 from [s, s + n) to out; returns the decoded length, or -1 when
// malformed.
long decode_base64(const unsigned char* s, std::size_t n, char* out) noexcept {
  if (n == 0 || n % 4 != 0) return -1;
  char* o = out;
  // Full quads but the last: no padding possible there.
  for (std::size_t i = 0; i + 4 < n; i += 4) {
    const int a = k_base64[s[i]], b = k_base64[s[i + 1]], c = k_base64[s[i + 2]], d = k_base64[s[i + 3]];
    if ((a | b | c | d) < 0) return -1;
    const auto w = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                   (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
    o[0] = static_cast<char>(w >> 16);
    o[1] = static_cast<char>((w >> 8) & 0xff);
    o[2] = static_cast<char>(w & 0xff);
    o += 3;
  }
  const std::size_t i = n - 4;  // the last quad may carry '=' padding
  const int a = k_base64[s[i]], b = k_base64[s[i + 1]];
  int c = k_base64[s[i + 2]], d = k_base64[s[i + 3]];
  int pad = 0;
  if (s[i + 3] == '=') {
    d = 0;
    pad = 1;
    if (s[i + 2] == '=') {
      c = 0;
      pad = 2;
    }
  }
  if ((a | b | c | d) < 0) return -1;
  const auto w = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                 (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
  *o++ = static_cast<char>(w >> 16);
  if (pad < 2) *o++ = static_cast<char>((w >> 8) & 0xff);
  if (pad < 1) *o++ = static_cast<char>(w & 0xff);
  return o - out;
}

// Fast path for the common line: base64 of at most 16 characters (a token of up to 12 bytes),
// a space, 1-7 digits and '\n', with at least 32 bytes left in the input so that fixed-size
// loads stay inside it. Decodes and parses without data-dependent branches; returns false (having
// written at most 12 bytes to out, which the caller's arena has room for) when the line is not of
// that shape, and the caller then takes the general path, which accepts every line this accepts
// with the same result.
inline bool parse_short_line(const unsigned char* p, char* out, long& len, std::uint32_t& rank,
                             const unsigned char*& next) noexcept {
  constexpr std::uint64_t k_ones = 0x0101010101010101ull;
  constexpr std::uint64_t k_highs = 0x8080808080808080ull;
  // Bit i of a 0x80-per-byte mask, gathered into the low byte.
  auto gather = [](std::uint64_t m) noexcept {
    return static_cast<std::uint32_t>(((m >> 7) * 0x0102040810204080ull) >> 56);
  };
  // Bytes equal to ' ' (exact up to the first one; that is all ctz needs).
  auto spaces = [&](std::uint64_t x) noexcept {
    const std::uint64_t y = x ^ (k_ones * ' ');
    return gather((y - k_ones) & ~y & k_highs);
  };
  const std::uint32_t sp = spaces(load8(reinterpret_cast<const char*>(p))) |
                           (spaces(load8(reinterpret_cast<const char*>(p) + 8)) << 8);
  if (sp == 0) return false;
  const auto s = static_cast<unsigned>(__builtin_ctz(sp));
  if (s == 0 || (s & 3) != 0) return false;
  std::int32_t v[16];
  std::uint32_t bad = 0;
#pragma GCC unroll 16
  for (unsigned i = 0; i < 16; ++i) {
    v[i] = k_base64[p[i]];
    bad |= static_cast<std::uint32_t>(v[i] < 0) << i;
  }
  const unsigned pad1 = p[s - 1] == '=' ? 1u : 0u;
  const unsigned pad = pad1 + (pad1 & (p[s - 2] == '=' ? 1u : 0u));
  if ((bad & ((1u << (s - pad)) - 1)) != 0) return false;
#pragma GCC unroll 4
  for (unsigned q = 0; q < 4; ++q) {
    // Padding and bytes past the space are masked to any 6 bits: they never reach out[0, len).
    const auto w = (static_cast<std::uint32_t>(v[4 * q] & 63) << 18) |
                   (static_cast<std::uint32_t>(v[4 * q + 1] & 63) << 12) |
                   (static_cast<std::uint32_t>(v[4 * q + 2] & 63) << 6) |
                   static_cast<std::uint32_t>(v[4 * q + 3] & 63);
    out[3 * q] = static_cast<char>(w >> 16);
    out[3 * q + 1] = static_cast<char>((w >> 8) & 0xff);
    out[3 * q + 2] = static_cast<char>(w & 0xff);
  }
  len = static_cast<long>(s / 4 * 3 - pad);
  // Digits: a byte is one when (byte ^ '0') <= 9; the first byte that is not ends the number
  // (carries only run upward, out of bytes that are flagged already, so the lowest flagged byte
  // is exact).
  const unsigned char* d = p + s + 1;
  const std::uint64_t a = load8(reinterpret_cast<const char*>(d)) ^ (k_ones * '0');
  const std::uint64_t nd = ((a + k_ones * 0x76) | a) & k_highs;
  if (nd == 0) return false;
  const auto n = static_cast<unsigned>(__builtin_ctzll(nd)) / 8;
  if (n == 0 || d[n] != '\n') return false;
  // The n digits moved to the top bytes (leading zeros below), then summed pairwise.
  std::uint64_t x = (a << (8 * (8 - n))) & 0x0f0f0f0f0f0f0f0full;
  x = (x * 2561) >> 8;
  x = ((x & 0x00ff00ff00ff00ffull) * 6553601) >> 16;
  x = ((x & 0x0000ffff0000ffffull) * 42949672960001ull) >> 32;
  rank = static_cast<std::uint32_t>(x);
  next = d + n + 1;
  return true;
}

// The number after the last space of the last non-empty line, or 0.
std::size_t last_rank(std::string_view data) noexcept {
  std::size_t e = data.size();
  while (e > 0 && (data[e - 1] == '\n' || data[e - 1] == '\r')) --e;
  std::size_t b = e;
  while (b > 0 && data[b - 1] >= '0' && data[b - 1] <= '9' && e - b < 9) --b;
  std::size_t r = 0;
  for (std::size_t i = b; i < e; ++i) r = r * 10 + static_cast<std::size_t>(data[i] - '0');
  return r;
}

}  // namespace

void RankTable::FreeSlots::operator()(Slot* p) const noexcept { ::munmap(p, bytes); }

Expected<RankTable> RankTable::parse(std::string_view data, std::string_view source) {
  RankTable t;
  // Decodes straight into the arena (sized to an upper bound: base64 is 4 bytes per 3), then
  // inserts in a second pass with prefetching: the table is bigger than the caches and inserting
  // in file order is a chain of cache misses otherwise.
  // (+16: parse_short_line writes a whole 12 bytes whatever the token's length.)
  t.m_arena.resize(data.size() / 4 * 3 + 16);
  char* arena = t.m_arena.data();
  std::size_t used = 0;
  // tiktoken files hold ranks 0..N-1 in order, so the last line's rank sizes the by-rank arrays
  // (a wrong guess only costs growing them; every line is at least 7 bytes).
  const std::size_t guess = std::min(last_rank(data) + 1, data.size() / 7 + 1);
  t.m_offsets.resize(guess, 0);
  t.m_lengths.resize(guess, 0);
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const auto* const end = p + data.size();
  std::size_t line_no = 0;
  std::size_t count = 0;
  Rank end_rank = 0;
  auto bad_line = [&] {
    return make_error(ErrorCode::integrity,
                      fmt::format("{}:{}: not a tiktoken rank line (want \"base64 rank\")", source, line_no));
  };
  while (p < end) {
    ++line_no;
    const unsigned char* line = p;
    std::uint32_t rank = 0;
    long len = -1;
    if (end - p >= 32 && parse_short_line(p, arena + used, len, rank, p)) {
      // Fully parsed; p is at the next line.
    } else {
      // Base64 comes in quads, so the space of a well-formed line is at a multiple of 4: test one
      // byte in four; anything unexpected falls back to the byte scan (decode checks every byte).
      const unsigned char* space = p + 4;
      while (space < end && k_base64_or_pad[*space]) space += 4;
      if (space >= end || *space != ' ') {
        space = p;
        while (space < end && *space != ' ' && *space != '\n') ++space;
      }
      if (space == end || *space == '\n') {
        // Blank lines (and a lone "\r") are skipped; anything else without a space is malformed.
        const unsigned char* line_end = (space > line && space[-1] == '\r') ? space - 1 : space;
        if (line_end != line) return bad_line();
        p = space + 1;
        continue;
      }
      const unsigned char* d = space + 1;
      while (d < end && *d >= '0' && *d <= '9' && d - space <= 9) {
        rank = rank * 10 + static_cast<std::uint32_t>(*d++ - '0');
      }
      const unsigned char* digits_end = d;
      if (d < end && *d == '\r') ++d;
      if (d < end && *d != '\n') return bad_line();
      if (digits_end == space + 1) return bad_line();
      p = d < end ? d + 1 : end;
      len = decode_base64(line, static_cast<std::size_t>(space - line), arena + used);
    }
    if (len < 0 || len > 0xffff || rank >= (1u << 24)) return bad_line();
    if (rank >= t.m_offsets.size()) {
      const std::size_t grow = std::max<std::size_t>(rank + 1, t.m_offsets.size() * 2);
      t.m_offsets.resize(grow, 0);
      t.m_lengths.resize(grow, 0);
    }
    if (t.m_lengths[rank] != 0) {
      return make_error(ErrorCode::integrity, fmt::format("{}: rank {} appears twice", source, rank));
    }
    t.m_offsets[rank] = static_cast<std::uint32_t>(used);
    t.m_lengths[rank] = static_cast<std::uint32_t>(len);
    used += static_cast<std::size_t>(len);
    end_rank = std::max(end_rank, rank + 1);
    ++count;
    t.m_max_len = std::max(t.m_max_len, static_cast<std::size_t>(len));
  }
  if (count == 0) return make_error(ErrorCode::integrity, fmt::format("{}: no ranks in file", source));
  t.m_arena.resize(used);
  t.m_offsets.resize(end_rank);
  t.m_lengths.resize(end_rank);

  // Load factor at most 2/3: inserting (and rejecting a missing key, BPE's commonest lookup) in
  // a linear-probing table gets much slower as it fills; o200k takes 8 MiB, cl100k 4 MiB.
  std::size_t capacity = 1024;
  while (capacity < count * 3 / 2) capacity *= 2;
  const std::size_t bytes = capacity * sizeof(Slot);
  // Fresh anonymous pages are already zero (no memset); a large table goes on 2 MiB-aligned huge
  // pages: a few faults instead of thousands, and fewer TLB misses in find().
  constexpr std::size_t k_huge = std::size_t{2} << 20;
  const std::size_t extra = bytes >= k_huge ? k_huge : 0;
  void* mem = ::mmap(nullptr, bytes + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  auto* base = static_cast<char*>(mem);
  if (extra != 0) {
    const auto addr = reinterpret_cast<std::uintptr_t>(base);
    const std::size_t head = ((addr + k_huge - 1) & ~(k_huge - 1)) - addr;
    if (head != 0) ::munmap(base, head);
    if (extra - head != 0) ::munmap(base + head + bytes, extra - head);
    base += head;
    ::madvise(base, bytes, MADV_HUGEPAGE);
  }
  t.m_slots = std::unique_ptr<Slot[], FreeSlots>(reinterpret_cast<Slot*>(base), FreeSlots{bytes});
  t.m_mask = capacity - 1;
  t.m_pair_rank.assign(65536, k_no_rank);
  Slot* const slots = t.m_slots.get();

  // Hashes are computed k_ahead ranks early so the slot they land in can be prefetched.
  constexpr std::size_t k_ahead = 16;
  std::uint64_t ring[k_ahead] = {};
  auto hash_of = [&](Rank r) { return hash_bytes(arena + t.m_offsets[r], t.m_lengths[r]); };
  for (Rank r = 0; r < end_rank && r < k_ahead; ++r) ring[r] = hash_of(r);
  for (Rank rank = 0; rank < end_rank; ++rank) {
    const std::uint64_t h = ring[rank % k_ahead];
    if (const Rank ahead = rank + static_cast<Rank>(k_ahead); ahead < end_rank) {
      const std::uint64_t ha = hash_of(ahead);
      ring[ahead % k_ahead] = ha;
      __builtin_prefetch(&slots[ha & t.m_mask], 1);
    }
    const std::uint32_t len = t.m_lengths[rank];
    if (len == 0) continue;
    const char* bytes_at = arena + t.m_offsets[rank];
    const std::uint64_t head = len <= 8 ? load_short(bytes_at, len) : load8(bytes_at);
    const auto tag = static_cast<std::uint16_t>(h >> 48);
    for (std::uint64_t i = h & t.m_mask;; i = (i + 1) & t.m_mask) {
      Slot& s = slots[i];
      if (s.len == 0) {
        s = Slot{head, rank, static_cast<std::uint16_t>(len), tag};
        break;
      }
      if (s.head == head && s.len == len && s.tag == tag &&
          (len <= 8 || std::memcmp(arena + t.m_offsets[s.rank] + 8, bytes_at + 8, len - 8) == 0)) {
        return make_error(ErrorCode::integrity, fmt::format("{}: token of rank {} appears twice", source, rank));
      }
    }
    if (len == 2) t.m_pair_rank[static_cast<unsigned char>(bytes_at[0]) |
                                (static_cast<unsigned>(static_cast<unsigned char>(bytes_at[1])) << 8)] = rank;
  }
  t.m_count = count;
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
  // size - 1 wraps for 0, so empty keys (never tokens) are rejected here too.
  if (size - 1 >= m_max_len) return k_no_rank;
  const Slot* const slots = m_slots.get();
  if (size <= 8) {
    const std::uint64_t v = load_short(data, size);
    for (std::uint64_t i = mix_short(v, size) & m_mask;; i = (i + 1) & m_mask) {
      const Slot& s = slots[i];
      if (s.head == v && s.len == size) return s.rank;
      if (s.len == 0) return k_no_rank;
    }
  }
  const std::uint64_t h = hash_long(data, size);
  const std::uint64_t v = load8(data);
  const auto tag = static_cast<std::uint16_t>(h >> 48);
  for (std::uint64_t i = h & m_mask;; i = (i + 1) & m_mask) {
    const Slot& s = slots[i];
    if (s.head == v && s.len == size && s.tag == tag &&
        std::memcmp(m_arena.data() + m_offsets[s.rank] + 8, data + 8, size - 8) == 0) {
      return s.rank;
    }
    if (s.len == 0) return k_no_rank;
  }
}

std::string_view RankTable::bytes(Rank rank) const noexcept {
  if (rank >= m_lengths.size()) return {};
  return std::string_view(m_arena.data() + m_offsets[rank], m_lengths[rank]);
}

}  // namespace sluice::tokenize
