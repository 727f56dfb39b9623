#include "engine/stage_keys.h"

#include <gtest/gtest.h>

#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;

TEST(StageKeys, ADependentSeesItsNeedsOutputs) {
  Workspace ws;
  ASSERT_TRUE(ws.load(R"(version: 1
stages:
  gen: { run: x, outputs: [gen.txt] }
  use: { run: y, needs: [gen], inputs: [in.txt] }
)"));
  ws.write("in.txt", "in");
  auto store = store::StateStore::open(ws.dir.path() / ".sluice");
  ASSERT_TRUE(store.has_value());
  StepCache cache(**store, ws.dir.path(), ws.dir.path() / ".sluice" / "cas");
  ASSERT_TRUE(cache.load().has_value());

  StageKeys keys(ws.pipeline, cache);
  auto gen = keys.compute(0);
  ASSERT_TRUE(gen.has_value());
  EXPECT_EQ(keys.key(0), *gen);
  EXPECT_EQ(keys.for_dependents(0), *gen);  // outputs not known yet: the key itself
  auto use1 = keys.compute(1);
  ASSERT_TRUE(use1.has_value());

  keys.outputs_are(0, "digest-1");
  EXPECT_EQ(keys.for_dependents(0), StepCache::key_for_dependents(*gen, "digest-1"));
  auto use2 = keys.compute(1);
  keys.outputs_are(0, "digest-2");
  auto use3 = keys.compute(1);
  ASSERT_TRUE(use2 && use3);
  EXPECT_NE(*use1, *use2);
  EXPECT_NE(*use2, *use3);
  keys.outputs_are(0, "digest-1");
  EXPECT_EQ(*keys.compute(1), *use2);  // same outputs, same key
}
