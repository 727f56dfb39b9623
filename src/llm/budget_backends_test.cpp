// The same ledger behaviour on both backends: the workspace's SQLite file and the shared
// PostgreSQL database (SLUICE_TEST_PG_URL; tests/e2e/test_shared_budget.sh starts a throwaway
// server and runs these with it set; without it the postgres cases are skipped).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include "base/files.h"
#include "base/testing/postgres.h"
#include "llm/budget.h"
#include "llm/budget_pg.h"

namespace sluice::llm {
namespace {

class BudgetBackends : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      if (base::testing::test_pg_url().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
      m_url = base::testing::test_pg_url();
    }
    // A day of its own (far in the past) and run ids of its own: tests share the database.
    std::random_device rd;
    m_now = 1'000'000'000'000 + static_cast<int64_t>(rd() % 100000) * 86'400'000;
    m_run = fmt::format("run-{}-{}", rd(), rd());
  }
  // One ledger per connection, as each LLM call has.
  std::unique_ptr<BudgetLedger> ledger() {
    if (GetParam() == "postgres") {
      auto l = PgBudgetLedger::connect(m_url);
      EXPECT_TRUE(l) << l.error().message;
      return l ? std::move(*l) : nullptr;
    }
    auto db = store::Database::open(m_dir.path() / "state.db", store::all_migrations());
    EXPECT_TRUE(db) << db.error().message;
    m_dbs.push_back(std::move(*db));
    return std::make_unique<Ledger>(*m_dbs.back());
  }
  ReserveRequest req(double usd, int64_t in = 100, int64_t out = 50) {
    return {m_run, "manifests", "default", "gpt-4o-mini", usd, in, out, m_now, 60'000};
  }
  std::string m_url;
  int64_t m_now = 0;
  std::string m_run;
  base::TempDir m_dir;
  std::vector<std::unique_ptr<store::Database>> m_dbs;
};

TEST_P(BudgetBackends, PerRunLimitNamesItselfTheSpendAndTheNeed) {
  auto l = ledger();
  ASSERT_TRUE(l);
  BudgetConfig b;
  b.per_run_usd = 0.10;
  auto a = l->reserve(req(0.06), b);
  ASSERT_TRUE(a) << a.error().message;
  auto over = l->reserve(req(0.05), b);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::budget);
  EXPECT_NE(over.error().message.find("per_run_usd is $0.1000, this run has spent $0.0600"), std::string::npos)
      << over.error().message;
  EXPECT_NE(over.error().message.find("needs up to $0.0500 (100 input + 50 max output tokens"), std::string::npos);
  ASSERT_TRUE(l->settle(*a, 10, 10, 0.01, m_now));  // the real (lower) cost frees room
  EXPECT_TRUE(l->reserve(req(0.05), b));
}

TEST_P(BudgetBackends, PerDayLimitCountsEveryRun) {
  auto l = ledger();
  ASSERT_TRUE(l);
  BudgetConfig b;
  b.per_day_usd = 0.10;
  ASSERT_TRUE(l->reserve(req(0.07), b));
  m_run += "-other";
  auto over = l->reserve(req(0.05), b);
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("per_day_usd is $0.1000"), std::string::npos) << over.error().message;
}

TEST_P(BudgetBackends, CallLimitAndReleasedCallsDoNotCount) {
  auto l = ledger();
  ASSERT_TRUE(l);
  BudgetConfig b;
  b.max_calls_per_run = 2;
  auto one = l->reserve(req(0.01), b);
  ASSERT_TRUE(one);
  ASSERT_TRUE(l->reserve(req(0.01), b));
  auto over = l->reserve(req(0.01), b);
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("max_calls_per_run is 2"), std::string::npos) << over.error().message;
  ASSERT_TRUE(l->release(*one, m_now));
  EXPECT_TRUE(l->reserve(req(0.01), b));
}

// Many connections race for one run's budget: exactly what fits is admitted, never more.
TEST_P(BudgetBackends, ConcurrentReservationsNeverOverspend) {
  BudgetConfig b;
  b.per_run_usd = 1.0;
  std::vector<std::unique_ptr<BudgetLedger>> ledgers;
  for (int t = 0; t < 8; ++t) ledgers.push_back(ledger());
  std::atomic<int> admitted{0}, refused{0}, errors{0};
  std::vector<std::thread> threads;
  for (auto& l : ledgers) {
    threads.emplace_back([&, lp = l.get()] {
      for (int i = 0; i < 25; ++i) {
        auto r = lp->reserve(req(0.01), b);
        if (r) ++admitted;
        else if (r.error().code == ErrorCode::budget) ++refused;
        else ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(admitted.load(), 100);
  EXPECT_EQ(refused.load(), 100);
}

INSTANTIATE_TEST_SUITE_P(Ledger, BudgetBackends, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace sluice::llm
