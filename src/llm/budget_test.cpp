// The ledger on a real SQLite file: limits, settle/release, and concurrent reservations from
// many connections that must never overspend together.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/files.h"
#include "llm/budget.h"
#include "llm/response_cache.h"

namespace sluice::llm {
namespace {

template <class T, class V>
BudgetConfig budget_with(std::optional<T> BudgetConfig::*field, V value) {
  BudgetConfig b;
  b.*field = static_cast<T>(value);
  return b;
}


constexpr int64_t k_now = 1'759'300'000'000;  // 2025-10-01 UTC

std::unique_ptr<store::Database> open(const base::TempDir& dir) {
  auto db = store::Database::open(dir.path() / "state.db", store::all_migrations());
  EXPECT_TRUE(db) << db.error().message;
  return std::move(*db);
}

ReserveRequest req(std::string run, double usd, int64_t in = 100, int64_t out = 50) {
  return {std::move(run), "manifests", "default", "gpt-4o-mini", usd, in, out, k_now};
}

TEST(Ledger, UtcDay) { EXPECT_EQ(utc_day(k_now), "2025-10-01"); }

TEST(Ledger, EachLimitNamesItselfTheSpendAndTheNeed) {
  base::TempDir dir;
  auto db = open(dir);
  Ledger l(*db);
  BudgetConfig b = budget_with(&BudgetConfig::per_run_usd, 0.10);
  auto a = l.reserve(req("r1", 0.06), b);
  ASSERT_TRUE(a) << a.error().message;
  auto over = l.reserve(req("r1", 0.05), b);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::budget);
  EXPECT_NE(over.error().message.find("per_run_usd is $0.1000, this run has spent $0.0600"), std::string::npos)
      << over.error().message;
  EXPECT_NE(over.error().message.find("needs up to $0.0500 (100 input + 50 max output tokens"), std::string::npos);
  // Settling at the real (lower) cost frees room.
  ASSERT_TRUE(l.settle(*a, 100, 10, 0.01, k_now));
  EXPECT_TRUE(l.reserve(req("r1", 0.05), b));
  // Another run has its own per-run budget.
  EXPECT_TRUE(l.reserve(req("r2", 0.09), b));

  BudgetConfig day = budget_with(&BudgetConfig::per_day_usd, 0.2);
  auto d = l.reserve(req("r3", 0.1), day);  // the day already holds 0.01 + 0.05 + 0.09
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("per_day_usd is $0.2000, 2025-10-01 (UTC) has spent $0.1500"), std::string::npos)
      << d.error().message;

  BudgetConfig calls = budget_with(&BudgetConfig::max_calls_per_run, 2);
  auto c = l.reserve(req("r1", 0), calls);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("max_calls_per_run is 2, this run has made 2 calls"), std::string::npos);

  BudgetConfig tokens = budget_with(&BudgetConfig::max_tokens_per_run, 300);
  auto t = l.reserve(req("r2", 0, 100, 200), tokens);  // r2 holds 150 reserved
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("max_tokens_per_run is 300, this run has used 150 tokens"), std::string::npos)
      << t.error().message;
}

TEST(Ledger, ReleasedAndDeadRunReservationsDoNotCount) {
  base::TempDir dir;
  auto db = open(dir);
  Ledger l(*db);
  BudgetConfig day = budget_with(&BudgetConfig::per_day_usd, 1.0);
  auto a = l.reserve(req("old", 0.9), day);
  ASSERT_TRUE(a);
  EXPECT_FALSE(l.reserve(req("new", 0.2), day));
  // The old run was killed: the engine recorded it as interrupted.
  ASSERT_TRUE(db->exec("INSERT INTO runs (id, seq, pipeline, status, pid, jobs, started_ms) "
                       "VALUES ('old', 1, 'p', 'interrupted', 1, 1, 0)"));
  auto b = l.reserve(req("new", 0.2), day);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE(l.release(*b, k_now));
  auto s = l.spent("new", k_now);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->run_calls, 0);
  EXPECT_DOUBLE_EQ(s->run_usd, 0);
}

TEST(Ledger, ConcurrentConnectionsNeverOverspend) {
  base::TempDir dir;
  { auto init = open(dir); }
  BudgetConfig b = budget_with(&BudgetConfig::per_run_usd, 0.10);
  std::atomic<int> granted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&] {
      auto db = store::Database::open(dir.path() / "state.db", store::all_migrations());
      ASSERT_TRUE(db);
      Ledger l(**db);
      for (int k = 0; k < 5; ++k) {
        auto r = l.reserve(req("run", 0.003), b);
        if (r) ++granted;
        else if (r.error().code == ErrorCode::budget) ++refused;
        else ADD_FAILURE() << r.error().message;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 33);  // floor(0.10 / 0.003)
  EXPECT_EQ(refused.load(), 80 - 33);
  auto db = open(dir);
  auto s = Ledger(*db).spent("run", k_now);
  ASSERT_TRUE(s);
  EXPECT_LE(s->run_usd, 0.10 + 1e-9);
}

TEST(ResponseCache, PutLookupStatsPrune) {
  base::TempDir dir;
  auto db = open(dir);
  ResponseCache c(*db);
  LlmRequest r;
  r.model = "gpt-4o-mini";
  r.prompt = "p";
  std::string k = response_cache_key(ProviderKind::openai, "http://x/v1", r);
  EXPECT_NE(k, response_cache_key(ProviderKind::openai, "http://y/v1", r));
  LlmRequest hotter = r;
  hotter.temperature = 0.5;
  EXPECT_NE(k, response_cache_key(ProviderKind::openai, "http://x/v1", hotter));
  auto miss = c.lookup(k, k_now);
  ASSERT_TRUE(miss);
  EXPECT_FALSE(*miss);
  ASSERT_TRUE(c.put(k, ProviderKind::openai, "http://x/v1", {"answer", "gpt-4o-mini", "stop", 10, 2, 0.5}, k_now));
  auto hit = c.lookup(k, k_now + 1000);
  ASSERT_TRUE(hit);
  ASSERT_TRUE(*hit);
  EXPECT_EQ((*hit)->text, "answer");
  auto s = c.stats();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->entries, 1);
  EXPECT_EQ(s->hits, 1);
  EXPECT_DOUBLE_EQ(s->saved_usd, 0.5);
  EXPECT_EQ(s->bytes, 6);
  auto none = c.prune_older_than(k_now);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);  // last used at k_now + 1000
  auto one = c.prune_older_than(k_now + 2000);
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, 1);
}

}  // namespace
}  // namespace sluice::llm
