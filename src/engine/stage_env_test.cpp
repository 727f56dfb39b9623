#include "engine/stage_env.h"

#include <gtest/gtest.h>

#include "pipeline/loader.h"

using namespace sluice;
using namespace sluice::engine;

TEST(StageEnv, LaterLayersReplaceEarlierOnesButNotSluicesOwn) {
  auto parsed = pipeline::parse_pipeline(R"(version: 1
env: { MODE: pipeline, PATH: /opt/bin }
stages:
  build:
    run: x
    env: { MODE: stage, SLUICE_RUN_ID: forged, EXTRA: "1" }
)",
                                         "sluice.yml");
  ASSERT_TRUE(parsed.ok());
  EnvBuilder b({"PATH=/usr/bin", "HOME=/root", "MODE=inherited"}, parsed.pipeline, "run-1", "/ws");
  auto env = b.for_stage(parsed.pipeline.stages[0]);
  EXPECT_EQ(env_lookup(env, "PATH"), "/opt/bin");
  EXPECT_EQ(env_lookup(env, "HOME"), "/root");
  EXPECT_EQ(env_lookup(env, "MODE"), "stage");
  EXPECT_EQ(env_lookup(env, "SLUICE_RUN_ID"), "run-1");
  EXPECT_EQ(env_lookup(env, "SLUICE_WORKSPACE"), "/ws");
  EXPECT_EQ(env_lookup(env, "SLUICE_STAGE"), "build");
  EXPECT_EQ(env_lookup(env, "EXTRA"), "1");
  EXPECT_EQ(env_lookup(b.run_env(), "MODE"), "pipeline");  // the run's own is untouched
  // Replaced in place: the first entry stays first.
  EXPECT_EQ(env.front(), "PATH=/opt/bin");
}

TEST(StageEnv, LookupMatchesWholeNamesOnly) {
  std::vector<std::string> env{"PATHX=1", "PATH=2", "EMPTY="};
  EXPECT_EQ(env_lookup(env, "PATH"), "2");
  EXPECT_EQ(env_lookup(env, "PAT"), std::nullopt);
  EXPECT_EQ(env_lookup(env, "EMPTY"), "");
  set_env(env, "PATH", "3");
  EXPECT_EQ(env, (std::vector<std::string>{"PATHX=1", "PATH=3", "EMPTY="}));
}
