// Differential test against committed goldens made by tiktoken (see tests/golden/tokenize/regen.sh).

#include <fstream>
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

}  // namespace
}  // namespace sluice::tokenize
