#include "base/glob.h"

#include <gtest/gtest.h>

#include "base/files.h"

using namespace sluice::base;

TEST(Glob, Match) {
  EXPECT_TRUE(glob_match("src/**/*.cc", "src/a.cc"));
  EXPECT_TRUE(glob_match("src/**/*.cc", "src/x/y/a.cc"));
  EXPECT_FALSE(glob_match("src/**/*.cc", "src/a.h"));
  EXPECT_FALSE(glob_match("src/*.cc", "src/x/a.cc"));
  EXPECT_TRUE(glob_match("k8s/base/*.yaml", "k8s/base/app.yaml"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_TRUE(glob_match("[a-c]x", "bx"));
  EXPECT_FALSE(glob_match("[!a-c]x", "bx"));
  EXPECT_TRUE(glob_match("**", "any/thing"));
  EXPECT_TRUE(glob_match("./a/b", "a/b"));
}

TEST(Glob, ExpandIsSortedAndSkipsDotSluice) {
  TempDir d;
  ASSERT_TRUE(atomic_write(d.path() / "src/b.cc", "b").has_value());
  ASSERT_TRUE(atomic_write(d.path() / "src/a.cc", "a").has_value());
  ASSERT_TRUE(atomic_write(d.path() / "src/deep/c.cc", "c").has_value());
  ASSERT_TRUE(atomic_write(d.path() / "src/.sluice/x.cc", "x").has_value());
  ASSERT_TRUE(atomic_write(d.path() / "src/d.h", "d").has_value());
  auto r = glob_expand(d.path(), "src/**/*.cc");
  ASSERT_TRUE(r.has_value());
  std::vector<std::string> want{"src/a.cc", "src/b.cc", "src/deep/c.cc"};
  EXPECT_EQ(*r, want);
  auto lit = glob_expand(d.path(), "src/d.h");
  ASSERT_TRUE(lit.has_value());
  EXPECT_EQ(lit->size(), 1u);
  auto none = glob_expand(d.path(), "nothing/*.x");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}
