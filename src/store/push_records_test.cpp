#include "store/push_records.h"

#include <gtest/gtest.h>

using namespace sluice;
using namespace sluice::store;

namespace {

TEST(PushRecords, LatestPushOfEachDigestInTheRepositoryAsked) {
  auto db = Database::open_memory(all_migrations());
  ASSERT_TRUE(db) << db.error().message;
  auto add = [&](const char* reg, const char* repo, const char* tag, const char* digest, int64_t ms, const char* run) {
    ASSERT_TRUE(record_push(**db, {reg, repo, tag, digest, ms, run}));
  };
  add("127.0.0.1:5000", "app", "v1", "sha256:a", 1000, "run-1");
  add("127.0.0.1:5000", "app", "v1-again", "sha256:a", 3000, "run-2");
  add("127.0.0.1:5000", "app", "v2", "sha256:b", 2000, "");
  add("127.0.0.1:5000", "other", "v1", "sha256:c", 5000, "run-3");
  add("127.0.0.1:6000", "app", "v1", "sha256:d", 5000, "run-3");
  auto t = push_times(**db, "127.0.0.1:5000", "app");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(*t, (std::map<std::string, int64_t>{{"sha256:a", 3000}, {"sha256:b", 2000}}));
  auto st = (*db)->prepare("SELECT COUNT(*) FROM registry_pushes WHERE run_id IS NULL");
  ASSERT_TRUE(st);
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->column_int(0), 1);  // a push from the command line has no run
}

}  // namespace
