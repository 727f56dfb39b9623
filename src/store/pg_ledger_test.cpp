// The PostgreSQL ledger against a real server: SLUICE_TEST_PG_URL names it (the e2e test
// tests/e2e/test_shared_budget.sh starts a throwaway cluster and runs these with it set;
// without it they are skipped). Each test uses its own day and run ids, so they share a database.
#include "store/pg_ledger.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>
#include <unistd.h>
#include <vector>

#include "base/testing/postgres.h"

namespace sluice::store {
namespace {

class PgLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (base::testing::test_pg_url().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set (tests/e2e/test_shared_budget.sh sets it)";
    auto c = PgConnection::connect(base::testing::test_pg_url());
    ASSERT_TRUE(c) << c.error().message;
    m_conn = std::move(*c);
    m_day = base::testing::unique_name("day");
  }
  PgReserve req(const std::string& run, double usd, int64_t now_ms = 1000, int64_t lease_ms = 60'000) {
    return PgReserve{.run_id = run,
                     .stage = std::string("stage"),
                     .provider = std::string("provider"),
                     .model = std::string("model"),
                     .day = m_day,
                     .usd = usd,
                     .tokens = 10,
                     .now_ms = now_ms,
                     .lease_ms = lease_ms,
                     .per_day_usd = 1.0,
                     .per_run_usd = std::nullopt,
                     .max_calls_per_run = std::nullopt,
                     .max_tokens_per_run = std::nullopt,
                     .holder = RunLease{}};
  }
  std::unique_ptr<PgConnection> m_conn;
  std::string m_day;
};

TEST_F(PgLedgerTest, ReservesUpToTheCapThenRefusesAndReleaseFreesRoom) {
  PgLedger l(*m_conn);
  const std::string run = base::testing::unique_name("run");
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = l.reserve(req(run, 0.3));
    ASSERT_TRUE(r && r->id) << (r ? r->limit : r.error().message);
    ids.push_back(*r->id);
  }
  auto over = l.reserve(req(run, 0.3));
  ASSERT_TRUE(over);
  EXPECT_FALSE(over->id);
  EXPECT_EQ(over->limit, "per_day_usd");
  EXPECT_NEAR(over->day.usd, 0.9, 1e-9);
  ASSERT_TRUE(l.release(ids[0], 2000));
  ASSERT_TRUE(l.release(ids[0], 2000));  // twice: nothing more is released
  auto again = l.reserve(req(run, 0.3));
  ASSERT_TRUE(again && again->id);
  ASSERT_TRUE(l.settle(ids[1], 5, 5, 0.1, 3000));
  auto s = l.spend(fmt::format("day:{}", m_day));
  ASSERT_TRUE(s);
  EXPECT_NEAR(s->usd, 0.7, 1e-9);  // 0.1 settled + 2 x 0.3 reserved
}

TEST_F(PgLedgerTest, ARunLimitRefusalLeavesTheDayUntouched) {
  PgLedger l(*m_conn);
  const std::string run = base::testing::unique_name("run");
  auto q = req(run, 0.2);
  q.max_calls_per_run = 2;
  ASSERT_TRUE(l.reserve(q)->id);
  ASSERT_TRUE(l.reserve(q)->id);
  auto over = l.reserve(q);
  ASSERT_TRUE(over);
  EXPECT_FALSE(over->id);
  EXPECT_EQ(over->limit, "max_calls_per_run");
  EXPECT_NEAR(over->day.usd, 0.4, 1e-9);  // the refused call's day update was rolled back
  q.max_calls_per_run.reset();
  q.per_run_usd = 0.5;
  auto run_over = l.reserve(q);
  ASSERT_TRUE(run_over);
  EXPECT_EQ(run_over->limit, "per_run_usd");
}

// A runner that died holding a reservation: the next reserve after the lease releases it, and
// a late settle still books the real spend.
TEST_F(PgLedgerTest, ExpiredLeasesAreReleasedByTheNextRunner) {
  PgLedger l(*m_conn);
  auto dead = l.reserve(req(base::testing::unique_name("dead-run"), 0.9, 1000, 1000));
  ASSERT_TRUE(dead && dead->id);
  auto blocked = l.reserve(req(base::testing::unique_name("run"), 0.5, 1500));
  ASSERT_TRUE(blocked);
  EXPECT_FALSE(blocked->id) << "the lease has not passed yet";
  auto freed = l.reserve(req(base::testing::unique_name("run"), 0.5, 2500));
  ASSERT_TRUE(freed);
  EXPECT_TRUE(freed->id) << "the dead runner's reservation was not released";
  ASSERT_TRUE(l.settle(*dead->id, 1, 1, 0.2, 2600));
  auto s = l.spend(fmt::format("day:{}", m_day));
  ASSERT_TRUE(s);
  EXPECT_NEAR(s->usd, 0.7, 1e-9);
}

// A holder on this machine whose process is gone loses its reservations at once; a live
// holder (this process) keeps them.
TEST_F(PgLedgerTest, DeadHoldersOnThisMachineAreReleasedAtOnce) {
  PgLedger l(*m_conn);
  const HostView host = this_host(1000);
  auto dead_q = req(base::testing::unique_name("dead-run"), 0.6, 1000, 3'600'000);
  dead_q.holder = lease_of_process(::getpid(), 1000);
  dead_q.holder.pid_start = dead_q.holder.pid_start.value_or(0) + 12345;  // this PID, another process's start
  auto dead = l.reserve(dead_q);
  ASSERT_TRUE(dead && dead->id);
  auto live_q = req(base::testing::unique_name("live-run"), 0.3, 1000, 3'600'000);
  live_q.holder = lease_of_process(::getpid(), 1000);
  ASSERT_TRUE(l.reserve(live_q)->id);
  auto released = l.release_dead_holders(host);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_EQ(*released, 1);
  auto s = l.spend(fmt::format("day:{}", m_day));
  ASSERT_TRUE(s);
  EXPECT_NEAR(s->usd, 0.3, 1e-9);  // the live holder's reservation stays
}

// 16 connections race for a cap that fits exactly 100 reservations of $0.01.
TEST_F(PgLedgerTest, ConcurrentReservationsNeverExceedTheCap) {
  std::atomic<int> admitted{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      auto c = PgConnection::connect(base::testing::test_pg_url());
      if (!c) {
        ++errors;
        return;
      }
      PgLedger l(**c);
      for (int i = 0; i < 20; ++i) {
        auto r = l.reserve(req(fmt::format("run-{}-{}", m_day, t), 0.01));
        if (!r) ++errors;
        else if (r->id) ++admitted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(admitted.load(), 100);
  PgLedger l(*m_conn);
  auto s = l.spend(fmt::format("day:{}", m_day));
  ASSERT_TRUE(s);
  EXPECT_NEAR(s->usd, 1.0, 1e-9);
}

TEST_F(PgLedgerTest, ConnectionErrorsNeverShowThePassword) {
  auto c = PgConnection::connect("postgresql://nobody:hunter2-pg@127.0.0.1:1/x?connect_timeout=2");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.find("hunter2-pg"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("nobody:***@127.0.0.1:1"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace sluice::store
