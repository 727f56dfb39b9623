// The engine's adapter from llm's ReferenceChecker to the refs engine, on a real workspace.
#include "engine/llm_references.h"

#include <atomic>

#include <gtest/gtest.h>

#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;

namespace {

TEST(RefsReferenceChecker, FindsAnInventedImportWithItsPosition) {
  sluice::engine::testing::Workspace ws;
  ws.write("lib/helpers.py", "def f():\n    return 1\n");
  int probes = 0;
  RefsReferenceChecker checker([&] {
    ++probes;
    return refs::Toolchain{};
  });
  auto found = checker.check(ws.dir.path(), "app/main.py", "import os\nimport fastjson_utils\n", {});
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_NE((*found)[0].find("app/main.py:2:8: unresolved python import \"fastjson_utils\""), std::string::npos)
      << (*found)[0];
  // The workspace's own modules resolve; the toolchain is probed once.
  auto local = checker.check(ws.dir.path(), "main.py", "import os\nfrom lib import helpers\n", {});
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->empty()) << ::testing::PrintToString(*local);
  EXPECT_EQ(probes, 1);
}

TEST(RefsReferenceChecker, AppliesTheStagesAllowListAndImagePolicy) {
  sluice::engine::testing::Workspace ws;
  RefsReferenceChecker checker([] { return refs::Toolchain{}; });
  llm::ReferencePolicy allow;
  allow.allow = {"fastjson_*"};
  auto found = checker.check(ws.dir.path(), "main.py", "import fastjson_utils\n", allow);
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->empty());

  llm::ReferencePolicy pinned;
  pinned.image_allow = {"ghcr.io/example/*"};
  pinned.require_digest = true;
  const std::string pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: c\n      image: ghcr.io/example/web:1.0\n";
  auto images = checker.check(ws.dir.path(), "k8s/pod.yaml", pod, pinned);
  ASSERT_TRUE(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_NE((*images)[0].find("k8s/pod.yaml:6:"), std::string::npos) << (*images)[0];
}

}  // namespace
