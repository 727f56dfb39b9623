#include "base/beneath.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"

namespace fs = std::filesystem;
using namespace sluice::base;

namespace {
// Runs each test with openat2 and with the O_NOFOLLOW fallback.
class Beneath : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { detail::set_openat2_disabled(GetParam()); }
  void TearDown() override { detail::set_openat2_disabled(false); }
  TempDir dir{"beneath"};
  fs::path ws() const { return dir.path() / "ws"; }
  fs::path outside() const { return dir.path() / "outside"; }
  void make_dirs() {
    fs::create_directories(ws());
    fs::create_directories(outside());
  }
};
}  // namespace

TEST_P(Beneath, WritesCreatingDirectories) {
  make_dirs();
  ASSERT_TRUE(write_beneath(ws(), "a/b/c.txt", "hello", 0640).has_value());
  EXPECT_EQ(*read_file(ws() / "a/b/c.txt"), "hello");
  struct stat st {};
  ASSERT_EQ(::stat((ws() / "a/b/c.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // Replaced atomically: no temp file left beside it.
  ASSERT_TRUE(write_beneath(ws(), "a/b/c.txt", "again").has_value());
  EXPECT_EQ(*read_file(ws() / "a/b/c.txt"), "again");
  EXPECT_EQ(std::distance(fs::directory_iterator(ws() / "a/b"), fs::directory_iterator()), 1);
}

TEST_P(Beneath, RefusesADirectorySymlinkLeadingOut) {
  make_dirs();
  fs::create_directory_symlink("../outside", ws() / "link");
  auto w = write_beneath(ws(), "link/sym.txt", "x");
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message.find("\"link/sym.txt\" leads outside the workspace through a symlink"),
            std::string::npos)
      << w.error().message;
  EXPECT_FALSE(fs::exists(outside() / "sym.txt"));
  auto d = open_dir_beneath(ws(), "link", CreateDirs::no);
  ASSERT_FALSE(d.has_value());
  fs::create_directory_symlink(outside(), ws() / "abs");  // an absolute target too
  EXPECT_FALSE(write_beneath(ws(), "abs/sub/x.txt", "x").has_value());
  EXPECT_FALSE(fs::exists(outside() / "sub"));
}

TEST_P(Beneath, ReplacesAFileSymlinkInsteadOfWritingThroughIt) {
  make_dirs();
  ASSERT_TRUE(write_beneath(outside(), "target.txt", "outside").has_value());
  fs::create_symlink(outside() / "target.txt", ws() / "out.txt");
  ASSERT_TRUE(write_beneath(ws(), "out.txt", "inside").has_value());
  EXPECT_EQ(*read_file(outside() / "target.txt"), "outside");
  EXPECT_FALSE(fs::is_symlink(ws() / "out.txt"));
  EXPECT_EQ(*read_file(ws() / "out.txt"), "inside");
}

TEST_P(Beneath, RefusesDotDotAndAbsolutePaths) {
  make_dirs();
  for (const char* bad : {"../outside/x", "a/../../x", "/etc/x", ""}) {
    auto w = write_beneath(ws(), bad, "x");
    EXPECT_FALSE(w.has_value()) << bad;
  }
  EXPECT_FALSE(open_dir_beneath(ws(), "..", CreateDirs::no).has_value());
}

TEST_P(Beneath, OpensTheRootAndDirectoriesInside) {
  make_dirs();
  fs::create_directories(ws() / "sub/deeper");
  for (const char* ok : {"", ".", "sub", "sub/deeper", "./sub//deeper/"}) {
    auto d = open_dir_beneath(ws(), ok, CreateDirs::no);
    EXPECT_TRUE(d.has_value()) << ok << ": " << d.error().message;
  }
  auto missing = open_dir_beneath(ws(), "nope", CreateDirs::no);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, sluice::ErrorCode::not_found);
}

INSTANTIATE_TEST_SUITE_P(Openat2AndFallback, Beneath, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "nofollow" : "openat2"; });

TEST(BeneathOpenat2, FollowsSymlinksThatStayInside) {
  TempDir dir("beneath");
  fs::create_directories(dir.path() / "real");
  fs::create_directory_symlink("real", dir.path() / "alias");
  // openat2 follows a symlink that stays beneath the root; the fallback refuses every symlink.
  auto w = write_beneath(dir.path(), "alias/f.txt", "x");
  if (w.has_value()) {
    EXPECT_EQ(*read_file(dir.path() / "real/f.txt"), "x");
  } else {
    GTEST_SKIP() << "openat2 unavailable here: " << w.error().message;
  }
}
