#include "engine/conditions.h"

#include <gtest/gtest.h>

#include "pipeline/loader.h"

using namespace sluice;
using namespace sluice::engine;

namespace {

pipeline::Pipeline load(const char* text) {
  auto r = pipeline::parse_pipeline(text, "sluice.yml");
  EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_string());
  return std::move(r.pipeline);
}

TEST(StageOutputs, KeyValueAndHeredocLines) {
  auto v = parse_stage_outputs("version=1.2.3\nimage=sha256:abc=def\nnotes<<EOF\nline one\n\nline=three\nEOF\nversion=2\n");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, (pipeline::EnvList{{"version", "2"}, {"image", "sha256:abc=def"}, {"notes", "line one\n\nline=three"}}));
  EXPECT_TRUE(parse_stage_outputs("")->empty());
  auto bad = parse_stage_outputs("ok=1\njust text\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "$SLUICE_OUTPUT line 2: write NAME=value or NAME<<DELIMITER");
  auto open = parse_stage_outputs("x<<END\nnever closed\n");
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().message, "$SLUICE_OUTPUT: x<<END has no closing END line");
}

TEST(StageOutputs, ValuesDigestChangesWithValues) {
  EXPECT_EQ(outputs_values_digest({}), "");
  EXPECT_NE(outputs_values_digest({{"v", "1"}}), outputs_values_digest({{"v", "2"}}));
}

TEST(Conditions, DecideReadsGitEnvOutputsAndChanges) {
  auto p = load(R"(version: 1
env: { MODE: fast }
stages:
  build: { run: "true" }
  deploy:
    needs: [build]
    if: git.branch == 'main' && env.MODE == 'fast' && stages.build.outputs.version == '1.0'
    run: deploy ${{ stages.build.outputs.version }} from ${{ git.branch }}
    env: { V: "v${{ stages.build.outputs.version }}" }
  docs:
    changes: ["docs/**"]
    run: make docs
)");
  RunFacts facts;
  facts.branch = "main";
  pipeline::EnvList build_values{{"version", "1.0"}};
  bool known = false;
  OutputsOf outputs = [&](std::string_view n) -> const pipeline::EnvList* {
    return known && n == "build" ? &build_values : nullptr;
  };
  Decision d = decide(p, p.stages[1], facts, outputs);
  EXPECT_TRUE(d.deferred);
  EXPECT_EQ(d.why, "if: decided when build has run (reads its outputs)");
  known = true;
  d = decide(p, p.stages[1], facts, outputs);
  EXPECT_TRUE(d.run);
  EXPECT_EQ(d.why, "if: git.branch == 'main' && env.MODE == 'fast' && stages.build.outputs.version == '1.0' is true");
  facts.branch = "dev";
  EXPECT_FALSE(decide(p, p.stages[1], facts, outputs).run);

  auto resolved = resolve_stage(p, p.stages[1], facts, outputs);
  EXPECT_EQ(resolved.run, "deploy 1.0 from dev");
  EXPECT_EQ(resolved.env.at(0).second, "v1.0");

  // changes: true without a base, then against the changed files.
  EXPECT_TRUE(decide(p, p.stages[2], facts, outputs).run);
  facts.changed_files = std::vector<std::string>{"src/a.cc"};
  facts.changes_base = "--since main";
  d = decide(p, p.stages[2], facts, outputs);
  EXPECT_FALSE(d.run);
  EXPECT_EQ(d.why, "no file matching docs/** changed since --since main");
  facts.changed_files->push_back("docs/guide/index.md");
  EXPECT_TRUE(decide(p, p.stages[2], facts, outputs).run);
}

}  // namespace
