#include "engine/recorder.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "store/run_lease.h"

using namespace sluice;
using namespace sluice::engine;

namespace {

struct Db {
  base::TempDir dir{"sluice-recorder-test"};
  std::unique_ptr<store::StateStore> store;
  store::RunRecord run;
  Db() {
    auto s = store::StateStore::open(dir.path());
    if (!s) throw std::runtime_error(s.error().message);
    store = std::move(*s);
    auto r = store->begin_run("sluice.yml", 1, ::getpid(), 1000, "");
    if (!r) throw std::runtime_error(r.error().message);
    run = *r;
  }
  // What another connection sees (committed rows only).
  std::vector<store::StageRecord> seen() {
    auto other = store::StateStore::open(dir.path());
    auto rows = (*other)->stages_of(run.id);
    return rows ? *rows : std::vector<store::StageRecord>{};
  }
};

void init(Recorder& rec, const std::string& run_id, int i, const std::string& name) {
  auto& r = rec.stage(i);
  r.run_id = run_id;
  r.name = name;
  r.index = i;
}

}  // namespace

TEST(Recorder, AGroupIsInvisibleUntilItCommits) {
  Db db;
  Recorder rec(*db.store, db.run.id, 2);
  init(rec, db.run.id, 0, "a");
  init(rec, db.run.id, 1, "b");
  ASSERT_TRUE(rec.put_initial({0, 1}).has_value());
  ASSERT_EQ(db.seen().size(), 2u);

  const auto t0 = Recorder::Clock::now();
  ASSERT_TRUE(rec.open_group(t0));
  EXPECT_TRUE(rec.group_open());
  EXPECT_FALSE(rec.commit_due(t0));
  EXPECT_TRUE(rec.commit_due(t0 + Recorder::k_commit_interval));
  EXPECT_EQ(rec.wake_at(), t0 + Recorder::k_commit_interval);
  rec.stage(0).status = store::StageStatus::running;
  rec.changed(0);
  rec.stage(0).status = store::StageStatus::success;  // changed twice, written once
  rec.changed(0);
  rec.commit();
  EXPECT_FALSE(rec.group_open());
  auto rows = db.seen();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, store::StageStatus::success);
  EXPECT_EQ(rows[1].status, store::StageStatus::pending);
  EXPECT_FALSE(rec.error());
}

TEST(Recorder, WritesWithoutAGroupAndAtTheEnd) {
  Db db;
  Recorder rec(*db.store, db.run.id, 1);
  init(rec, db.run.id, 0, "a");
  rec.stage(0).status = store::StageStatus::skipped;
  rec.changed(0);
  rec.write_final();
  auto rows = db.seen();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, store::StageStatus::skipped);
}

TEST(Recorder, RenewsTheLeaseInsideAGroupWhenDue) {
  Db db;
  Recorder rec(*db.store, db.run.id, 1);
  const auto later = Recorder::Clock::now() + store::k_heartbeat_every + std::chrono::seconds(1);
  rec.heartbeat_if_due(later);  // no group: nothing to ride on
  auto before = db.store->find_run(db.run.id);
  ASSERT_TRUE(before && *before);
  EXPECT_EQ((*before)->heartbeat_ms, 1000);
  ASSERT_TRUE(rec.open_group(later));
  rec.heartbeat_if_due(later);
  rec.commit();
  auto after = db.store->find_run(db.run.id);
  ASSERT_TRUE(after && *after);
  EXPECT_GT((*after)->heartbeat_ms.value_or(0), 1000);
  EXPECT_GT(rec.wake_at(), later);
}
