#include "engine/llm_sections.h"

#include <gtest/gtest.h>

#include "pipeline/loader.h"

using namespace sluice;
using namespace sluice::engine;

namespace {

// Loads like the CLI does: the loader's problems and the llm module's, together.
std::string problems(const std::string& yaml, LlmSections* out = nullptr) {
  auto r = pipeline::parse_pipeline(yaml, "p.yml");
  auto sections = parse_llm_sections(r.pipeline, r.diagnostics);
  if (out) *out = std::move(sections);
  std::string s;
  for (const auto& d : r.diagnostics) s += d.to_string() + "\n";
  return s;
}

}  // namespace

TEST(LlmSections, ParsesTheSectionAndEachLlmStage) {
  LlmSections sections;
  EXPECT_EQ(problems(R"(version: 1
llm:
  providers:
    default: { kind: replay, cassettes: cassettes, model: m }
stages:
  build: { run: make }
  gen:
    llm: { provider: default, prompt: hi }
)",
                     &sections),
            "");
  ASSERT_TRUE(sections.config);
  EXPECT_EQ(sections.config->providers.size(), 1u);
  EXPECT_EQ(sections.stage(0), nullptr);
  ASSERT_NE(sections.stage(1), nullptr);
  EXPECT_EQ(sections.stage(1)->provider, "default");
  EXPECT_EQ(sections.stage(7), nullptr);
}

TEST(LlmSections, AnLlmStageNeedsTheSectionAndAKnownProvider) {
  auto s = problems("version: 1\nstages:\n  gen:\n    llm: { prompt: hi }\n");
  EXPECT_EQ(s, "p.yml:3:3: stage \"gen\" is an LLM stage but the pipeline has no top-level \"llm:\" section with "
               "providers\n");
  auto bad = problems(R"(version: 1
llm:
  providers:
    default: { kind: replay, cassettes: c, model: m }
stages:
  gen:
    llm: { provider: defualt, prompt: hi }
  gen2:
    llm: { prompt: hi, temprature: 0 }
)");
  EXPECT_NE(bad.find("temprature"), std::string::npos) << bad;
  EXPECT_NE(bad.find("defualt"), std::string::npos) << bad;
}

TEST(LlmSections, ASectionThatIsNoMappingIsTheLoadersError) {
  auto s = problems("version: 1\nllm: 3\nstages:\n  gen:\n    llm: { prompt: hi }\n");
  EXPECT_NE(s.find("\"llm\" must be a mapping"), std::string::npos) << s;
  EXPECT_EQ(s.find("no top-level"), std::string::npos) << s;  // it exists, just wrong
}
