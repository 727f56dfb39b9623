#include "pipeline/loader.h"

#include <gtest/gtest.h>

using namespace sluice::pipeline;
using namespace std::chrono_literals;

namespace {
std::string all(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.to_string() + "\n";
  return s;
}
}  // namespace

TEST(Loader, FullExampleFromTheIssue) {
  auto r = parse_pipeline(R"(version: 1
env: { KEY: value }
secrets: [DEPLOY_TOKEN]
defaults: { timeout: 10m, shell: bash }
stages:
  lint:
    run: ./run_lint.sh
    inputs: ["src/**/*.cc"]
    outputs: [build/lint.txt]
  security:
    needs: [lint]
    locks: [workspace]
    run: ./run_security.sh
    timeout: 2m
    retries: 2
    retry_on: [timeout, "exit:75"]
    env: { LEVEL: strict }
    continue_on_error: false
)", "sluice.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  const Pipeline& p = r.pipeline;
  ASSERT_EQ(p.stages.size(), 2u);
  EXPECT_EQ(p.env.at(0).first, "KEY");
  EXPECT_EQ(p.secrets.at(0).name, "DEPLOY_TOKEN");
  EXPECT_EQ(p.secrets.at(0).mark.line, 3);
  EXPECT_EQ(p.secrets.at(0).mark.column, 11);
  EXPECT_EQ(p.stages[0].timeout, 10min);
  EXPECT_EQ(p.stages[0].inputs.at(0), "src/**/*.cc");
  const Stage& s = p.stages[1];
  EXPECT_EQ(s.needs.at(0), "lint");
  EXPECT_EQ(s.locks.at(0), "workspace");
  EXPECT_EQ(s.timeout, 2min);
  EXPECT_EQ(s.retries, 2);
  EXPECT_TRUE(s.retry_on.timeout);
  EXPECT_EQ(s.retry_on.exit_codes.at(0), 75);
  EXPECT_EQ(s.shell, "bash");
}

TEST(Loader, UnknownKeySuggestsClosest) {
  auto r = parse_pipeline("version: 1\nstages:\n  lint:\n    run: x\n  sec:\n    run: y\n    nedds: [lint]\n",
                          "sluice.yml");
  ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
  EXPECT_EQ(r.diagnostics[0].to_string(), "sluice.yml:7:5: unknown key \"nedds\" (did you mean \"needs\"?)");
}

TEST(Loader, CycleNamesMembersInOrder) {
  auto r = parse_pipeline(R"(version: 1
stages:
  a: { run: x, needs: [c] }
  b: { run: x, needs: [a] }
  c: { run: x, needs: [b] }
)", "p.yml");
  ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
  EXPECT_NE(r.diagnostics[0].message.find("dependency cycle: a -> c -> b -> a"), std::string::npos) << all(r);
}

TEST(Loader, UnknownNeedNamesTheStage) {
  auto r = parse_pipeline("version: 1\nstages:\n  lint: { run: x }\n  sec: { run: y, needs: [lnt] }\n", "p.yml");
  ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
  EXPECT_EQ(r.diagnostics[0].message,
            "stage \"sec\" needs \"lnt\", which does not exist (did you mean \"lint\"?)");
  EXPECT_EQ(r.diagnostics[0].line, 4);
}

TEST(Loader, CollectsAllErrors) {
  auto r = parse_pipeline(R"(version: 1
defaults: { timeout: 10 }
stages:
  a:
    run: "   "
  b:
    run: x
    timeout: 5 parsecs
    retries: -1
  c:
    needs: [a]
)", "p.yml");
  std::string s = all(r);
  EXPECT_NE(s.find("p.yml:2:22: \"timeout\": invalid duration \"10\""), std::string::npos) << s;
  EXPECT_NE(s.find("p.yml:5:11: stage \"a\" has an empty command"), std::string::npos) << s;
  EXPECT_NE(s.find("p.yml:8:14: \"timeout\": invalid duration \"5 parsecs\""), std::string::npos) << s;
  EXPECT_NE(s.find("p.yml:9:14: \"retries\" must be a whole number"), std::string::npos) << s;
  EXPECT_NE(s.find("p.yml:10:3: stage \"c\" has nothing to do"), std::string::npos) << s;
  EXPECT_EQ(r.diagnostics.size(), 5u) << s;
}

