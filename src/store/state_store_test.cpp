#include "store/state_store.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "base/files.h"
#include "store/state_layout.h"

using namespace sluice;
using namespace sluice::store;

TEST(StateStore, RunsAndStagesRoundTripInARealFile) {
  base::TempDir dir;
  {
    auto st = StateStore::open(dir.path() / ".sluice");
    ASSERT_TRUE(st.has_value()) << st.error().message;
    auto run = (*st)->begin_run("sluice.yml", 2, ::getpid(), 1000, "");
    ASSERT_TRUE(run.has_value()) << run.error().message;
    EXPECT_EQ(run->seq, 1);
    StageRecord s;
    s.run_id = run->id;
    s.name = "lint";
    s.status = StageStatus::success;
    s.exit_code = 0;
    s.attempts = 1;
    s.duration_ms = 42;
    ASSERT_TRUE((*st)->put_stage(s).has_value());
    ASSERT_TRUE((*st)->finish_run(run->id, RunStatus::success, 2000, 1000).has_value());
  }
  auto st = StateStore::open(dir.path() / ".sluice");
  ASSERT_TRUE(st.has_value());
  auto runs = (*st)->list_runs(10);
  ASSERT_TRUE(runs.has_value());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].status, RunStatus::success);
  auto stages = (*st)->stages_of((*runs)[0].id);
  ASSERT_TRUE(stages.has_value());
  ASSERT_EQ(stages->size(), 1u);
  EXPECT_EQ((*stages)[0].duration_ms, 42);
  auto found = (*st)->find_run("1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->id, (*runs)[0].id);
}

TEST(StateStore, RunOfDeadProcessIsInterrupted) {
  base::TempDir dir;
  auto st = StateStore::open(dir.path());
  ASSERT_TRUE(st.has_value());
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  auto run = (*st)->begin_run("p.yml", 1, child, 1, "");
  ASSERT_TRUE(run.has_value());
  auto runs = (*st)->list_runs(5);
  ASSERT_TRUE(runs.has_value());
  EXPECT_EQ((*runs)[0].status, RunStatus::interrupted);
  // the next run marks it in the database too
  auto run2 = (*st)->begin_run("p.yml", 1, ::getpid(), 2, "");
  ASSERT_TRUE(run2.has_value());
  auto again = (*st)->find_run(run->id);
  ASSERT_TRUE(again.has_value() && again->has_value());
  EXPECT_EQ((*again)->status, RunStatus::interrupted);
}

TEST(StateStore, CacheAndFileStats) {
  base::TempDir dir;
  auto st = StateStore::open(dir.path());
  ASSERT_TRUE(st.has_value());
  auto miss = (*st)->cache_lookup("k", 5);
  ASSERT_TRUE(miss.has_value());
  EXPECT_FALSE(miss->has_value());
  ASSERT_TRUE((*st)->cache_put({"k", "lint", "[]", 1, 1, 10}).has_value());
  auto hit = (*st)->cache_lookup("k", 5);
  ASSERT_TRUE(hit.has_value() && hit->has_value());
  EXPECT_EQ((*hit)->stage, "lint");

  std::unordered_map<std::string, FileStat> stats{{"a.txt", {3, 99, 98, 7, "abc"}}};
  ASSERT_TRUE((*st)->save_file_stats(stats).has_value());
  auto loaded = (*st)->load_file_stats();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->at("a.txt").sha256, "abc");
}

TEST(StateStore, NewerSchemaIsRefused) {
  base::TempDir dir;
  {
    auto db = Database::open(dir.path() / "state.db", all_migrations());
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)->exec("PRAGMA user_version = 999").has_value());
  }
  auto st = StateStore::open(dir.path());
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("newer"), std::string::npos);
}

TEST(Status, EveryStateHasOneSpellingThatRoundTrips) {
  for (auto s : {StageStatus::pending, StageStatus::running, StageStatus::success, StageStatus::failed,
                 StageStatus::skipped, StageStatus::cancelled, StageStatus::interrupted}) {
    EXPECT_EQ(stage_status_from(to_string(s)), s) << to_string(s);
  }
  for (auto s : {RunStatus::running, RunStatus::success, RunStatus::failed, RunStatus::interrupted}) {
    EXPECT_EQ(run_status_from(to_string(s)), s) << to_string(s);
  }
  // The stored spellings are the ones recorded by earlier versions.
  EXPECT_EQ(to_string(StageStatus::skipped), "skipped");
  EXPECT_EQ(to_string(RunStatus::interrupted), "interrupted");
  EXPECT_EQ(stage_status_from("Success"), std::nullopt);
  EXPECT_FALSE(is_finished(StageStatus::running));
  EXPECT_TRUE(is_finished(StageStatus::cancelled));
}

TEST(StateLayout, NamesEveryPlaceOnce) {
  auto l = StateLayout::of_workspace("/ws");
  EXPECT_EQ(l.dir(), "/ws/.sluice");
  EXPECT_EQ(l.database(), "/ws/.sluice/state.db");
  EXPECT_EQ(l.cas(), "/ws/.sluice/cas");
  EXPECT_EQ(l.run_logs("r1"), "/ws/.sluice/runs/r1");
  EXPECT_EQ(l.locks(), "/ws/.sluice/locks");
}

TEST(StateStore, CacheLookupAtTimeZeroOnlyReads) {
  base::TempDir dir;
  auto st = StateStore::open(dir.path() / ".sluice");
  ASSERT_TRUE(st.has_value()) << st.error().message;
  ASSERT_TRUE((*st)->cache_put({"k", "build", "[]", 100, 100, 1}).has_value());
  ASSERT_TRUE((*st)->cache_lookup("k", 0).has_value());  // sluice plan's peek
  auto e = (*st)->cache_lookup("k", 500);
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->last_used_ms, 100);  // the peek left it as it was
  e = (*st)->cache_lookup("k", 0);
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->last_used_ms, 500);
}
