#include "tokenize/rank_table.h"

#include <string>

#include <gtest/gtest.h>


namespace sluice::tokenize {
namespace {

std::string b64(std::string_view in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const auto w = (unsigned(static_cast<unsigned char>(in[i])) << 16) |
                   (unsigned(static_cast<unsigned char>(in[i + 1])) << 8) | unsigned(static_cast<unsigned char>(in[i + 2]));
    for (int k = 18; k >= 0; k -= 6) out += a[(w >> k) & 63];
  }
  if (in.size() - i == 1) {
    const auto w = unsigned(static_cast<unsigned char>(in[i])) << 16;
    out += a[(w >> 18) & 63];
    out += a[(w >> 12) & 63];
    out += "==";
  } else if (in.size() - i == 2) {
    const auto w = (unsigned(static_cast<unsigned char>(in[i])) << 16) | (unsigned(static_cast<unsigned char>(in[i + 1])) << 8);
    out += a[(w >> 18) & 63];
    out += a[(w >> 12) & 63];
    out += a[(w >> 6) & 63];
    out += '=';
  }
  return out;
}

// All 256 bytes, then extra tokens.
std::string table_text(const std::vector<std::string>& extra) {
  std::string out;
  Rank r = 0;
  for (int b = 0; b < 256; ++b) out += b64(std::string(1, static_cast<char>(b))) + " " + std::to_string(r++) + "\n";
  for (const auto& t : extra) out += b64(t) + " " + std::to_string(r++) + "\n";
  return out;
}

TEST(RankTable, FindsEveryTokenAndNothingElse) {
  auto t = RankTable::parse(table_text({"ab", "abc", "hello world, a long token"}), "t.tiktoken");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->size(), 259u);
  EXPECT_EQ(t->find("ab"), 256u);
  EXPECT_EQ(t->find("abc"), 257u);
  EXPECT_EQ(t->find("hello world, a long token"), 258u);
  EXPECT_EQ(t->find("abcd"), k_no_rank);
  EXPECT_EQ(t->find("ba"), k_no_rank);
  EXPECT_EQ(t->byte_rank('a'), static_cast<Rank>('a'));
  EXPECT_EQ(t->bytes(257), "abc");
  EXPECT_EQ(t->bytes(100000), "");
}

TEST(RankTable, MalformedLineNamesSourceAndLine) {
  auto t = RankTable::parse(table_text({}) + "not base64! 999\n", "x.tiktoken");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::integrity);
  EXPECT_NE(t.error().message.find("x.tiktoken:257:"), std::string::npos) << t.error().message;
}

TEST(RankTable, RejectsDuplicatesAndMissingBytes) {
  auto dup = RankTable::parse(table_text({"ab", "ab"}), "d");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("twice"), std::string::npos);
  auto missing = RankTable::parse(b64("ab") + " 0\n", "m");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("has no rank"), std::string::npos);
  EXPECT_FALSE(RankTable::parse("", "e"));
  EXPECT_FALSE(RankTable::parse(table_text({}) + b64("zz") + " 99999999\n", "big"));  // absurd rank
}

// Lines of up to 16 base64 characters take a branch-free path, others the general one: tokens of
// every length across that border (all three paddings), ranks of 1 to 9 digits, leading zeros,
// CRLF endings and a last line without '\n' must all parse alike.
TEST(RankTable, ShortAndLongLinesParseAlike) {
  std::vector<std::string> tokens;
  for (std::size_t n = 2; n <= 20; ++n) tokens.push_back(std::string(n, static_cast<char>('a' + n)));
  std::string text = table_text(tokens);
  const Rank first = 256 + static_cast<Rank>(tokens.size());
  text += b64("xyz") + " 000" + std::to_string(first) + "\n";     // leading zeros
  text += b64("wxyz") + " " + std::to_string(first + 1) + "\r\n";  // CRLF
  text += b64("q1") + " 001234568\n";                              // 9 digits, sparse ranks
  text += b64("q2") + " 1234567\n";                                // 7 digits
  text += b64("q3") + " 01234569\n";                               // 8 digits
  text += b64("last") + " " + std::to_string(first + 2);           // no final newline
  auto t = RankTable::parse(text, "t");
  ASSERT_TRUE(t) << t.error().message;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_EQ(t->find(tokens[i]), 256 + i) << tokens[i];
    EXPECT_EQ(t->bytes(static_cast<Rank>(256 + i)), tokens[i]);
  }
  EXPECT_EQ(t->find("xyz"), first);
  EXPECT_EQ(t->find("wxyz"), first + 1);
  EXPECT_EQ(t->find("last"), first + 2);
  EXPECT_EQ(t->find("q1"), 1234568u);
  EXPECT_EQ(t->find("q2"), 1234567u);
  EXPECT_EQ(t->find("q3"), 1234569u);
  EXPECT_EQ(t->rank_end(), 1234570u);
  EXPECT_EQ(t->size(), 256 + tokens.size() + 6);
}

}  // namespace
}  // namespace sluice::tokenize
