#pragma once
// A tiktoken-exact BPE encoder for cl100k_base and o200k_base.
//
// Invalid UTF-8 policy: input is split at every byte that does not start a valid UTF-8 sequence;
// each maximal valid run is encoded exactly as tiktoken encodes that run on its own, and each
// invalid byte becomes the single-byte token of that byte. So decode(encode(x)) == x for all bytes.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "tokenize/pretokenize.h"
#include "tokenize/rank_table.h"

namespace sluice::tokenize {

// A prefix of some text and its exact token count.
struct Truncated {
  std::string_view text;  // borrows from the input
  std::size_t tokens = 0;
};

struct SpecialToken {
  std::string_view text;
  Rank id;
};

// What defines an encoding besides its rank file.
struct EncodingSpec {
  std::string_view name;
  Pattern pattern;
  std::string_view sha256;  // of <name>.tiktoken, as tiktoken publishes it
  std::span<const SpecialToken> specials;
};

// The encodings sluice knows: cl100k_base and o200k_base.
[[nodiscard]] std::span<const EncodingSpec> known_encodings() noexcept;
[[nodiscard]] const EncodingSpec* find_encoding(std::string_view name) noexcept;

// Which special tokens encode() recognises; by default none, so "<|endoftext|>" in the input is
// ordinary text (tiktoken's encode_ordinary). Bit i stands for spec.specials[i].
struct AllowedSpecial {
  std::uint32_t mask = 0;
  [[nodiscard]] static AllowedSpecial none() { return {}; }
  [[nodiscard]] static AllowedSpecial all() { return {0xffffffffu}; }
};

// Built once from rank data; every member is const and thread-safe afterwards.
class Encoder final {
 public:
  // Builds an encoder from the content of a .tiktoken file (no hash check; see load_encoding).
  [[nodiscard]] static Expected<Encoder> from_rank_data(const EncodingSpec& spec, std::string_view data,
                                                        std::string_view source);

  [[nodiscard]] std::string_view name() const noexcept { return m_spec->name; }
  [[nodiscard]] const EncodingSpec& spec() const noexcept { return *m_spec; }
  [[nodiscard]] const RankTable& ranks() const noexcept { return m_ranks; }

  // Resolves special-token names (e.g. "<|endoftext|>") into a set; unknown names are an error.
  [[nodiscard]] Expected<AllowedSpecial> allowed_special(std::span<const std::string> names) const;

  [[nodiscard]] std::vector<Rank> encode(std::string_view text, AllowedSpecial allowed = {}) const;
  [[nodiscard]] std::size_t count(std::string_view text, AllowedSpecial allowed) const;
  [[nodiscard]] std::size_t count(std::string_view text) const { return count(text, {}); }
  // Concatenated bytes of the tokens (may be invalid UTF-8 when tokens split a character).
  // Fails on an id that is neither a rank nor a special token of this encoding.
  [[nodiscard]] Expected<std::string> decode(std::span<const Rank> ids) const;

  // The longest prefix ending at one of the token boundaries of encode(text), moved back to a
  // UTF-8 character boundary, whose own count is <= max_tokens; `tokens` is that exact count.
  [[nodiscard]] Truncated truncate(std::string_view text, std::size_t max_tokens, AllowedSpecial allowed) const;
  [[nodiscard]] Truncated truncate(std::string_view text, std::size_t max_tokens) const {
    return truncate(text, max_tokens, {});
  }

 private:
  Encoder(const EncodingSpec& spec, RankTable ranks) : m_spec(&spec), m_ranks(std::move(ranks)) {}

  const EncodingSpec* m_spec;
  RankTable m_ranks;
};

// Where the rank files are, and where load_encoding keeps the markers that spare re-hashing an
// unchanged file: beside the files, or in `markers` when that directory must not be written
// (an installed /usr/share/sluice/tiktoken, which the package manager owns).
struct RankDir {
  RankDir(std::filesystem::path files_dir, std::filesystem::path markers_dir = {})  // NOLINT: a path is a RankDir
      : files(std::move(files_dir)), markers(std::move(markers_dir)) {}
  std::filesystem::path files;
  std::filesystem::path markers;  // empty: `files`
};

// Reads <dir>/<name>.tiktoken, checks its sha256 and builds the encoder. Errors name the path,
// the expected hash and how to fetch the files (scripts/fetch-ranks.sh, `make deps`).
[[nodiscard]] Expected<Encoder> load_encoding(std::string_view name, const RankDir& dir);

}  // namespace sluice::tokenize
