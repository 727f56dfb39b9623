#include "pipeline/graph.h"

#include <gtest/gtest.h>

#include "pipeline/loader.h"

using namespace sluice::pipeline;

TEST(Graph, TopologicalOrderFollowsFileOrderAmongReady) {
  auto r = parse_pipeline(R"(version: 1
stages:
  c: { run: x, needs: [b] }
  a: { run: x }
  b: { run: x, needs: [a] }
  d: { run: x }
)", "p.yml");
  ASSERT_TRUE(r.ok());
  // a(1) and d(3) are ready first; a comes first in the file; b then becomes ready (index 2 < 3)
  EXPECT_EQ(topological_order(r.pipeline), (std::vector<int>{1, 2, 0, 3}));
  EXPECT_EQ(with_dependencies(r.pipeline, {0}), (std::vector<int>{0, 1, 2}));
}
