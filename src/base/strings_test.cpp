#include "base/strings.h"

#include <gtest/gtest.h>

#include <array>

using namespace sluice::base;

TEST(Strings, EditDistance) {
  EXPECT_EQ(edit_distance("needs", "nedds"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("tset", "test"), 1u);
}

TEST(Strings, ClosestMatch) {
  std::array<std::string_view, 4> keys{"needs", "run", "timeout", "retries"};
  EXPECT_EQ(closest_match("nedds", keys), "needs");
  EXPECT_EQ(closest_match("timeuot", keys), "timeout");
  EXPECT_FALSE(closest_match("completelydifferent", keys).has_value());
}

TEST(Strings, SplitTrimQuote) {
  auto parts = split("a,b,,c", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(trim("  x \n"), "x");
  EXPECT_EQ(quote("a\"b\n"), "\"a\\\"b\\n\"");
}

TEST(Strings, XmlEscape) {
  EXPECT_EQ(xml_escape("a<b & \"c\" 'd'>\x01\n"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;?\n");
}
