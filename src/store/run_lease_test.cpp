#include "store/run_lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace sluice::store;

namespace {
const std::string k_boot = "e6312058-7b9c-4305-91da-559614b89eef";
const std::string k_ns = "pid:[4026531836]";

// A host where PID 1 is a process that started at tick 5000 (a container's current sluice).
HostView host(int64_t now_ms = 100'000) {
  return {k_boot, k_ns, now_ms, [](int64_t pid) -> std::optional<int64_t> {
            if (pid == 1) return 5000;
            return std::nullopt;
          }};
}
RunLease lease(int64_t pid, int64_t start, std::string ns = k_ns, int64_t beat = 99'000) {
  return {pid, k_boot, start, std::move(ns), beat};
}
}  // namespace

TEST(RunLease, SameProcessIsAlive) { EXPECT_TRUE(lease_alive(lease(1, 5000), host())); }

// The container case: sluice is PID 1 every time; the PID exists but is a later process.
TEST(RunLease, ReusedPidWithAnotherStartTimeIsDead) { EXPECT_FALSE(lease_alive(lease(1, 4200), host())); }

TEST(RunLease, MissingProcessIsDead) { EXPECT_FALSE(lease_alive(lease(77, 4200), host())); }

TEST(RunLease, AnotherBootIsDead) {
  auto l = lease(1, 5000);
  l.boot_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_FALSE(lease_alive(l, host()));
}

// A run in another PID namespace sharing the workspace: its PID says nothing here, only the
// heartbeat does.
TEST(RunLease, AnotherNamespaceIsJudgedByItsHeartbeat) {
  const int64_t timeout = std::chrono::milliseconds(k_lease_timeout).count();
  EXPECT_TRUE(lease_alive(lease(1, 4200, "pid:[1]", 100'000 - timeout), host()));
  EXPECT_FALSE(lease_alive(lease(1, 4200, "pid:[1]", 100'000 - timeout - 1), host()));
  EXPECT_FALSE(lease_alive(lease(1, 5000, "pid:[1]", 0), host()));
}

TEST(RunLease, OldRecordsFallBackToThePid) {
  RunLease old{::getpid(), "", std::nullopt, "", std::nullopt};
  EXPECT_TRUE(lease_alive(old, host()));
  old.pid = 0;
  EXPECT_FALSE(lease_alive(old, host()));
}

TEST(RunLease, ThisProcessLeaseIsAliveOnThisHost) {
  auto l = lease_of_process(::getpid(), 1000);
  EXPECT_TRUE(lease_alive(l, this_host(1000)));
  l.pid_start = *l.pid_start + 1;
  EXPECT_FALSE(lease_alive(l, this_host(1000)));
}
