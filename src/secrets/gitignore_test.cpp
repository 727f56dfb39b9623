#include "secrets/gitignore.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "secrets/walk.h"

namespace sluice::secrets {
namespace {

using Kind = IgnoreRules::Kind;

TEST(Glob, StarsQuestionMarksAndClasses) {
  EXPECT_TRUE(glob_match("*.log", "a.log"));
  EXPECT_FALSE(glob_match("*.log", "dir/a.log"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "a/c"));
  EXPECT_TRUE(glob_match("[a-c]x", "bx"));
  EXPECT_FALSE(glob_match("[!a-c]x", "bx"));
  EXPECT_TRUE(glob_match("**/foo", "foo"));
  EXPECT_TRUE(glob_match("**/foo", "a/b/foo"));
  EXPECT_TRUE(glob_match("a/**/b", "a/b"));
  EXPECT_TRUE(glob_match("a/**/b", "a/x/y/b"));
  EXPECT_TRUE(glob_match("abc/**", "abc/x/y"));
  EXPECT_FALSE(glob_match("abc/**", "abd/x"));
  EXPECT_TRUE(glob_match("\\*lit", "*lit"));
  EXPECT_FALSE(glob_match("\\*lit", "xlit"));
}

TEST(IgnoreRules, CommonGitignoreSemantics) {
  IgnoreRules r;
  r.add("", "# comment\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/*.md\n\\#hash\n");
  r.add("sub", "local.txt\n!*.log\n");
  EXPECT_TRUE(r.ignored("a.log", Kind::file));
  EXPECT_TRUE(r.ignored("x/y/a.log", Kind::file));
  EXPECT_FALSE(r.ignored("keep.log", Kind::file));       // negation, last match wins
  EXPECT_TRUE(r.ignored("build", Kind::directory));      // dir-only
  EXPECT_TRUE(r.ignored("x/build", Kind::directory));
  EXPECT_FALSE(r.ignored("build", Kind::file));
  EXPECT_TRUE(r.ignored("top.txt", Kind::file));         // anchored
  EXPECT_FALSE(r.ignored("x/top.txt", Kind::file));
  EXPECT_TRUE(r.ignored("docs/a.md", Kind::file));
  EXPECT_FALSE(r.ignored("docs/x/a.md", Kind::file));
  EXPECT_TRUE(r.ignored("#hash", Kind::file));
  EXPECT_TRUE(r.ignored("sub/local.txt", Kind::file));   // nested .gitignore
  EXPECT_FALSE(r.ignored("local.txt", Kind::file));
  EXPECT_FALSE(r.ignored("sub/a.log", Kind::file));      // deeper file re-includes
}

TEST(Walk, SkipsGitDirIgnoredFilesAndSymlinks) {
  base::TempDir dir;
  auto write = [&](const std::string& rel, const std::string& text) {
    ASSERT_TRUE(base::atomic_write(dir.path() / rel, text));
  };
  write(".gitignore", "ignored/\n*.tmp\n");
  write("a.txt", "a");
  write("b.tmp", "b");
  write("ignored/c.txt", "c");
  write(".git/config", "x");
  write("sub/d.txt", "d");
  std::filesystem::create_symlink(dir.path() / "a.txt", dir.path() / "link.txt");
  const std::string root = dir.path().string();
  auto w = collect_files(std::span(&root, 1), UseGitignore::yes);
  std::vector<std::string> names;
  for (const auto& f : w.files) names.push_back(f.fs_path.lexically_relative(dir.path()).generic_string());
  EXPECT_EQ(names, (std::vector<std::string>{".gitignore", "a.txt", "sub/d.txt"}));
  EXPECT_EQ(w.ignored, 2u);
  auto all = collect_files(std::span(&root, 1), UseGitignore::no);
  EXPECT_EQ(all.files.size(), 5u);
}

TEST(Walk, ARepositorysInfoExcludeCountsBelowItsGitignore) {
  base::TempDir dir;
  auto write = [&](const std::string& rel, const std::string& text) {
    ASSERT_TRUE(base::atomic_write(dir.path() / rel, text));
  };
  write(".git/info/exclude", "# local only\nscratch/\n*.bak\nkeep.txt\n");
  write(".gitignore", "!keep.txt\n");  // a .gitignore outranks info/exclude
  write("a.txt", "a");
  write("old.bak", "b");
  write("scratch/notes.txt", "c");
  write("keep.txt", "d");
  write("sub/.git/info/exclude", "inner.txt\n");  // a nested repository's own excludes
  write("sub/inner.txt", "e");
  write("sub/other.txt", "f");
  const std::string root = dir.path().string();
  auto w = collect_files(std::span(&root, 1), UseGitignore::yes);
  std::vector<std::string> names;
  for (const auto& f : w.files) names.push_back(f.fs_path.lexically_relative(dir.path()).generic_string());
  EXPECT_EQ(names, (std::vector<std::string>{".gitignore", "a.txt", "keep.txt", "sub/other.txt"}));
  auto all = collect_files(std::span(&root, 1), UseGitignore::no);
  EXPECT_EQ(all.files.size(), 7u);
}

TEST(Walk, BinaryDetection) {
  EXPECT_FALSE(looks_binary("plain text"));
  EXPECT_TRUE(looks_binary(std::string("ab\0cd", 5)));
}

}  // namespace
}  // namespace sluice::secrets
