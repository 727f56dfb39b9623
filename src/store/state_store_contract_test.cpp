// The StateStore contract, run against both backends (parameterised): SQLite always, PostgreSQL
// when SLUICE_TEST_PG_URL names a server (tests/e2e/test_shared_state.sh starts a throwaway
// cluster, runs these with it set and checks that the postgres cases ran). Each PostgreSQL test
// gets a schema of its own, so the sequence and tables start empty.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/files.h"
#include "base/testing/postgres.h"
#include "store/pg_state_store.h"
#include "store/run_lease.h"
#include "store/state_store.h"

namespace sluice::store {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A fresh schema in the test server; returns the URL that uses it.
std::string fresh_schema_url() {
  static std::atomic<int> n{0};
  const std::string schema = fmt::format("sluice_t_{}_{}_{}", ::getpid(), std::random_device{}() % 100000, n++);
  auto admin = PgConnection::connect(base::testing::test_pg_url());
  if (!admin) return "";
  if (!(*admin)->exec(fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema))) return "";
  const std::string base = base::testing::test_pg_url();
  // A statement that waits for a lock fails after 5 s instead of hanging the test.
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema +
         "%20-cstatement_timeout%3D5000";
}

class StateStoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (pg()) {
      if (base::testing::test_pg_url().empty())
        GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set (tests/e2e/test_shared_state.sh sets it)";
      m_url = fresh_schema_url();
      ASSERT_FALSE(m_url.empty()) << "cannot create a schema in " << base::testing::test_pg_url();
    }
    m_store = open_in(m_dir.path() / ".sluice");
    ASSERT_NE(m_store, nullptr);
  }
  [[nodiscard]] bool pg() const { return GetParam() == "postgres"; }
  std::unique_ptr<StateStore> open_in(const std::filesystem::path& dir) {
    auto st = StateStore::open(dir, m_url);
    EXPECT_TRUE(st.has_value()) << st.error().message;
    return st ? std::move(*st) : nullptr;
  }
  // Runs raw SQL in the backend (for what the interface never does: pretending a run lives on
  // another machine). `sqlite` and `postgres` are the two dialects of the same change.
  void raw(const std::string& sqlite, const std::string& postgres) {
    if (pg()) {
      auto r = dynamic_cast<PgStateStore&>(*m_store).connection().exec(postgres);
      ASSERT_TRUE(r.has_value()) << r.error().message;
    } else {
      auto r = m_store->db().exec(sqlite);
      ASSERT_TRUE(r.has_value()) << r.error().message;
    }
  }
  // Moves run `id` to another PID namespace (a container; `boot`: another machine) whose last
  // heartbeat is `age_ms` old.
  void move_elsewhere(const std::string& id, int64_t age_ms, const std::string& boot = "") {
    const std::string set_boot = boot.empty() ? "" : fmt::format("boot_id = '{}', ", boot);
    raw(fmt::format("UPDATE runs SET {}pid_ns = 'pid:[1]', heartbeat_ms = {} WHERE id = '{}'", set_boot,
                    now_ms() - age_ms, id),
        fmt::format("UPDATE sluice_runs SET {}pid_ns = 'pid:[1]', heartbeat_ms = "
                    "(extract(epoch from clock_timestamp()) * 1000)::bigint - {} WHERE run_id = '{}'",
                    set_boot, age_ms, id));
  }
  RunRecord begin(int64_t at_ms = 1000) {
    auto r = m_store->begin_run("sluice.yml", 2, ::getpid(), at_ms, "-j 2");
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? *r : RunRecord{};
  }

  base::TempDir m_dir;
  std::string m_url;
  std::unique_ptr<StateStore> m_store;
};

