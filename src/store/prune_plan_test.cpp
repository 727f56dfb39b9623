#include "store/prune_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace sluice::store;

namespace {
bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

PruneSnapshot three_entries() {
  PruneSnapshot s;
  s.step_entries = {{"old", 100, {"b_old", "b_shared"}}, {"mid", 200, {"b_mid"}}, {"new", 300, {"b_new", "b_shared"}}};
  s.blob_bytes = {{"b_old", 10}, {"b_shared", 1}, {"b_mid", 20}, {"b_new", 30}, {"b_orphan", 5}};
  return s;
}
}  // namespace

TEST(PrunePlan, NoLimitsDeleteOnlyOrphanBlobs) {
  PrunePlan p = plan_prune(three_entries(), {});
  EXPECT_TRUE(p.step_keys.empty());
  EXPECT_EQ(p.blobs, std::vector<std::string>{"b_orphan"});
  EXPECT_EQ(p.blob_bytes, 5);
  EXPECT_EQ(p.kept_bytes, 61);
}

TEST(PrunePlan, OlderThanDeletesEntriesAndTheBlobsOnlyTheyReference) {
  PruneLimits l;
  l.older_than_cutoff_ms = 250;
  PrunePlan p = plan_prune(three_entries(), l);
  EXPECT_EQ(p.step_keys, (std::vector<std::string>{"old", "mid"}));
  // b_shared is still referenced by "new": never deleted.
  EXPECT_EQ(p.blobs, (std::vector<std::string>{"b_mid", "b_old", "b_orphan"}));
  EXPECT_EQ(p.blob_bytes, 35);
  EXPECT_EQ(p.kept_bytes, 31);
}

TEST(PrunePlan, MaxSizeEvictsLeastRecentlyUsedFirst) {
  PruneLimits l;
  l.max_bytes = 40;
  PrunePlan p = plan_prune(three_entries(), l);
  // 61 bytes: dropping "old" frees 10 (b_shared stays with "new") -> 51; then "mid" -> 31.
  EXPECT_EQ(p.step_keys, (std::vector<std::string>{"old", "mid"}));
  EXPECT_EQ(p.kept_bytes, 31);
  EXPECT_FALSE(p.over_limit);
  l.max_bytes = 55;
  p = plan_prune(three_entries(), l);
  EXPECT_EQ(p.step_keys, std::vector<std::string>{"old"});
}

TEST(PrunePlan, MaxSizeCountsLlmResponsesInTheSameLru) {
  PruneSnapshot s = three_entries();
  s.llm_entries = {{"llm_oldest", 50, 100}, {"llm_newest", 400, 4}};
  PruneLimits l;
  l.max_bytes = 65;
  PrunePlan p = plan_prune(s, l);
  EXPECT_EQ(p.llm_keys, std::vector<std::string>{"llm_oldest"});
  EXPECT_EQ(p.llm_bytes, 100);
  EXPECT_TRUE(p.step_keys.empty());
  EXPECT_EQ(p.kept_bytes, 65);
}

TEST(PrunePlan, KeepRunsProtectsWhatTheNewestRunsUsedAndDeletesOlderRuns) {
  PruneSnapshot s = three_entries();
  s.runs = {{"r1", 1, 10, false, {"old"}, 7}, {"r2", 2, 20, false, {"mid"}, 3}, {"r3", 3, 30, false, {"new"}, 1}};
  PruneLimits l;
  l.keep_runs = 2;
  l.older_than_cutoff_ms = 1000;  // everything is old
  PrunePlan p = plan_prune(s, l);
  EXPECT_EQ(p.run_ids, std::vector<std::string>{"r1"});
  EXPECT_EQ(p.log_bytes, 7);
  EXPECT_EQ(p.step_keys, std::vector<std::string>{"old"});
  EXPECT_FALSE(has(p.blobs, "b_shared"));
  EXPECT_TRUE(has(p.blobs, "b_old"));
  // Protected entries are not evicted for size either; the plan says the limit is not met.
  l.older_than_cutoff_ms.reset();
  l.max_bytes = 1;
  p = plan_prune(s, l);
  EXPECT_EQ(p.step_keys, std::vector<std::string>{"old"});
  EXPECT_TRUE(p.over_limit);
}

TEST(PrunePlan, RunningRunsAndWhatTheyUseAreNeverPruned) {
  PruneSnapshot s = three_entries();
  s.runs = {{"live", 1, 10, true, {"old"}, 0}, {"done", 2, 20, false, {}, 0}};
  PruneLimits l;
  l.keep_runs = 0;
  l.older_than_cutoff_ms = 1000;
  PrunePlan p = plan_prune(s, l);
  EXPECT_EQ(p.run_ids, std::vector<std::string>{"done"});
  EXPECT_EQ(p.step_keys, (std::vector<std::string>{"mid", "new"}));
  EXPECT_FALSE(has(p.blobs, "b_old"));
  EXPECT_FALSE(has(p.blobs, "b_shared"));
}

TEST(PrunePlan, OlderThanAloneDeletesOldRunsButNotRecentOnes) {
  PruneSnapshot s;
  s.runs = {{"a", 1, 10, false, {}, 0}, {"b", 2, 500, false, {}, 0}};
  PruneLimits l;
  l.older_than_cutoff_ms = 100;
  EXPECT_EQ(plan_prune(s, l).run_ids, std::vector<std::string>{"a"});
}

TEST(PrunePlan, DuplicateBlobsInOneEntryAreCountedOnce) {
  PruneSnapshot s;
  s.step_entries = {{"a", 1, {"x", "x"}}, {"b", 2, {"y"}}};
  s.blob_bytes = {{"x", 10}, {"y", 10}};
  PruneLimits l;
  l.max_bytes = 15;
  PrunePlan p = plan_prune(s, l);
  EXPECT_EQ(p.step_keys, std::vector<std::string>{"a"});
  EXPECT_EQ(p.blobs, std::vector<std::string>{"x"});
  EXPECT_EQ(p.kept_bytes, 10);
}

TEST(PrunePlan, HundredThousandEntriesStayLinearish) {
  PruneSnapshot s;
  for (int i = 0; i < 100000; ++i) {
    std::string b = std::to_string(i);
    s.step_entries.push_back({"k" + b, i, {b}});
    s.blob_bytes[b] = 100;
  }
  PruneLimits l;
  l.max_bytes = 100 * 1000;
  PrunePlan p = plan_prune(s, l);
  EXPECT_EQ(p.step_keys.size(), 99000u);
  EXPECT_EQ(p.step_keys.front(), "k0");
  EXPECT_EQ(p.kept_bytes, 100 * 1000);
}

TEST(PrunePlan, ProtectNewestKeepsTheLastRunsEntriesWithoutDeletingRuns) {
  PruneSnapshot s = three_entries();
  s.runs = {{"r1", 1, 10, false, {"new"}, 0}, {"r2", 2, 20, false, {"old"}, 0}};
  PruneLimits l;
  l.max_bytes = 1;
  l.protect_newest = 1;
  PrunePlan p = plan_prune(s, l);
  EXPECT_TRUE(p.run_ids.empty());
  EXPECT_EQ(p.step_keys, (std::vector<std::string>{"mid", "new"}));
  EXPECT_TRUE(p.over_limit);
}
