#include "tokenize/encoder.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <fmt/format.h>

#include "base/files.h"
#include "base/hash.h"
#include "tokenize/bpe.h"

namespace sluice::tokenize {

namespace {

// Upper bound on piece-cache entries (64 bytes each): 8192 = 512 KiB, well inside L2.
constexpr std::size_t k_piece_cache_max = 8192;

constexpr std::array<SpecialToken, 5> k_cl100k_specials{{
    {"<|endoftext|>", 100257},
    {"<|fim_prefix|>", 100258},
    {"<|fim_middle|>", 100259},
    {"<|fim_suffix|>", 100260},
    {"<|endofprompt|>", 100276},
}};
constexpr std::array<SpecialToken, 2> k_o200k_specials{{
    {"<|endoftext|>", 199999},
    {"<|endofprompt|>", 200018},
}};
const std::array<EncodingSpec, 2> k_encodings{{
    {"cl100k_base", Pattern::cl100k, "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
     k_cl100k_specials},
    {"o200k_base", Pattern::o200k, "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
     k_o200k_specials},
}};

// Length of the valid UTF-8 sequence starting at s[p], or 0 when the byte there starts none.
std::size_t utf8_sequence(const unsigned char* s, std::size_t n, std::size_t p) noexcept {
  const unsigned c = s[p];
  if (c < 0x80) return 1;
  auto cont = [&](std::size_t i) { return p + i < n && (s[p + i] & 0xc0u) == 0x80u; };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const unsigned c1 = s[p + 1];
    if (c == 0xe0 && c1 < 0xa0) return 0;   // overlong
    if (c == 0xed && c1 >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const unsigned c1 = s[p + 1];
    if (c == 0xf0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xf4 && c1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// End of the maximal valid UTF-8 run starting at p.
std::size_t valid_run_end(const unsigned char* s, std::size_t n, std::size_t p) noexcept {
  while (p < n) {
    if (p + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, s + p, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    const std::size_t len = utf8_sequence(s, n, p);
    if (len == 0) break;
    p += len;
  }
  return p;
}

// A read-only mapping of a whole regular file; !ok() when the file is empty or cannot be mapped.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void* m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (m != MAP_FAILED) {
        m_data = m;
        m_size = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (m_data != nullptr) ::munmap(m_data, m_size);
  }
  [[nodiscard]] bool ok() const noexcept { return m_data != nullptr; }
  [[nodiscard]] std::string_view view() const noexcept {
    return ok() ? std::string_view(static_cast<const char*>(m_data), m_size) : std::string_view();
  }

 private:
  void* m_data = nullptr;
  std::size_t m_size = 0;
};

// Moves cut back to the start of the character that straddles it, if any.
std::size_t snap_to_char(std::string_view text, std::size_t cut) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t back = 1; back <= 3 && back <= cut; ++back) {
    const std::size_t i = cut - back;
    if ((s[i] & 0xc0u) != 0x80u) {
      const std::size_t len = utf8_sequence(s, text.size(), i);
      return (len > back) ? i : cut;
    }
  }
  return cut;
}

// Sinks receive tokens with their end offsets. The encoder loop is a template over the (final)
// sink type so the per-token call inlines; BPE of pieces reaches them through TokenSink.
class SinkBase : public TokenSink {
 public:
  std::size_t base = 0;  // offset of the current piece in the whole text, set by the encoder
  bool full = false;     // set by the sink: the encoder stops after the current piece
};

class VectorSink final : public SinkBase {
 public:
  explicit VectorSink(std::vector<Rank>& out) : m_out(out) {}
  void token(Rank rank, std::size_t) override { m_out.push_back(rank); }
  void tokens(const Rank* ranks, const std::uint8_t*, std::size_t n) { m_out.insert(m_out.end(), ranks, ranks + n); }

 private:
  std::vector<Rank>& m_out;
};

class CountSink final : public SinkBase {
 public:
  explicit CountSink(std::size_t limit) : m_limit(limit) {}
  void token(Rank, std::size_t) override {
    if (++m_count > m_limit) full = true;
  }
  void tokens(const Rank*, const std::uint8_t*, std::size_t n) {
    m_count += n;
    if (m_count > m_limit) full = true;
  }
  [[nodiscard]] std::size_t count() const { return m_count; }