TEST_P(StateStoreContract, RunsAndStagesRoundTrip) {
  const RunRecord a = begin(1000);
  const RunRecord b = begin(2000);
  EXPECT_EQ(a.seq, 1);
  EXPECT_EQ(b.seq, 2);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(m_store->shared(), pg());
  EXPECT_TRUE(m_store->recorded_here(a));

  StageRecord s;
  s.run_id = a.id;
  s.name = "build";
  s.index = 1;
  s.kind = "run";
  s.status = StageStatus::running;
  s.needs = "lint";
  s.pgid = 4242;
  StageRecord lint;
  lint.run_id = a.id;
  lint.name = "lint";
  lint.index = 0;
  ASSERT_TRUE(m_store->put_stages({s, lint}).has_value());
  // A transition replaces the row.
  s.status = StageStatus::success;
  s.exit_code = 0;
  s.attempts = 2;
  s.started_ms = 1100;
  s.ended_ms = 1500;
  s.duration_ms = 400;
  s.cache_hit = true;
  s.cache_key = "k1";
  s.log_path = "/logs/build.log";
  s.reason = "why";
  s.details = R"({"phase":1})";
  s.pgid.reset();
  ASSERT_TRUE(m_store->put_stage(s).has_value());
  ASSERT_TRUE(m_store->finish_run(a.id, RunStatus::success, 3000, 2000).has_value());

  auto runs = m_store->list_runs(10);
  ASSERT_TRUE(runs.has_value()) << runs.error().message;
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, b.id);  // newest first
  EXPECT_EQ((*runs)[0].status, RunStatus::running);
  EXPECT_EQ((*runs)[1].status, RunStatus::success);
  EXPECT_EQ((*runs)[1].duration_ms, 2000);
  EXPECT_EQ((*runs)[1].ended_ms, 3000);
  EXPECT_EQ((*runs)[1].started_ms, 1000);
  EXPECT_EQ((*runs)[1].jobs, 2);
  EXPECT_EQ((*runs)[1].options, "-j 2");
  EXPECT_EQ((*runs)[1].pid, ::getpid());
  EXPECT_FALSE((*runs)[1].boot_id.empty());
  ASSERT_EQ(m_store->list_runs(1)->size(), 1u);

  auto stages = m_store->stages_of(a.id);
  ASSERT_TRUE(stages.has_value()) << stages.error().message;
  ASSERT_EQ(stages->size(), 2u);
  EXPECT_EQ((*stages)[0].name, "lint");  // by index
  const StageRecord& got = (*stages)[1];
  EXPECT_EQ(got.status, StageStatus::success);
  EXPECT_EQ(got.exit_code, 0);
  EXPECT_EQ(got.attempts, 2);
  EXPECT_EQ(got.started_ms, 1100);
  EXPECT_EQ(got.ended_ms, 1500);
  EXPECT_EQ(got.duration_ms, 400);
  EXPECT_TRUE(got.cache_hit);
  EXPECT_EQ(got.cache_key, "k1");
  EXPECT_EQ(got.log_path, "/logs/build.log");
  EXPECT_EQ(got.reason, "why");
  EXPECT_EQ(got.needs, "lint");
  EXPECT_EQ(got.details, R"({"phase":1})");
  EXPECT_FALSE(got.pgid.has_value());
  EXPECT_FALSE((*stages)[0].exit_code.has_value());
  EXPECT_TRUE(m_store->stages_of("no-such-run")->empty());
}

TEST_P(StateStoreContract, FindRunSelectors) {
  const RunRecord a = begin(1000);
  const RunRecord b = begin(1000);
  auto last = m_store->find_run("last");
  ASSERT_TRUE(last.has_value() && last->has_value());
  EXPECT_EQ((*last)->id, b.id);
  auto empty = m_store->find_run("");
  ASSERT_TRUE(empty.has_value() && empty->has_value());
  EXPECT_EQ((*empty)->id, b.id);
  auto by_seq = m_store->find_run("1");
  ASSERT_TRUE(by_seq.has_value() && by_seq->has_value());
  EXPECT_EQ((*by_seq)->id, a.id);
  auto by_id = m_store->find_run(a.id);
  ASSERT_TRUE(by_id.has_value() && by_id->has_value());
  EXPECT_EQ((*by_id)->seq, 1);
  // A prefix that is unique: everything up to and including the seq and the dash after it.
  const std::string prefix = a.id.substr(0, a.id.rfind('-') + 1);
  auto by_prefix = m_store->find_run(prefix);
  ASSERT_TRUE(by_prefix.has_value() && by_prefix->has_value()) << prefix;
  EXPECT_EQ((*by_prefix)->id, a.id);
  // Both started in the same second: the date prefix is ambiguous.
  auto ambiguous = m_store->find_run(a.id.substr(0, 15));
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_NE(ambiguous.error().message.find("ambiguous"), std::string::npos);
  auto none = m_store->find_run("99");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto none_id = m_store->find_run("zzzz-not-an-id");
  ASSERT_TRUE(none_id.has_value());
  EXPECT_FALSE(none_id->has_value());
}

