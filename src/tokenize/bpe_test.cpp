#include "tokenize/bpe.h"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tokenize/test_support.h"

namespace sluice::tokenize {
namespace {

struct Collect final : TokenSink {
  std::vector<Rank> ranks;
  std::vector<std::size_t> ends;
  void token(Rank r, std::size_t end) override {
    ranks.push_back(r);
    ends.push_back(end);
  }
};

// The short (quadratic scan) and long (heap) paths must agree exactly, ties included.
TEST(Bpe, ShortAndLongPathsAgree) {
  for (const char* name : {"cl100k_base", "o200k_base"}) {
    const RankTable& ranks = testing::encoder(name).ranks();
    std::mt19937 rng(7);
    const std::string alphabet = "aaaabbbcde  \xc3\xa9\xe4\xb8\xad.,";
    for (int i = 0; i < 1000; ++i) {
      std::string s;
      const std::size_t n = 2 + rng() % k_bpe_short_piece;
      while (s.size() < n) s += alphabet[rng() % alphabet.size()];
      s.resize(n);
      Collect a, b;
      byte_pair_merge(ranks, s, a);
      byte_pair_merge_long(ranks, s, b);
      ASSERT_EQ(a.ranks, b.ranks) << name << " " << s;
      ASSERT_EQ(a.ends, b.ends) << name << " " << s;
      ASSERT_EQ(a.ends.back(), s.size());
    }
  }
}

// Regression guard for quadratic behaviour: 128 KiB without any white space is a single piece
// (bench_tokenize's bm_no_whitespace times 1 MiB).
TEST(Bpe, LongPieceWithoutWhitespaceIsNotQuadratic) {
  const Encoder& enc = testing::encoder("cl100k_base");
  std::string text;
  std::mt19937 rng(1);
  while (text.size() < (1u << 17)) text += static_cast<char>('a' + rng() % 26);
  const auto start = std::chrono::steady_clock::now();
  const auto ids = enc.encode(text);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto back = enc.decode(ids);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, text);
  // Quadratic merging (~10^10 steps) takes minutes here; n log n takes ~0.05 s, ~3 s under ASan.
  EXPECT_LT(seconds, 20.0);
}

}  // namespace
}  // namespace sluice::tokenize
