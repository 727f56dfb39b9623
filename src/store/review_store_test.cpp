// The review record's contract on both backends: the workspace's SQLite file and the shared
// PostgreSQL database (SLUICE_TEST_PG_URL; tests/e2e/test_shared_review.sh starts a throwaway
// server and runs these with it set; without it the postgres cases are skipped). Tests share the
// PostgreSQL database, so each uses stage names and hashes of its own, and checks the chain as a
// whole (other tests append to it too).
#include "store/review_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include "base/files.h"
#include "base/testing/postgres.h"
#include "store/pg_review_store.h"

using namespace sluice;
using namespace sluice::store;

namespace {

class ReviewBackends : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      if (base::testing::test_pg_url().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set";
      m_url = base::testing::test_pg_url();
    }
    m_stage = base::testing::unique_name("deploy");
  }
  // A store of its own connection, as each sluice process has.
  std::unique_ptr<ReviewStore> open() {
    if (GetParam() == "postgres") {
      auto s = PgReviewStore::connect(m_url);
      EXPECT_TRUE(s) << s.error().message;
      return s ? std::move(*s) : nullptr;
    }
    auto db = Database::open(m_dir.path() / "state.db", all_migrations());
    EXPECT_TRUE(db) << db.error().message;
    if (!db) return nullptr;
    m_dbs.push_back(std::move(*db));
    return std::make_unique<SqliteReviewStore>(*m_dbs.back());
  }
  // Runs `sql` on the store's own connection; the trigger must refuse it.
  Expected<void> tamper(ReviewStore& rs, const std::string& sql) {
    if (auto* pg = dynamic_cast<PgReviewStore*>(&rs)) return pg->connection().exec(sql);
    return m_dbs.back()->exec(sql);
  }
  ReviewEvent ev(ReviewEventKind k, const std::string& actor, const std::string& hash) {
    ReviewEvent e;
    e.at_ms = 1000;
    e.kind = k;
    e.run_id = "r1";
    e.stage = m_stage;
    e.hash = hash;
    e.actor = actor;
    return e;
  }
  void expect_intact(ReviewStore& rs) {
    auto all = rs.events("");
    ASSERT_TRUE(all) << all.error().message;
    auto head = rs.chain_head();
    ASSERT_TRUE(head) << head.error().message;
    auto problems = verify_chain(*all, *head);
    EXPECT_TRUE(problems.empty()) << "row " << problems.front().id << ": " << problems.front().what;
  }
  std::string m_url;
  std::string m_stage;
  base::TempDir m_dir;
  std::vector<std::unique_ptr<Database>> m_dbs;
};

TEST_P(ReviewBackends, ChainDetectsEditedDeletedAndTruncatedRows) {
  auto rs = open();
  ASSERT_TRUE(rs);
  const std::string hash = base::testing::unique_name("h");
  for (auto* a : {"a@x", "b@x", "c@x"}) {
    auto e = rs->append_event(ev(ReviewEventKind::approved, a, hash));
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->row_hash, event_row_hash(*e));
  }
  auto head = rs->chain_head();
  ASSERT_TRUE(head && *head);
  auto all = rs->events("");
  ASSERT_TRUE(all);
  ASSERT_GE(all->size(), 3u);
  EXPECT_EQ(all->back().row_hash, (*head)->second);
  EXPECT_TRUE(verify_chain(*all, *head).empty());

  auto edited = *all;
  edited[edited.size() - 2].actor = "mallory@x";
  auto p = verify_chain(edited, *head);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].id, edited[edited.size() - 2].id);

  auto middle_gone = *all;
  middle_gone.erase(middle_gone.end() - 2);
  EXPECT_FALSE(verify_chain(middle_gone, *head).empty());

  auto tail_gone = *all;
  tail_gone.pop_back();
  auto t = verify_chain(tail_gone, *head);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_NE(t[0].what.find("chain head"), std::string::npos);
}

TEST_P(ReviewBackends, ApproveAndRejectAreDecisionsAboutTheContent) {
  auto rs = open();
  ASSERT_TRUE(rs);
  const std::string h1 = base::testing::unique_name("h1"), h2 = base::testing::unique_name("h2");
  ReviewRequest r;
  r.run_id = base::testing::unique_name("run");
  r.stage = m_stage;
  r.hash = h1;
  r.manifest = "manifest";
  r.files_json = "[]";
  r.why = "critical";
  r.requested_by = "alice@x";
  r.created_ms = 5;
  ASSERT_TRUE(rs->put_request(r));
  ASSERT_TRUE(rs->append_event(ev(ReviewEventKind::requested, "alice@x", h1)));
  auto none = rs->decisions(h1);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());  // a request is no decision
  auto approved = rs->append_event(ev(ReviewEventKind::approved, "bob@x", h1));
  ASSERT_TRUE(approved) << approved.error().message;
  ASSERT_TRUE(rs->set_state(h1, ReviewState::approved));
  auto got = rs->request(r.run_id, m_stage);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->state, ReviewState::approved);
  EXPECT_EQ((*got)->requested_by, "alice@x");
  EXPECT_EQ((*got)->why, "critical");
  auto d = rs->decisions(h1);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].actor, "bob@x");
  EXPECT_EQ((*d)[0].id, approved->id);

  ASSERT_TRUE(rs->append_event(ev(ReviewEventKind::rejected, "carol@x", h2)));
  auto rd = rs->decisions(h2);
  ASSERT_TRUE(rd);
  ASSERT_EQ(rd->size(), 1u);
  EXPECT_EQ((*rd)[0].kind, ReviewEventKind::rejected);
  auto of_run = rs->requests(r.run_id);
  ASSERT_TRUE(of_run);
  ASSERT_EQ(of_run->size(), 1u);
  EXPECT_EQ((*of_run)[0].hash, h1);
  expect_intact(*rs);
}

