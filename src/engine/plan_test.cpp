#include "engine/plan.h"

#include <gtest/gtest.h>

#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;
using Action = PlannedStage::Action;

namespace {

struct Planner {
  std::unique_ptr<store::StateStore> store;
  std::optional<StepCache> cache;
  explicit Planner(Workspace& ws) {
    const auto layout = store::StateLayout::of_workspace(ws.dir.path());
    store = std::move(*store::StateStore::open(layout.dir()));
    cache.emplace(*store, ws.dir.path(), layout.cas());
    EXPECT_TRUE(cache->load().has_value());
  }
};

const char* k_yaml = R"(version: 1
defaults: { shell: sh }
stages:
  gen: { run: "cp in.txt gen.txt", inputs: [in.txt], outputs: [gen.txt] }
  use: { run: "cp gen.txt use.txt", needs: [gen], inputs: [gen.txt], outputs: [use.txt] }
  loose: { run: "true" }
)";

}  // namespace

TEST(Plan, UsesTheRunsKeysAndSaysWhatWouldRun) {
  Workspace ws;
  ASSERT_TRUE(ws.load(k_yaml));
  ws.write("in.txt", "one");
  {
    Planner pl(ws);
    auto plan = plan_run(ws.pipeline, {0, 1, 2}, *pl.cache, false);
    ASSERT_EQ(plan.size(), 3u);
    EXPECT_EQ(plan[0].action, Action::miss);
    EXPECT_EQ(plan[1].action, Action::after_upstream);
    EXPECT_EQ(plan[1].upstream, "gen");
    EXPECT_EQ(plan[2].action, Action::not_cached);
  }
  auto r = ws.run();
  ASSERT_TRUE(r.has_value());
  Planner pl(ws);
  auto plan = plan_run(ws.pipeline, {0, 1, 2}, *pl.cache, false);
  EXPECT_EQ(plan[0].action, Action::cached);
  EXPECT_EQ(plan[1].action, Action::cached);
  // The same walk as the scheduler's: the keys a run recorded.
  EXPECT_EQ(plan[0].key, record_of(*r, "gen").cache_key.value_or(""));
  EXPECT_EQ(plan[1].key, record_of(*r, "use").cache_key.value_or(""));
  EXPECT_TRUE(plan[2].runs());

  auto forced = plan_run(ws.pipeline, {0, 1}, *pl.cache, true);
  ASSERT_EQ(forced.size(), 2u);
  EXPECT_EQ(forced[0].action, Action::no_cache);
}

TEST(Plan, ListsOnlyTheSelectionInDependencyOrder) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  late: { run: x, needs: [early] }
  early: { run: x }
  other: { run: x }
)"));
  Planner pl(ws);
  auto plan = plan_run(ws.pipeline, {0, 1}, *pl.cache, false);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].stage, 1);
  EXPECT_EQ(plan[1].stage, 0);
  EXPECT_EQ(plan[1].action, Action::not_cached);  // no inputs: not cached, whatever its needs do
}
