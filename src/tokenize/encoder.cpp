#include "tokenize/encoder.h"

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "base/files.h"
#include "base/hash.h"
#include "tokenize/bpe.h"

namespace sluice::tokenize {

class Encoder::Sink : public TokenSink {
 public:
  std::size_t base = 0;  // offset of the current piece in the whole text, set by the encoder
  bool full = false;     // set by the sink: the encoder stops after the current piece
};

namespace {

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

class VectorSink final : public Encoder::Sink {
 public:
  explicit VectorSink(std::vector<Rank>& out) : m_out(out) {}
  void token(Rank rank, std::size_t) override { m_out.push_back(rank); }

 private:
  std::vector<Rank>& m_out;
};

class CountSink final : public Encoder::Sink {
 public:
  explicit CountSink(std::size_t limit) : m_limit(limit) {}
  void token(Rank, std::size_t) override {
    if (++m_count > m_limit) full = true;
  }
  [[nodiscard]] std::size_t count() const { return m_count; }

 private:
  std::size_t m_limit;
  std::size_t m_count = 0;
};

class EndsSink final : public Encoder::Sink {
 public:
  explicit EndsSink(std::size_t limit) : m_limit(limit) {}
  void token(Rank, std::size_t end) override {
    m_ends.push_back(base + end);
    if (m_ends.size() > m_limit) full = true;
  }
  [[nodiscard]] const std::vector<std::size_t>& ends() const { return m_ends; }

 private:
  std::size_t m_limit;
  std::vector<std::size_t> m_ends;
};

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

void Encoder::encode_ordinary(std::string_view text, std::size_t base, Sink& sink) const {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t p = 0;
  while (p < n && !sink.full) {
    const std::size_t run_end = valid_run_end(s, n, p);
    const std::string_view run = text.substr(p, run_end - p);
    std::size_t q = 0;
    while (q < run.size() && !sink.full) {
      const std::size_t e = next_piece(m_spec->pattern, run, q);
      const std::string_view piece = run.substr(q, e - q);
      sink.base = base + p + q;
      if (const Rank r = m_ranks.find(piece); r != k_no_rank) {
        sink.token(r, piece.size());
      } else {
        byte_pair_merge(m_ranks, piece, sink);
      }
      q = e;
    }
    p = run_end;
    if (p < n && !sink.full) {  // an invalid byte: its own single-byte token
      sink.base = base + p;
      sink.token(m_ranks.byte_rank(s[p]), 1);
      ++p;
    }
  }
}

void Encoder::run(std::string_view text, AllowedSpecial allowed, Sink& sink) const {
  const auto& specials = m_spec->specials;
  std::uint32_t mask = allowed.mask;
  if (specials.size() < 32) mask &= (1u << specials.size()) - 1;
  if (mask == 0) {
    encode_ordinary(text, 0, sink);
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
    encode_ordinary(text.substr(pos, end - pos), pos, sink);
    if (best == std::string_view::npos || sink.full) break;
    sink.base = best;
    sink.token(specials[which].id, specials[which].text.size());
    pos = best + specials[which].text.size();
  }
}

std::vector<Rank> Encoder::encode(std::string_view text, AllowedSpecial allowed) const {
  std::vector<Rank> out;
  out.reserve(text.size() / 3 + 1);
  VectorSink sink(out);
  run(text, allowed, sink);
  return out;
}

std::size_t Encoder::count(std::string_view text, AllowedSpecial allowed) const {
  CountSink sink(static_cast<std::size_t>(-1));
  run(text, allowed, sink);
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
  run(text, allowed, sink);
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
    run(text.substr(0, cut), allowed, counter);
    if (counter.count() <= max_tokens) return {text.substr(0, cut), counter.count()};
  }
  return {text.substr(0, 0), 0};
}

Expected<Encoder> load_encoding(std::string_view name, const std::filesystem::path& dir) {
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
  auto data = base::read_file(path);
  if (!data) return tl::unexpected(data.error());
  const std::string got = base::sha256_hex(*data);
  if (got != spec->sha256) {
    return make_error(ErrorCode::integrity,
                      fmt::format("{}: sha256 is {}, expected {} (corrupted or not the official {} ranks); "
                                  "delete it and run scripts/fetch-ranks.sh",
                                  path.string(), got, spec->sha256, name));
  }
  return Encoder::from_rank_data(*spec, *data, path.string());
}

}  // namespace sluice::tokenize