TEST_P(StateStoreContract, CacheLookupPutAndTouch) {
  auto miss = m_store->cache_lookup("k", 5000);
  ASSERT_TRUE(miss.has_value()) << miss.error().message;
  EXPECT_FALSE(miss->has_value());
  ASSERT_TRUE(m_store->cache_put({"k", "build", R"([{"path":"a","blob":"b","mode":420}])", 1000, 1000, 77}));
  auto peek = m_store->cache_lookup("k", 0);
  ASSERT_TRUE(peek.has_value() && peek->has_value());
  EXPECT_EQ((*peek)->stage, "build");
  EXPECT_EQ((*peek)->outputs_json, R"([{"path":"a","blob":"b","mode":420}])");
  EXPECT_EQ((*peek)->created_ms, 1000);
  EXPECT_EQ((*peek)->duration_ms, 77);
  EXPECT_EQ((*peek)->last_used_ms, 1000);
  // A lookup with a time marks the entry used then; a peek (0) does not.
  ASSERT_TRUE(m_store->cache_lookup("k", 5000).has_value());
  ASSERT_TRUE(m_store->cache_lookup("k", 0).has_value());
  EXPECT_EQ((*m_store->cache_lookup("k", 0))->last_used_ms, 5000);
  // A put replaces the entry.
  ASSERT_TRUE(m_store->cache_put({"k", "build", "[]", 6000, 6000, 5}));
  EXPECT_EQ((*m_store->cache_lookup("k", 0))->outputs_json, "[]");
  ASSERT_TRUE(m_store->cache_put({"k2", "test", "[]", 6000, 6000, 5}));
  auto index = m_store->cache_index();
  ASSERT_TRUE(index.has_value()) << index.error().message;
  ASSERT_EQ(index->size(), 2u);
  for (const auto& row : *index) EXPECT_TRUE(row.own) << row.key;
  ASSERT_TRUE(m_store->delete_cache_entries({"k"}).has_value());
  EXPECT_FALSE(m_store->cache_lookup("k", 0)->has_value());
  EXPECT_TRUE(m_store->cache_lookup("k2", 0)->has_value());
}