 private:
  std::size_t m_limit;
  std::size_t m_count = 0;
};

class EndsSink final : public SinkBase {
 public:
  explicit EndsSink(std::size_t limit) : m_limit(limit) {}
  void token(Rank, std::size_t end) override {
    m_ends.push_back(base + end);
    if (m_ends.size() > m_limit) full = true;
  }
  void tokens(const Rank*, const std::uint8_t* ends, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) m_ends.push_back(base + ends[i]);
    if (m_ends.size() > m_limit) full = true;
  }
  [[nodiscard]] const std::vector<std::size_t>& ends() const { return m_ends; }

 private:
  std::size_t m_limit;
  std::vector<std::size_t> m_ends;
};

// Collects the tokens of one short piece for the piece cache.
class PieceSink final : public TokenSink {
 public:
  static constexpr std::size_t k_max = 16;  // a piece of k_max bytes has at most k_max tokens
  void token(Rank rank, std::size_t end) override {
    ranks[n] = rank;
    ends[n] = static_cast<std::uint8_t>(end);
    ++n;
  }
  Rank ranks[k_max];
  std::uint8_t ends[k_max];
  std::size_t n = 0;
};

// Results of recent pieces, keyed by their bytes: text repeats the same words, so most pieces are
// found here instead of in the (much larger) rank table, and multi-token pieces skip BPE.
// Direct-mapped, one cache line per entry; owned by one call, so the Encoder stays thread-safe.
// An entry is exact (the whole key is compared), so the cache never changes results.
class PieceCache {
 public:
  static constexpr std::size_t k_max_key = 16;
  static constexpr std::size_t k_max_tokens = 8;
  struct alignas(64) Entry {
    std::uint64_t k0;
    std::uint64_t k1;
    std::uint8_t len;  // 0: empty
    std::uint8_t n;
    std::uint8_t ends[k_max_tokens];
    Rank ranks[k_max_tokens];
  };

  explicit PieceCache(std::size_t entries)
      : m_entries(static_cast<Entry*>(std::calloc(entries, sizeof(Entry)))), m_mask(entries - 1) {
    if (m_entries == nullptr) throw std::bad_alloc();
  }

  // The entry for piece (of 1..k_max_key bytes): the hit when e.len == piece.size(), else the slot
  // to fill. k0/k1 receive the key.
  Entry& slot(std::string_view piece, std::uint64_t& k0, std::uint64_t& k1) noexcept {
    const std::size_t n = piece.size();
    if (n <= 8) {
      k0 = load_short(piece.data(), n);
      k1 = 0;
    } else {
      std::memcpy(&k0, piece.data(), 8);
      k1 = load_short(piece.data() + 8, n - 8);
    }
    std::uint64_t h = (k0 ^ (k1 * 0x9e3779b97f4a7c15ull) ^ n) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    return m_entries.get()[h & m_mask];
  }