TEST(Loader, DuplicateStageNames) {
  auto r = parse_pipeline("version: 1\nstages:\n  a: { run: x }\n  a: { run: y }\n", "p.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(all(r).find("p.yml:4:3: duplicate key \"a\" (first defined at line 3)"), std::string::npos) << all(r);
}

TEST(Loader, VersionAndStagesRequired) {
  auto r = parse_pipeline("env: {A: b}\n", "p.yml");
  std::string s = all(r);
  EXPECT_NE(s.find("missing \"version: 1\""), std::string::npos) << s;
  EXPECT_NE(s.find("missing \"stages\""), std::string::npos) << s;
  auto v2 = parse_pipeline("version: 2\nstages: {a: {run: x}}\n", "p.yml");
  EXPECT_NE(all(v2).find("unsupported version \"2\""), std::string::npos);
}

TEST(Loader, SyntaxErrorHasPosition) {
  auto r = parse_pipeline("version: 1\nstages:\n  a: { run: x\n", "p.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(all(r).rfind("p.yml:", 0), 0u) << all(r);
}

TEST(Loader, RetryOnAndTypes) {
  auto r = parse_pipeline(R"(version: 1
stages:
  a:
    run: x
    retry_on: [sometimes, "exit:999"]
    needs: 5
    continue_on_error: maybe
    env: { 1BAD: x }
)", "p.yml");
  std::string s = all(r);
  EXPECT_NE(s.find("retry_on \"sometimes\""), std::string::npos) << s;
  EXPECT_NE(s.find("exit codes are 0-255"), std::string::npos) << s;
  EXPECT_NE(s.find("stage \"a\" needs \"5\", which does not exist"), std::string::npos) << s;
  EXPECT_NE(s.find("\"continue_on_error\" must be true or false"), std::string::npos) << s;
  EXPECT_NE(s.find("invalid environment variable name \"1BAD\""), std::string::npos) << s;
}

TEST(Loader, ValidateAndLlmKinds) {
  auto r = parse_pipeline(R"(version: 1
llm:
  providers:
    default: { kind: replay, cassettes: cassettes, model: m }
stages:
  gen:
    llm: { provider: default, prompt: hi }
  check:
    needs: [gen]
    validate: { kubernetes: k8s/generated, schema_location: schemas, strict: true, apply_units: [envs/prod] }
)", "p.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(r.pipeline.stages[1].validate->apply_units, std::vector<std::string>{"envs/prod"});
  EXPECT_EQ(r.pipeline.stages[0].kind, StageKind::llm);
  ASSERT_TRUE(r.pipeline.stages[0].llm);
  EXPECT_EQ(r.pipeline.stages[1].kind, StageKind::validate);
  EXPECT_TRUE(r.pipeline.stages[1].validate->strict);
  EXPECT_EQ(r.pipeline.stages[1].validate->kubernetes.at(0), "k8s/generated");
}

TEST(Loader, PruneKind) {
  auto r = parse_pipeline(R"(version: 1
stages:
  retention:
    prune: { policy: retention.yml, repos: [127.0.0.1:5000/app], apply: true }
)", "p.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(r.pipeline.stages[0].kind, StageKind::prune);
  EXPECT_EQ(r.pipeline.stages[0].prune->policy, "retention.yml");
  EXPECT_EQ(r.pipeline.stages[0].prune->repos, std::vector<std::string>{"127.0.0.1:5000/app"});
  EXPECT_TRUE(r.pipeline.stages[0].prune->apply);
  auto bad = parse_pipeline(R"(version: 1
stages:
  a:
    prune: { policy: p.yml, ecr_policy: e.json, repo: [x/y] }
)", "p.yml");
  ASSERT_FALSE(bad.ok());
  std::string s = all(bad);
  EXPECT_NE(s.find("p.yml:4:49: unknown key \"repo\" (did you mean \"repos\"?)"), std::string::npos) << s;
  EXPECT_NE(s.find("\"prune\" needs \"policy\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"prune\" needs \"repos\""), std::string::npos) << s;
}

TEST(Loader, PushKind) {
  auto r = parse_pipeline(R"(version: 1
stages:
  one:
    push: { from: build/image, to: 127.0.0.1:5000/app:v1 }
  many:
    push: { from: build/image, ref: v2, to: [127.0.0.1:5000/app:v2, 127.0.0.1:5000/app:latest] }
)", "p.yml");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(r.pipeline.stages[0].kind, StageKind::push);
  EXPECT_EQ(r.pipeline.stages[0].push->from, "build/image");
  EXPECT_EQ(r.pipeline.stages[0].push->to, std::vector<std::string>{"127.0.0.1:5000/app:v1"});
  EXPECT_EQ(r.pipeline.stages[1].push->ref, "v2");
  EXPECT_EQ(r.pipeline.stages[1].push->to.size(), 2u);
  auto bad = parse_pipeline(R"(version: 1
stages:
  a:
    push: { form: x }
  b:
    push: { from: x, to: [] }
    run: echo
)", "p.yml");
  ASSERT_FALSE(bad.ok());
  std::string s = all(bad);
  EXPECT_NE(s.find("p.yml:4:13: unknown key \"form\" (did you mean \"from\"?)"), std::string::npos) << s;
  EXPECT_NE(s.find("\"push\" needs \"from\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"push\" needs \"to\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"to\" names no REGISTRY/REPO:TAG"), std::string::npos) << s;
  EXPECT_NE(s.find("stage \"b\" has more than one of"), std::string::npos) << s;
}

TEST(Loader, KeepsLlmBlocksForTheLlmModule) {
  // The pipeline does not read `llm:` blocks (engine/llm_sections_test.cpp checks them); it
  // keeps them, and says when one is not a mapping.
  auto r = parse_pipeline("version: 1\nllm: [1]\nstages:\n  gen:\n    llm: hi\n", "p.yml");
  std::string s = all(r);
  EXPECT_NE(s.find("\"llm\" must be a mapping"), std::string::npos) << s;
  EXPECT_NE(s.find("\"llm\" of stage \"gen\" must be a mapping"), std::string::npos) << s;
  ASSERT_TRUE(r.pipeline.llm);
  EXPECT_FALSE(r.pipeline.stages.at(0).llm);
  EXPECT_EQ(r.pipeline.stages.at(0).kind, StageKind::llm);
}

TEST(Loader, CacheLimitsForAutomaticPruning) {
  auto r = parse_pipeline("version: 1\ncache: { max_size: 5G, max_age: 30d }\nstages:\n  a:\n    run: x\n", "sluice.yml");
  ASSERT_TRUE(r.diagnostics.empty()) << all(r);
  EXPECT_EQ(r.pipeline.cache.max_bytes, 5LL * 1024 * 1024 * 1024);
  EXPECT_EQ(r.pipeline.cache.max_age, std::chrono::milliseconds(30LL * 86'400'000));
}

TEST(Loader, BadCacheLimitsAreErrors) {
  auto r = parse_pipeline("version: 1\ncache:\n  max_size: 5X\n  max_age: soon\n  max_sise: 1G\nstages:\n  a:\n    run: x\n",
                          "sluice.yml");
  const std::string s = all(r);
  EXPECT_NE(s.find("sluice.yml:3:13: max_size: invalid size \"5X\""), std::string::npos) << s;
  EXPECT_NE(s.find("max_age"), std::string::npos) << s;
  EXPECT_NE(s.find("unknown key \"max_sise\" (did you mean \"max_size\"?)"), std::string::npos) << s;
}
