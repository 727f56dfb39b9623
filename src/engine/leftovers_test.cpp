// Runs killed with SIGKILL: their lease expires, their LLM reservations stop counting, and the
// processes they left are stopped. (The end-to-end side: tests/e2e/test_pipeline_signals.sh.)
#include "engine/leftovers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/files.h"
#include "llm/budget.h"

using namespace sluice;

namespace {
constexpr int64_t k_now = 1'759'300'000'000;  // 2025-10-01 UTC

// Makes a recorded run look like a sluice killed in an earlier container: the same PID (every
// container's sluice is PID 1; here: ours), another start time.
void make_pid_reused(store::StateStore& st, const std::string& run_id) {
  auto up = st.db().prepare("UPDATE runs SET pid_start = pid_start - 1 WHERE id = ?1");
  ASSERT_TRUE(up);
  ASSERT_TRUE(up->bind(1, run_id).run());
}
}  // namespace

// Regression (issue 10.3): in a container a SIGKILLed run stayed `running` forever because its
// PID (1) always exists, and its LLM reservations counted against every later budget.
TEST(Leftovers, AKilledRunsReservationStopsCountingEvenWhenItsPidIsReused) {
  base::TempDir dir;
  auto st = store::StateStore::open(dir.path());
  ASSERT_TRUE(st) << st.error().message;
  auto killed = (*st)->begin_run("sluice.yml", 1, ::getpid(), k_now, "");
  ASSERT_TRUE(killed);
  llm::Ledger ledger((*st)->db());
  llm::BudgetConfig budget;
  budget.per_day_usd = 0.10;
  // Killed mid-call: reserved, never settled.
  ASSERT_TRUE(ledger.reserve({killed->id, "review", "default", "m", 0.08, 100, 50, k_now}, budget));
  make_pid_reused(**st, killed->id);

  auto next = (*st)->begin_run("sluice.yml", 1, ::getpid(), k_now + 1000, "");
  ASSERT_TRUE(next);
  auto found = (*st)->find_run(killed->id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((**found).status, store::RunStatus::interrupted);
  auto r = ledger.reserve({next->id, "review", "default", "m", 0.05, 100, 50, k_now + 2000}, budget);
  EXPECT_TRUE(r) << r.error().message;
  auto spent = ledger.spent(next->id, k_now + 2000);
  ASSERT_TRUE(spent);
  EXPECT_DOUBLE_EQ(spent->day_usd, 0.05);
}

TEST(Leftovers, ALiveRunIsNotInterruptedAndItsGroupsAreNotTouched) {
  base::TempDir dir;
  auto st = store::StateStore::open(dir.path());
  ASSERT_TRUE(st);
  auto live = (*st)->begin_run("sluice.yml", 1, ::getpid(), k_now, "");
  ASSERT_TRUE(live);
  store::StageRecord s;
  s.run_id = live->id;
  s.name = live->id + "-a";  // (GCC 12 warns wrongly on assigning a one-letter literal here)
  s.status = store::StageStatus::running;
  s.pgid = ::getpgrp();
  s.pgid_start = 1;
  ASSERT_TRUE((*st)->put_stage(s));
  auto reaped = engine::reap_leftovers(**st, std::chrono::milliseconds(10));
  ASSERT_TRUE(reaped);
  EXPECT_TRUE(reaped->empty());
  auto groups = (*st)->leftover_groups();
  ASSERT_TRUE(groups);
  EXPECT_TRUE(groups->empty());  // its run is alive: nothing is a leftover
  auto found = (*st)->find_run(live->id);
  EXPECT_EQ((**found).status, store::RunStatus::running);
}