 private:
  struct Free {
    void operator()(Entry* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<Entry, Free> m_entries;
  std::size_t m_mask;
};

// Cache size for a text: none for short texts (calloc and misses would cost more than they save).
std::size_t cache_entries(std::size_t text_size) noexcept {
  if (text_size < 8192) return 0;
  std::size_t n = 256;
  while (n < k_piece_cache_max && n * 64 < text_size) n *= 2;
  return n;
}

template <class S>
void encode_ordinary(const RankTable& ranks, Pattern pattern, std::string_view text, std::size_t base, S& sink,
                     PieceCache* cache) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t p = 0;
  while (p < n && !sink.full) {
    const std::size_t run_end = valid_run_end(s, n, p);
    const std::string_view run = text.substr(p, run_end - p);
    std::size_t q = 0;
    while (q < run.size() && !sink.full) {
      const std::size_t e = next_piece(pattern, run, q);
      const std::string_view piece = run.substr(q, e - q);
      sink.base = base + p + q;
      q = e;
      if (cache != nullptr && piece.size() <= PieceCache::k_max_key) {
        std::uint64_t k0;
        std::uint64_t k1;
        PieceCache::Entry& entry = cache->slot(piece, k0, k1);
        if (entry.len == piece.size() && entry.k0 == k0 && entry.k1 == k1) {
          sink.tokens(entry.ranks, entry.ends, entry.n);
          continue;
        }
        PieceSink got;
        if (const Rank r = ranks.find(piece); r != k_no_rank) {
          got.token(r, piece.size());
        } else {
          byte_pair_merge(ranks, piece, got);
        }
        if (got.n <= PieceCache::k_max_tokens) {
          entry.k0 = k0;
          entry.k1 = k1;
          entry.len = static_cast<std::uint8_t>(piece.size());
          entry.n = static_cast<std::uint8_t>(got.n);
          std::memcpy(entry.ranks, got.ranks, got.n * sizeof(Rank));
          std::memcpy(entry.ends, got.ends, got.n);
        }
        sink.tokens(got.ranks, got.ends, got.n);
        continue;
      }
      if (const Rank r = ranks.find(piece); r != k_no_rank) {
        sink.token(r, piece.size());
      } else {
        byte_pair_merge(ranks, piece, sink);
      }
    }
    p = run_end;
    if (p < n && !sink.full) {  // an invalid byte: its own single-byte token
      sink.base = base + p;
      sink.token(ranks.byte_rank(s[p]), 1);
      ++p;
    }
  }
}

// Feeds the tokens of text to the sink; stops after the piece during which the sink filled.
template <class S>
void run(const Encoder& enc, std::string_view text, AllowedSpecial allowed, S& sink) {
  const RankTable& ranks = enc.ranks();
  const Pattern pattern = enc.spec().pattern;
  std::unique_ptr<PieceCache> cache;
  if (const std::size_t entries = cache_entries(text.size()); entries != 0) cache = std::make_unique<PieceCache>(entries);
  const auto& specials = enc.spec().specials;
  std::uint32_t mask = allowed.mask;
  if (specials.size() < 32) mask &= (1u << specials.size()) - 1;
  if (mask == 0) {
    encode_ordinary(ranks, pattern, text, 0, sink, cache.get());
    return;
  }
  std::size_t pos = 0;
  while (pos <= text.size() && !sink.full) {
    // The leftmost allowed special token (tiktoken's special regex is an alternation of them).
    std::size_t best = std::string_view::npos;
    std::size_t which = 0;
    for (std::size_t i = 0; i < specials.size(); ++i) {
      if (!(mask & (1u << i))) continue;
      const std::size_t at = text.find(specials[i].text, pos);
      if (at < best) {
        best = at;
        which = i;
      }
    }
    const std::size_t end = best == std::string_view::npos ? text.size() : best;
    encode_ordinary(ranks, pattern, text.substr(pos, end - pos), pos, sink, cache.get());
    if (best == std::string_view::npos || sink.full) break;
    sink.base = best;
    sink.token(specials[which].id, specials[which].text.size());
    pos = best + specials[which].text.size();
  }
}

}  // namespace

std::span<const EncodingSpec> known_encodings() noexcept { return k_encodings; }

const EncodingSpec* find_encoding(std::string_view name) noexcept {
  for (const EncodingSpec& e : k_encodings) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Expected<Encoder> Encoder::from_rank_data(const EncodingSpec& spec, std::string_view data, std::string_view source) {
  auto ranks = RankTable::parse(data, source);
  if (!ranks) return tl::unexpected(ranks.error());
  return Encoder(spec, std::move(*ranks));
}

Expected<AllowedSpecial> Encoder::allowed_special(std::span<const std::string> names) const {
  AllowedSpecial set;
  for (const std::string& name : names) {
    bool found = false;
    for (std::size_t i = 0; i < m_spec->specials.size(); ++i) {
      if (m_spec->specials[i].text == name) {
        set.mask |= 1u << i;
        found = true;
      }
    }
    if (!found) {
      std::string known;
      for (const SpecialToken& t : m_spec->specials) known += (known.empty() ? "" : ", ") + std::string(t.text);
      return make_error(ErrorCode::invalid_input,
                        fmt::format("{} has no special token \"{}\" (known: {})", m_spec->name, name, known));
    }
  }
  return set;
}

std::vector<Rank> Encoder::encode(std::string_view text, AllowedSpecial allowed) const {
  std::vector<Rank> out;
  out.reserve(text.size() / 3 + 1);
  VectorSink sink(out);
  run(*this, text, allowed, sink);
  return out;
}

std::size_t Encoder::count(std::string_view text, AllowedSpecial allowed) const {
  CountSink sink(static_cast<std::size_t>(-1));
  run(*this, text, allowed, sink);
  return sink.count();
}

Expected<std::string> Encoder::decode(std::span<const Rank> ids) const {
  std::string out;
  for (const Rank id : ids) {
    const std::string_view bytes = m_ranks.bytes(id);
    if (!bytes.empty()) {
      out += bytes;
      continue;
    }
    bool special = false;
    for (const SpecialToken& t : m_spec->specials) {
      if (t.id == id) {
        out += t.text;
        special = true;
        break;
      }
    }
    if (!special) {
      return make_error(ErrorCode::invalid_input, fmt::format("token id {} is not in {}", id, m_spec->name));
    }
  }
  return out;
}

Truncated Encoder::truncate(std::string_view text, std::size_t max_tokens, AllowedSpecial allowed) const {
  if (max_tokens == 0) return {text.substr(0, 0), 0};
  EndsSink sink(max_tokens);
  run(*this, text, allowed, sink);
  const std::vector<std::size_t>& ends = sink.ends();
  if (ends.size() <= max_tokens) return {text, ends.size()};
  // Re-encoding a prefix can give a different count than the tokens it held in the whole text
  // (the pre-tokenizer looks ahead), so each candidate cut is counted on its own.
  std::size_t tried = static_cast<std::size_t>(-1);
  for (std::size_t k = max_tokens; k >= 1; --k) {
    const std::size_t cut = snap_to_char(text, ends[k - 1]);
    if (cut == tried) continue;
    tried = cut;
    CountSink counter(max_tokens);
    run(*this, text.substr(0, cut), allowed, counter);
    if (counter.count() <= max_tokens) return {text.substr(0, cut), counter.count()};
  }
  return {text.substr(0, 0), 0};
}

Expected<Encoder> load_encoding(std::string_view name, const RankDir& ranks) {
  const std::filesystem::path& dir = ranks.files;
  const EncodingSpec* spec = find_encoding(name);
  if (spec == nullptr) {
    std::string known;
    for (const EncodingSpec& e : k_encodings) known += (known.empty() ? "" : ", ") + std::string(e.name);
    return make_error(ErrorCode::invalid_input, fmt::format("unknown encoding \"{}\" (known: {})", name, known));
  }
  const std::filesystem::path path = dir / (std::string(name) + ".tiktoken");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return make_error(ErrorCode::not_found,
                      fmt::format("{}: rank file not found (want sha256 {}); fetch it with scripts/fetch-ranks.sh "
                                  "(run by `make deps`), or point SLUICE_TIKTOKEN_DIR / --ranks at a directory "
                                  "holding {}.tiktoken",
                                  path.string(), spec->sha256, name));
  }
  // Mapped rather than read: no copy into a growing string and far fewer page faults.
  const MappedFile mapped(path);
  std::string read_data;
  std::string_view data = mapped.view();
  if (!mapped.ok()) {
    auto read = base::read_file(path);
    if (!read) return tl::unexpected(read.error());
    read_data = std::move(*read);
    data = read_data;
  }
  // The hash is checked once per version of the file: a marker beside it records the file's
  // size, mtime, ctime and inode when it last matched (the stat fast path ninja and ccache use;
  // any rewrite changes ctime). It saves ~2.5 ms of the o200k load. A file changed less than a
  // second before the check is never marked, and an unwritable directory just means hashing
  // every time.
  struct stat st {};
  const bool have_stat = ::stat(path.c_str(), &st) == 0;
  const auto ns = [](const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  const std::string stamp =
      have_stat ? fmt::format("{} {} {} {} {}\n", static_cast<int64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim),
                              static_cast<int64_t>(st.st_ino), spec->sha256)
                : std::string();
  const std::filesystem::path marker =
      (ranks.markers.empty() ? dir : ranks.markers) / (std::string(name) + ".tiktoken.verified");
  auto previous = have_stat ? base::read_file(marker) : Expected<std::string>(std::string());
  const bool verified = have_stat && previous && *previous == stamp && data.size() == static_cast<size_t>(st.st_size);
  if (!verified) {
    const std::string got = base::sha256_hex(data);
    if (got != spec->sha256) {
      return make_error(ErrorCode::integrity,
                        fmt::format("{}: sha256 is {}, expected {} (corrupted or not the official {} ranks); "
                                    "delete it and run scripts/fetch-ranks.sh",
                                    path.string(), got, spec->sha256, name));
    }
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    if (have_stat && now_ns - std::max(ns(st.st_mtim), ns(st.st_ctim)) > 1'000'000'000) {
      std::error_code mkdir_ec;
      if (!ranks.markers.empty()) std::filesystem::create_directories(ranks.markers, mkdir_ec);
      (void)base::atomic_write(marker, stamp);
    }
  }
  return Encoder::from_rank_data(*spec, data, path.string());
}

}  // namespace sluice::tokenize
