#include "base/files.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace sluice::base;

TEST(Files, AtomicWriteCreatesParentsAndReplaces) {
  TempDir dir;
  fs::path p = dir.path() / "a" / "b" / "out.txt";
  ASSERT_TRUE(atomic_write(p, "one").has_value());
  EXPECT_EQ(*read_file(p), "one");
  ASSERT_TRUE(atomic_write(p, "two").has_value());
  EXPECT_EQ(*read_file(p), "two");
  // no temp files left behind
  int n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(p.parent_path())) ++n;
  EXPECT_EQ(n, 1);
}

TEST(Files, ReadMissingNamesPath) {
  auto r = read_file("/nonexistent/sluice-file");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, sluice::ErrorCode::not_found);
  EXPECT_NE(r.error().message.find("/nonexistent/sluice-file"), std::string::npos);
}

TEST(Files, TempDirIsRemoved) {
  fs::path p;
  {
    TempDir d;
    p = d.path();
    ASSERT_TRUE(atomic_write(p / "x", "y").has_value());
  }
  EXPECT_FALSE(fs::exists(p));
}
