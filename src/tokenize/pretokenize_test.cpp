#include "tokenize/pretokenize.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tokenize/unicode_class.h"

namespace sluice::tokenize {
namespace {

std::vector<std::string> pieces(Pattern p, std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = next_piece(p, text, pos);
    EXPECT_GT(end, pos);
    EXPECT_LE(end, text.size());
    if (end <= pos || end > text.size()) break;
    out.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

using V = std::vector<std::string>;

TEST(Pretokenize, Cl100kWordsSpacesAndPunctuation) {
  EXPECT_EQ(pieces(Pattern::cl100k, "Hello, world!"), (V{"Hello", ",", " world", "!"}));
  EXPECT_EQ(pieces(Pattern::cl100k, "a  b"), (V{"a", " ", " b"}));          // \s+(?!\S) gives one back
  EXPECT_EQ(pieces(Pattern::cl100k, "a   "), (V{"a", "   "}));             // trailing run at the end
  EXPECT_EQ(pieces(Pattern::cl100k, "a \n\n b"), (V{"a", " \n\n", " b"}));  // \s*[\r\n]+
  EXPECT_EQ(pieces(Pattern::cl100k, "x\r\n"), (V{"x", "\r\n"}));
  EXPECT_EQ(pieces(Pattern::cl100k, " ...\n\nx"), (V{" ...\n\n", "x"}));    // punctuation takes newlines
}

TEST(Pretokenize, Cl100kContractionsAreCaseInsensitive) {
  EXPECT_EQ(pieces(Pattern::cl100k, "it's"), (V{"it", "'s"}));
  EXPECT_EQ(pieces(Pattern::cl100k, "IT'S WE'LL"), (V{"IT", "'S", " WE", "'LL"}));
  EXPECT_EQ(pieces(Pattern::cl100k, "'Re'vE"), (V{"'Re", "'vE"}));
  EXPECT_EQ(pieces(Pattern::cl100k, "'x"), (V{"'x"}));  // not a contraction: prefix + letters
  EXPECT_EQ(pieces(Pattern::cl100k, "'\xc5\xbf"), (V{"'\xc5\xbf"}));  // 's' folds to U+017F
}

TEST(Pretokenize, Cl100kDigitsGroupInThrees) {
  EXPECT_EQ(pieces(Pattern::cl100k, "1234567"), (V{"123", "456", "7"}));
  EXPECT_EQ(pieces(Pattern::cl100k, "x12"), (V{"x", "12"}));
}

TEST(Pretokenize, O200kSplitsCaseRunsAndKeepsContractionSuffix) {
  EXPECT_EQ(pieces(Pattern::o200k, "HelloWorld"), (V{"Hello", "World"}));
  EXPECT_EQ(pieces(Pattern::o200k, "HTTPServer"), (V{"HTTPServer"}));  // upper run, then lower run
  EXPECT_EQ(pieces(Pattern::o200k, "it's fine"), (V{"it's", " fine"}));
  EXPECT_EQ(pieces(Pattern::o200k, "ALL CAPS'LL"), (V{"ALL", " CAPS'LL"}));
  EXPECT_EQ(pieces(Pattern::o200k, "a/b//\nc"), (V{"a", "/b", "//\n", "c"}));
  EXPECT_EQ(pieces(Pattern::o200k, "1234"), (V{"123", "4"}));
}

TEST(Pretokenize, O200kMarksJoinWords) {
  // "e" + COMBINING ACUTE: marks are in both case classes of o200k, but not \p{L} for cl100k.
  EXPECT_EQ(pieces(Pattern::o200k, "cafe\xcc\x81 x"), (V{"cafe\xcc\x81", " x"}));
  EXPECT_EQ(pieces(Pattern::cl100k, "cafe\xcc\x81 x"), (V{"cafe", "\xcc\x81", " x"}));
}

TEST(Pretokenize, UnicodeWhitespaceAndBom) {
  // U+3000 IDEOGRAPHIC SPACE is \s; U+FEFF is not (Rust's \s is White_Space; JS's differs).
  EXPECT_EQ(pieces(Pattern::cl100k, "a\xe3\x80\x80" "b"), (V{"a", "\xe3\x80\x80" "b"}));
  EXPECT_EQ(unicode_class(0x3000), k_space);
  EXPECT_EQ(unicode_class(0xfeff), 0);
  EXPECT_EQ(unicode_class(0x0301), k_mark);
  EXPECT_EQ(unicode_class(0x01c5), k_upper);  // Lt
  EXPECT_EQ(unicode_class(0x4e2d), k_letter_other);
  EXPECT_EQ(unicode_class(0x0663), k_number);
  EXPECT_EQ(unicode_class(0x110000), 0);
}

}  // namespace
}  // namespace sluice::tokenize
