#include "base/process_identity.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "base/process.h"

using namespace sluice::base;
using namespace std::chrono_literals;

namespace {
const std::vector<std::string> k_env = {"PATH=/usr/bin:/bin", "SLUICE_RUN_ID=identity-test"};

// Waits until `pid` is gone or a zombie (it is our child: still listed until reaped).
bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

RecordedGroup group_of(const Child& c) {
  return {c.pid(), *process_start_ticks(c.pid()), boot_id(), "SLUICE_RUN_ID=identity-test"};
}
}  // namespace

TEST(ProcessIdentity, StartTicksAndBootId) {
  auto self = process_start_ticks(::getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(process_start_ticks(::getpid()), self);
  EXPECT_FALSE(process_start_ticks(0).has_value());
  EXPECT_EQ(boot_id().size(), 36u);
  EXPECT_EQ(pid_namespace().rfind("pid:[", 0), 0u);
}

TEST(ProcessIdentity, RecordedGroupIsFoundAndTerminated) {
  auto c = spawn({{"sh", "-c", "sleep 30 & sleep 30"}, k_env, {}});
  ASSERT_TRUE(c.has_value());
  std::this_thread::sleep_for(100ms);
  auto g = group_of(*c);
  EXPECT_EQ(recorded_group_members(g).size(), 3u);  // sh and two sleeps
  EXPECT_EQ(terminate_recorded_group(g, 2s), 3);
  EXPECT_EQ(c->wait(), 128 + SIGTERM);
  EXPECT_TRUE(recorded_group_members(g).empty());
}

// The regression that matters: a PID that now belongs to another process (a different start
// time) is never signalled.
TEST(ProcessIdentity, AReusedPidIsNeverKilled) {
  auto c = spawn({{"sleep", "30"}, k_env, {}});
  ASSERT_TRUE(c.has_value());
  auto g = group_of(*c);
  g.leader_start -= 1;  // the recorded leader started earlier: this is another process
  EXPECT_TRUE(recorded_group_members(g).empty());
  EXPECT_EQ(terminate_recorded_group(g, 100ms), 0);
  EXPECT_TRUE(alive(c->pid()));
  auto other_boot = group_of(*c);
  other_boot.boot_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_EQ(terminate_recorded_group(other_boot, 100ms), 0);
  EXPECT_TRUE(alive(c->pid()));
  c->signal_group(SIGKILL);
  (void)c->wait();
}

// The leader has exited (reaped) but left a member behind: found by its pgid, start time and
// the run's environment entry, and only with that entry.
TEST(ProcessIdentity, MembersOfALeaderlessGroupNeedTheEnvironmentMarker) {
  auto c = spawn({{"sh", "-c", "sleep 30 >/dev/null 2>&1 & exit 0"}, k_env, {}});
  ASSERT_TRUE(c.has_value());
  auto g = group_of(*c);
  EXPECT_EQ(c->wait(), 0);
  std::this_thread::sleep_for(50ms);
  auto wrong_marker = g;
  wrong_marker.env_marker = "SLUICE_RUN_ID=another-run";
  EXPECT_TRUE(recorded_group_members(wrong_marker).empty());
  auto members = recorded_group_members(g);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(terminate_recorded_group(g, 2s), 1);
  EXPECT_FALSE(alive(members[0]) && process_start_ticks(members[0]).has_value() &&
               !recorded_group_members(g).empty());
}
