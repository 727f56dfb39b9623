#include "engine/lock_manager.h"

#include <gtest/gtest.h>

#include "base/files.h"

using namespace sluice;
using namespace sluice::engine;

namespace {
// Two managers on one directory behave as two sluice processes: flock() locks belong to the
// open file, so two opens in one process exclude each other too.
LockManager manager(const base::TempDir& dir) {
  return LockManager(std::make_unique<FileLocks>(dir.path() / "locks"));
}
}  // namespace

TEST(LockManager, ExcludesWithinTheRun) {
  base::TempDir dir;
  auto m = manager(dir);
  EXPECT_EQ(m.try_acquire({"deploy"}), LockResult::acquired);
  EXPECT_EQ(m.try_acquire({"deploy"}), LockResult::held_here);
  EXPECT_EQ(m.try_acquire({}), LockResult::acquired);
  m.release({"deploy"});
  EXPECT_EQ(m.try_acquire({"deploy"}), LockResult::acquired);
}

TEST(LockManager, ExcludesAcrossProcessesUntilReleased) {
  base::TempDir dir;
  auto a = manager(dir);
  auto b = manager(dir);
  EXPECT_EQ(a.try_acquire({"deploy"}), LockResult::acquired);
  EXPECT_EQ(b.try_acquire({"deploy"}), LockResult::held_elsewhere);
  EXPECT_EQ(b.try_acquire({"other"}), LockResult::acquired);
  a.release({"deploy"});
  EXPECT_EQ(b.try_acquire({"deploy"}), LockResult::acquired);
  EXPECT_EQ(a.try_acquire({"deploy"}), LockResult::held_elsewhere);
}

TEST(LockManager, TakesAllOrNone) {
  base::TempDir dir;
  auto a = manager(dir);
  auto b = manager(dir);
  EXPECT_EQ(a.try_acquire({"db"}), LockResult::acquired);
  EXPECT_EQ(b.try_acquire({"deploy", "db"}), LockResult::held_elsewhere);
  // b let go of "deploy" when it could not have "db".
  EXPECT_EQ(a.try_acquire({"deploy"}), LockResult::acquired);
}

TEST(LockManager, ALockGoesWithItsHolder) {
  base::TempDir dir;
  auto b = manager(dir);
  {
    auto a = manager(dir);
    EXPECT_EQ(a.try_acquire({"deploy"}), LockResult::acquired);
    EXPECT_EQ(b.try_acquire({"deploy"}), LockResult::held_elsewhere);
  }  // closed, as the kernel does for a process that dies
  EXPECT_EQ(b.try_acquire({"deploy"}), LockResult::acquired);
}

TEST(LockManager, FileNamesAreSafeAndDistinct) {
  EXPECT_EQ(FileLocks::file_name_of("deploy"), "deploy");
  EXPECT_EQ(FileLocks::file_name_of("../x").find('/'), std::string::npos);
  EXPECT_NE(FileLocks::file_name_of("a/b"), FileLocks::file_name_of("a_b"));
  EXPECT_NE(FileLocks::file_name_of("a.b"), FileLocks::file_name_of("a:b"));
  EXPECT_FALSE(FileLocks::file_name_of("").empty());
}
