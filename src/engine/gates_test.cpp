#include "engine/gates.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "pipeline/loader.h"

namespace sluice::engine {
namespace {

struct Planned {
  pipeline::Pipeline p;
  ReviewPlan plan;
  base::Diagnostics diags;
};

Planned plan_of(const std::string& yaml, const std::filesystem::path& ws = ".") {
  Planned out;
  auto r = pipeline::parse_pipeline(yaml, "sluice.yml");
  EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_string());
  out.p = std::move(r.pipeline);
  auto llm = parse_llm_sections(out.p, out.diags);
  out.plan = plan_review(out.p, llm, ws, out.diags);
  return out;
}

const std::string k_head = R"(version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:1/v1", model: gpt-4o-mini }
)";

TEST(Gates, CriticalOutputGatesEveryReaderTransitivelyAndNothingElse) {
  auto g = plan_of(k_head + R"(review: { critical_paths: ["k8s/**"] }
stages:
  gen: { llm: { prompt: x, output: { path: ./k8s/app.yaml } } }
  notes: { llm: { prompt: y, output: { path: docs/n.md } } }
  check: { needs: [gen], run: "true" }
  deploy: { needs: [check], run: "true" }
  pub: { needs: [notes], run: "true" }
  other: { run: "true" }
)");
  EXPECT_TRUE(g.diags.empty());
  EXPECT_FALSE(g.plan.gates[0].has_value());  // the AI stage itself is not gated
  ASSERT_TRUE(g.plan.gates[2].has_value());
  ASSERT_TRUE(g.plan.gates[3].has_value());  // transitively
  EXPECT_EQ(g.plan.gates[3]->sources.at(0).files, std::vector<std::string>{"k8s/app.yaml"});
  EXPECT_FALSE(g.plan.gates[4].has_value());  // AI output, but on no critical path
  EXPECT_FALSE(g.plan.gates[5].has_value());
}

TEST(Gates, ProtectedStageDownstreamOfAiIsGatedWithoutAReviewSection) {
  auto g = plan_of(k_head + R"(stages:
  notes: { llm: { prompt: y, output: { path: docs/n.md } } }
  pub: { needs: [notes], run: "true", protected: true }
  plain: { run: "true", protected: true }
)");
  ASSERT_TRUE(g.plan.gates[1].has_value());
  EXPECT_NE(g.plan.gates[1]->why.find("protected: true"), std::string::npos);
  EXPECT_FALSE(g.plan.gates[2].has_value());  // protected, but no AI stage upstream
}

TEST(Gates, BadPatternsAreDiagnosedAtTheirPosition) {
  auto g =
      plan_of(k_head +
              "review:\n  critical_paths: [\"ok/\", \"!k8s/\"]\nstages:\n  a: { run: \"true\" }\n");
  ASSERT_EQ(g.diags.size(), 1u);
  EXPECT_EQ(g.diags[0].to_string().rfind("sluice.yml:6:", 0), 0u) << g.diags[0].to_string();
}

TEST(Gates, AdvisoryIsTriState) {
  auto g = plan_of(k_head +
                   "stages:\n  a: { run: \"true\", advisory: true }\n  b: { run: \"true\" }\n"
                   "  c: { run: \"true\", advisory: false }\n");
  EXPECT_TRUE(g.p.stages[0].is_advisory());
  EXPECT_FALSE(g.p.stages[1].advisory.has_value());  // unset: a kind may default it (verdict: true)
  ASSERT_TRUE(g.p.stages[2].advisory.has_value());
  EXPECT_FALSE(*g.p.stages[2].advisory);
}

}  // namespace
}  // namespace sluice::engine