TEST_P(ReviewBackends, NewContentOutdatesPendingRequestsOfTheStage) {
  auto rs = open();
  ASSERT_TRUE(rs);
  const std::string h1 = base::testing::unique_name("h1"), h2 = base::testing::unique_name("h2");
  ReviewRequest r;
  r.run_id = base::testing::unique_name("r1");
  r.stage = m_stage;
  r.hash = h1;
  r.created_ms = 1;
  ASSERT_EQ(*rs->put_request(r), 0);
  const std::string first = r.run_id;
  r.run_id = base::testing::unique_name("r2");
  r.hash = h2;
  r.created_ms = 2;
  ASSERT_EQ(*rs->put_request(r), 1);
  EXPECT_EQ((*rs->request(first, m_stage))->state, ReviewState::outdated);
  EXPECT_EQ((*rs->request(r.run_id, m_stage))->state, ReviewState::pending);
  ASSERT_TRUE(rs->set_state(h2, ReviewState::approved));
  EXPECT_EQ((*rs->last_approved_other(m_stage, "h3"))->hash, h2);
  EXPECT_FALSE(*rs->last_approved_other(m_stage, h2));
  // An outdated request stays outdated whatever is decided about its content.
  ASSERT_TRUE(rs->set_state(h1, ReviewState::approved));
  EXPECT_EQ((*rs->request(first, m_stage))->state, ReviewState::outdated);
  // Replacing a run's request of a stage keeps one row.
  r.hash = base::testing::unique_name("h3");
  ASSERT_TRUE(rs->put_request(r));
  auto mine = rs->requests(r.run_id);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].hash, r.hash);
}

TEST_P(ReviewBackends, BlobsKeepEveryByte) {
  auto rs = open();
  ASSERT_TRUE(rs);
  const std::string bytes = std::string("a\0b\xff\n", 5) + base::testing::unique_name("x");
  const std::string key = base::testing::unique_name("sha");
  ASSERT_TRUE(rs->put_blob(key, bytes));
  ASSERT_TRUE(rs->put_blob(key, bytes));  // twice: kept once
  auto got = rs->blob(key);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, bytes);
  EXPECT_FALSE(*rs->blob(base::testing::unique_name("none")));
}

TEST_P(ReviewBackends, TheEventLogRefusesUpdateAndDelete) {
  auto rs = open();
  ASSERT_TRUE(rs);
  auto e = rs->append_event(ev(ReviewEventKind::approved, "bob@x", base::testing::unique_name("h")));
  ASSERT_TRUE(e);
  for (const std::string& sql : {fmt::format("UPDATE review_events SET actor = 'mallory@x' WHERE id = {}", e->id),
                                fmt::format("DELETE FROM review_events WHERE id = {}", e->id)}) {
    auto t = tamper(*rs, sql);
    ASSERT_FALSE(t) << sql << " was not refused";
    EXPECT_NE(t.error().message.find("append-only"), std::string::npos) << t.error().message;
  }
  if (GetParam() == "postgres") {
    auto t = tamper(*rs, "TRUNCATE review_events");
    ASSERT_FALSE(t) << "TRUNCATE was not refused";
    EXPECT_NE(t.error().message.find("append-only"), std::string::npos) << t.error().message;
  }
  auto all = rs->events("");
  ASSERT_TRUE(all);
  bool found = false;
  for (const auto& x : *all) found = found || (x.id == e->id && x.actor == "bob@x");
  EXPECT_TRUE(found);
  expect_intact(*rs);
}

// Two (here: four) runners approving at once: every event gets its own id, each links to the
// one before it, and the head names the last. Each thread has its own connection.
TEST_P(ReviewBackends, ConcurrentAppendsKeepOneValidChain) {
  constexpr int k_threads = 4, k_each = 25;
  std::vector<std::unique_ptr<ReviewStore>> stores;
  for (int i = 0; i < k_threads; ++i) {
    stores.push_back(open());
    ASSERT_TRUE(stores.back());
  }
  auto before = stores[0]->events("");
  ASSERT_TRUE(before);
  const std::string hash = base::testing::unique_name("h");
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < k_each; ++j) {
        auto e = stores[static_cast<size_t>(i)]->append_event(
            ev(ReviewEventKind::approved, fmt::format("user{}@x", i), hash));
        if (!e) {
          std::lock_guard lock(mu);
          if (failures++ == 0) first_error = e.error().message;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  auto mine = stores[0]->decisions(hash);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->size(), static_cast<size_t>(k_threads * k_each));
  expect_intact(*stores[0]);
}

INSTANTIATE_TEST_SUITE_P(Store, ReviewBackends, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

}  // namespace
