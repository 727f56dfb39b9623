// Differential test against committed goldens made by tiktoken (see tests/golden/tokenize/regen.sh).

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenize/test_support.h"

namespace sluice::tokenize {
namespace {

std::vector<nlohmann::json> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, IdsMatchTiktoken) {
  const Encoder& enc = testing::encoder(GetParam());
  const auto cases = read_lines(testing::golden_dir() / "cases.jsonl");
  const auto ids = read_lines(testing::golden_dir() / (GetParam() + ".jsonl"));
  ASSERT_EQ(cases.size(), ids.size());
  ASSERT_GE(cases.size(), 500u);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto text = cases[i].get<std::string>();
    const auto want = ids[i].get<std::vector<Rank>>();
    const auto got = enc.encode(text);
    if (got != want && ++mismatches <= 10) {
      ADD_FAILURE() << GetParam() << " case " << i + 1 << " " << cases[i].dump() << "\n  want "
                    << ids[i].dump() << "\n  got  " << nlohmann::json(got).dump();
    }
    EXPECT_EQ(enc.count(text), want.size()) << "case " << i + 1;
    auto back = enc.decode(want);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, text) << "case " << i + 1;
  }
  EXPECT_EQ(mismatches, 0u);
}

INSTANTIATE_TEST_SUITE_P(Encodings, GoldenTest, ::testing::Values("cl100k_base", "o200k_base"));

// The long goldens (tests/golden/tokenize/long, made by regen.sh there): every case is at least
// 8 KiB, so the encoder's piece cache (on from 8 KiB up) is compared with tiktoken too; the short
// goldens above never turn it on. SLUICE_TOKENIZE_LONG_GOLDEN_DIR points elsewhere (the
// differential script, tests/tokenize_long_differential.sh, generates fresh cases there).
class LongGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LongGoldenTest, IdsMatchTiktokenWithThePieceCacheOn) {
  const Encoder& enc = testing::encoder(GetParam());
  std::filesystem::path dir = testing::golden_dir() / "long";
  if (const char* d = std::getenv("SLUICE_TOKENIZE_LONG_GOLDEN_DIR"); d != nullptr && *d != '\0') dir = d;
  const auto cases = read_lines(dir / "cases.jsonl");
  const auto ids = read_lines(dir / (GetParam() + ".jsonl"));
  ASSERT_EQ(cases.size(), ids.size());
  ASSERT_GE(cases.size(), 12u);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto text = cases[i].get<std::string>();
    const auto want = ids[i].get<std::vector<Rank>>();
    bytes += text.size();
    EXPECT_GE(text.size(), 8192u) << "case " << i + 1 << " is too short to turn the piece cache on";
    const auto got = enc.encode(text);
    if (got != want) {
      std::size_t at = 0;
      while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
      ADD_FAILURE() << GetParam() << " long case " << i + 1 << " (" << text.size() << " bytes): " << got.size()
                    << " ids, tiktoken " << want.size() << "; first difference at id " << at;
    }
    EXPECT_EQ(enc.count(text), want.size()) << "long case " << i + 1;
    auto back = enc.decode(want);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, text) << "long case " << i + 1;
  }
  std::cout << GetParam() << ": " << cases.size() << " long cases, " << bytes << " bytes, compared with tiktoken\n";
}

INSTANTIATE_TEST_SUITE_P(Encodings, LongGoldenTest, ::testing::Values("cl100k_base", "o200k_base"));

}  // namespace
}  // namespace sluice::tokenize
