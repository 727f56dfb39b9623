// The response cache's contract on both backends: the workspace's SQLite table and the shared
// PostgreSQL one (SLUICE_TEST_PG_URL; tests/e2e/test_shared_review.sh starts a throwaway server
// and runs these with it set; without it the postgres cases are skipped). Keys are unique per
// test, since tests share the PostgreSQL database.
#include "llm/response_cache.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "base/files.h"
#include "base/testing/postgres.h"
#include "llm/response_cache_pg.h"

namespace sluice::llm {
namespace {

class ResponseCacheBackends : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      if (base::testing::test_pg_url().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
      m_url = base::testing::test_pg_url();
    }
  }
  // One cache per connection, as each runner has.
  std::unique_ptr<ResponseStore> open() {
    if (GetParam() == "postgres") {
      auto c = PgResponseCache::connect(m_url);
      EXPECT_TRUE(c) << c.error().message;
      return c ? std::move(*c) : nullptr;
    }
    auto db = store::Database::open(m_dir.path() / "state.db", store::all_migrations());
    EXPECT_TRUE(db) << db.error().message;
    if (!db) return nullptr;
    m_dbs.push_back(std::move(*db));
    return std::make_unique<ResponseCache>(*m_dbs.back());
  }
  std::string m_url;
  base::TempDir m_dir;
  std::vector<std::unique_ptr<store::Database>> m_dbs;
};

TEST_P(ResponseCacheBackends, AnEntryPutByOneRunnerIsAHitForAnother) {
  auto a = open(), b = open();
  ASSERT_TRUE(a && b);
  const std::string key = base::testing::unique_name("key");
  auto miss = b->lookup(key, 1000);
  ASSERT_TRUE(miss) << miss.error().message;
  EXPECT_FALSE(*miss);
  const CachedResponse entry{"apiVersion: v1\nkind: ConfigMap\n", "gpt-4o-mini-2024", "stop", 120, 34, 0.0123456789};
  ASSERT_TRUE(a->put(key, ProviderKind::openai, "http://127.0.0.1:1/v1", entry, 2000));
  auto hit = b->lookup(key, 3000);
  ASSERT_TRUE(hit) << hit.error().message;
  ASSERT_TRUE(*hit);
  EXPECT_EQ((*hit)->text, entry.text);
  EXPECT_EQ((*hit)->model, entry.model);
  EXPECT_EQ((*hit)->finish_reason, "stop");
  EXPECT_EQ((*hit)->tokens_in, 120);
  EXPECT_EQ((*hit)->tokens_out, 34);
  EXPECT_DOUBLE_EQ((*hit)->cost_usd, 0.0123456789);
  // Another key is still a miss.
  EXPECT_FALSE(*b->lookup(key + "x", 3000));
}

TEST_P(ResponseCacheBackends, PutReplacesAndHitsAreCounted) {
  auto c = open();
  ASSERT_TRUE(c);
  const std::string key = base::testing::unique_name("key");
  ASSERT_TRUE(c->put(key, ProviderKind::anthropic, "u", CachedResponse{"old", "m", "", 1, 1, 0.5}, 10));
  ASSERT_TRUE(c->put(key, ProviderKind::anthropic, "u", CachedResponse{"new", "m", "", 1, 1, 0.5}, 20));
  auto before = c->stats();
  ASSERT_TRUE(before) << before.error().message;
  for (int i = 0; i < 3; ++i) {
    auto h = c->lookup(key, 30 + i);
    ASSERT_TRUE(h && *h);
    EXPECT_EQ((*h)->text, "new");
  }
  auto after = c->stats();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->hits - before->hits, 3);
  EXPECT_NEAR(after->saved_usd - before->saved_usd, 1.5, 1e-9);
  EXPECT_EQ(after->entries, before->entries);
}

TEST_P(ResponseCacheBackends, PruneDeletesEntriesUnusedSinceTheCutoff) {
  auto c = open();
  ASSERT_TRUE(c);
  // Times far in the past, so entries of other tests (now-ish) are not pruned.
  const std::string old_key = base::testing::unique_name("old"), used_key = base::testing::unique_name("used");
  ASSERT_TRUE(c->put(old_key, ProviderKind::openai, "u", CachedResponse{"a", "m", "", 1, 1, 0}, 5));
  ASSERT_TRUE(c->put(used_key, ProviderKind::openai, "u", CachedResponse{"b", "m", "", 1, 1, 0}, 5));
  ASSERT_TRUE(c->lookup(used_key, 50));
  auto n = c->prune_older_than(10);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_GE(*n, 1);
  EXPECT_FALSE(*c->lookup(old_key, 60));
  EXPECT_TRUE(*c->lookup(used_key, 60));
}

INSTANTIATE_TEST_SUITE_P(Llm, ResponseCacheBackends, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace sluice::llm