TEST_P(StateStoreContract, DeadRunsAreInterruptedByTheirLease) {
  // A run of this machine whose process is gone: dead at once.
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  auto gone = m_store->begin_run("p.yml", 1, child, 1000, "");
  ASSERT_TRUE(gone.has_value()) << gone.error().message;
  StageRecord s;
  s.run_id = gone->id;
  s.name = "build";
  s.status = StageStatus::running;
  ASSERT_TRUE(m_store->put_stage(s).has_value());
  // A run in another PID namespace: alive while its heartbeat is fresh, dead once it is older
  // than the lease timeout.
  const RunRecord far = begin(1000);
  move_elsewhere(far.id, 1000);
  const RunRecord alive = begin(1000);  // this process: alive

  auto runs = m_store->list_runs(10);
  ASSERT_TRUE(runs.has_value());
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].status, RunStatus::running);      // alive
  EXPECT_EQ((*runs)[1].status, RunStatus::running);      // far, fresh heartbeat
  EXPECT_EQ((*runs)[2].status, RunStatus::interrupted);  // gone, judged (begin_run marked it too)

  const int64_t timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(k_lease_timeout).count();
  move_elsewhere(far.id, timeout_ms + 30'000);
  auto judged = m_store->find_run(far.id);
  ASSERT_TRUE(judged.has_value() && judged->has_value());
  EXPECT_EQ((*judged)->status, RunStatus::interrupted);  // shown so before anyone marks it
  auto marked = m_store->mark_dead_runs_interrupted(now_ms());
  ASSERT_TRUE(marked.has_value()) << marked.error().message;
  EXPECT_EQ(*marked, 1);  // far; gone was marked by the begin_run after it
  EXPECT_EQ(*m_store->mark_dead_runs_interrupted(now_ms()), 0);
  auto stages = m_store->stages_of(gone->id);
  ASSERT_EQ(stages->size(), 1u);
  EXPECT_EQ((*stages)[0].status, StageStatus::interrupted);
  EXPECT_NE((*stages)[0].reason.value_or("").find("killed"), std::string::npos);
  EXPECT_EQ((*m_store->find_run(alive.id))->status, RunStatus::running);
  // The heartbeat renews a lease.
  const RunRecord renewed = begin(1000);
  move_elsewhere(renewed.id, timeout_ms + 30'000);
  ASSERT_TRUE(m_store->heartbeat(renewed.id, now_ms()).has_value());
  EXPECT_EQ((*m_store->find_run(renewed.id))->status, RunStatus::running);
  // Another boot id: shared state (PostgreSQL) takes it for another machine, alive while its
  // heartbeat is fresh; the workspace's SQLite database for an earlier boot of this one: dead.
  const RunRecord other_boot = begin(1000);
  move_elsewhere(other_boot.id, 1000, "another-machine");
  EXPECT_EQ((*m_store->find_run(other_boot.id))->status, pg() ? RunStatus::running : RunStatus::interrupted);
  move_elsewhere(other_boot.id, timeout_ms + 30'000, "another-machine");
  EXPECT_EQ((*m_store->find_run(other_boot.id))->status, RunStatus::interrupted);
}

TEST_P(StateStoreContract, LeftoverGroupsOfThisMachine) {
  const RunRecord a = begin(1000);
  StageRecord s;
  s.run_id = a.id;
  s.name = "serve";
  s.status = StageStatus::running;
  s.pgid = 999'999;
  s.pgid_start = 12345;
  ASSERT_TRUE(m_store->put_stage(s).has_value());
  // While the run runs, its groups are its own business.
  EXPECT_TRUE(m_store->leftover_groups()->empty());
  ASSERT_TRUE(m_store->finish_run(a.id, RunStatus::interrupted, 2000, 1000).has_value());
  auto groups = m_store->leftover_groups();
  ASSERT_TRUE(groups.has_value()) << groups.error().message;
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].run_id, a.id);
  EXPECT_EQ((*groups)[0].stage, "serve");
  EXPECT_EQ((*groups)[0].pgid, 999'999);
  EXPECT_EQ((*groups)[0].pgid_start, 12345);
  EXPECT_EQ((*groups)[0].boot_id, a.boot_id);
  ASSERT_TRUE(m_store->forget_group(a.id, "serve").has_value());
  EXPECT_TRUE(m_store->leftover_groups()->empty());

  // A group recorded on another machine: PostgreSQL never returns it (its PID means nothing
  // here); the workspace's SQLite database returns it with its boot id for the reaper to skip.
  const RunRecord b = begin(1000);
  s.run_id = b.id;
  ASSERT_TRUE(m_store->put_stage(s).has_value());
  ASSERT_TRUE(m_store->finish_run(b.id, RunStatus::failed, 2000, 1000).has_value());
  move_elsewhere(b.id, 0, "another-machine");
  auto foreign = m_store->leftover_groups();
  ASSERT_TRUE(foreign.has_value());
  if (pg()) {
    EXPECT_TRUE(foreign->empty());
  } else {
    ASSERT_EQ(foreign->size(), 1u);
    EXPECT_EQ((*foreign)[0].boot_id, "another-machine");
  }
}

TEST_P(StateStoreContract, GroupCommitAndRollback) {
  const RunRecord a = begin(1000);
  StageRecord s;
  s.run_id = a.id;
  s.name = "one";
  ASSERT_TRUE(m_store->begin_transaction().has_value());
  ASSERT_TRUE(m_store->put_stage(s).has_value());
  ASSERT_TRUE(m_store->heartbeat(a.id, now_ms()).has_value());
  ASSERT_TRUE(m_store->commit_transaction().has_value());
  EXPECT_EQ(m_store->stages_of(a.id)->size(), 1u);
  s.name = "two";
  auto failed = m_store->transaction([&]() -> Expected<void> {
    SLUICE_TRY(m_store->put_stage(s));
    return make_error(ErrorCode::io, "stop");
  });
  EXPECT_FALSE(failed.has_value());
  EXPECT_EQ(m_store->stages_of(a.id)->size(), 1u);  // rolled back
  ASSERT_TRUE(m_store->transaction([&]() -> Expected<void> { return m_store->put_stage(s); }).has_value());
  EXPECT_EQ(m_store->stages_of(a.id)->size(), 2u);
}

TEST_P(StateStoreContract, PruneReadsAndDeletes) {
  const RunRecord a = begin(1000);
  const RunRecord b = begin(1000);
  StageRecord s;
  s.run_id = a.id;
  s.name = "build";
  s.cache_key = "ka";
  ASSERT_TRUE(m_store->put_stage(s).has_value());
  s.run_id = b.id;
  s.cache_key = "kb";
  ASSERT_TRUE(m_store->put_stage(s).has_value());
  s.name = "plain";
  s.cache_key.reset();
  ASSERT_TRUE(m_store->put_stage(s).has_value());
  auto keys = m_store->stage_cache_keys();
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  EXPECT_EQ(keys->size(), 2u);
  ASSERT_TRUE(m_store->delete_runs({a.id}).has_value());
  EXPECT_FALSE(m_store->find_run(a.id)->has_value());
  EXPECT_TRUE(m_store->stages_of(a.id)->empty());
  EXPECT_EQ(m_store->stages_of(b.id)->size(), 2u);
  EXPECT_EQ(m_store->list_runs(10)->size(), 1u);
  // File stats stay in the workspace's SQLite database with either backend.
  ASSERT_TRUE(m_store->save_file_stats({{"a.txt", FileStat{1, 2, 3, 4, "abc"}}}).has_value());
  EXPECT_EQ(m_store->load_file_stats()->at("a.txt").sha256, "abc");
}

INSTANTIATE_TEST_SUITE_P(Backends, StateStoreContract, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// Two workspaces (two runners) sharing one PostgreSQL database.
class SharedStateStore : public ::testing::Test {
 protected:
  void SetUp() override {
    if (base::testing::test_pg_url().empty()) GTEST_SKIP() << "SLUICE_TEST_PG_URL is not set (tests/e2e/test_shared_state.sh sets it)";
    m_url = fresh_schema_url();
    ASSERT_FALSE(m_url.empty());
    auto a = StateStore::open(m_a.path() / ".sluice", m_url);
    auto b = StateStore::open(m_b.path() / ".sluice", m_url);
    ASSERT_TRUE(a.has_value() && b.has_value());
    m_sa = std::move(*a);
    m_sb = std::move(*b);
  }
  base::TempDir m_a, m_b;
  std::string m_url;
  std::unique_ptr<StateStore> m_sa, m_sb;
};

TEST_F(SharedStateStore, RunnersSeeEachOthersRunsButDeleteOnlyTheirOwn) {
  auto r1 = m_sa->begin_run("sluice.yml", 1, ::getpid(), 1000, "");
  auto r2 = m_sb->begin_run("sluice.yml", 1, ::getpid(), 1000, "");
  auto r3 = m_sa->begin_run("sluice.yml", 1, ::getpid(), 1000, "");
  ASSERT_TRUE(r1 && r2 && r3);
  // One sequence: numbers never collide between runners.
  EXPECT_EQ(r1->seq, 1);
  EXPECT_EQ(r2->seq, 2);
  EXPECT_EQ(r3->seq, 3);
  auto seen = m_sb->find_run(r1->id);
  ASSERT_TRUE(seen.has_value() && seen->has_value());
  EXPECT_FALSE(m_sb->recorded_here(**seen));
  EXPECT_TRUE(m_sa->recorded_here(**seen));
  EXPECT_EQ(m_sb->list_runs(10)->size(), 3u);

  ASSERT_TRUE(m_sa->cache_put({"ka", "build", "[]", 1, 1, 1}));
  ASSERT_TRUE(m_sb->cache_lookup("ka", 0)->has_value());  // one index
  auto index = m_sb->cache_index();
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->size(), 1u);
  EXPECT_FALSE(index->front().own);
  // B's prune cannot delete A's entry or run.
  ASSERT_TRUE(m_sb->delete_cache_entries({"ka"}).has_value());
  ASSERT_TRUE(m_sb->delete_runs({r1->id}).has_value());
  EXPECT_TRUE(m_sa->cache_lookup("ka", 0)->has_value());
  EXPECT_TRUE(m_sa->find_run(r1->id)->has_value());
  // Stage keys for pruning are this workspace's runs only.
  StageRecord s;
  s.run_id = r1->id;
  s.name = "build";
  s.cache_key = "ka";
  ASSERT_TRUE(m_sa->put_stage(s).has_value());
  EXPECT_EQ(m_sa->stage_cache_keys()->size(), 1u);
  EXPECT_TRUE(m_sb->stage_cache_keys()->empty());
}

TEST_F(SharedStateStore, AnOpenGroupCommitNeverHoldsAnIndexRowOthersUse) {
  // Lookups and puts are not part of the scheduler's group transaction: a runner in the middle of
  // one must not make another runner wait for (or deadlock on) an index row they both use.
  ASSERT_TRUE(m_sa->cache_put({"k", "build", "[]", 1, 1, 1}));
  auto r = m_sa->begin_run("sluice.yml", 1, ::getpid(), 1000, "");
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(m_sa->begin_transaction().has_value());
  ASSERT_TRUE(m_sa->cache_lookup("k", 5000).has_value());
  ASSERT_TRUE(m_sa->cache_put({"k2", "build", "[]", 1, 1, 1}).has_value());
  const auto t0 = std::chrono::steady_clock::now();
  auto seen = m_sb->cache_lookup("k", 6000);
  ASSERT_TRUE(seen.has_value()) << seen.error().message;
  ASSERT_TRUE(m_sb->cache_put({"k2", "build", "[1]", 2, 2, 2}).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_TRUE(m_sb->cache_lookup("k2", 0)->has_value());  // A's put is visible before A commits
  ASSERT_TRUE(m_sa->commit_transaction().has_value());
}

}  // namespace
}  // namespace sluice::store
