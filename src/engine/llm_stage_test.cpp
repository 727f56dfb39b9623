#include "engine/llm_stage.h"

#include <gtest/gtest.h>

#include "engine/test_util.h"
#include "llm/standins.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;

namespace {

struct NullOutput final : OutputSink {
  std::string text;
  void write(std::string_view b) override { text.append(b); }
};

// Loads a pipeline with its llm sections and runs stage 0 of it through LlmStageExecutor.
struct LlmWorkspace {
  Workspace ws;
  std::shared_ptr<const LlmSections> sections;
  llm::standin::WhitespaceTokenCounter counter;

  explicit LlmWorkspace(const std::string& yaml) {
    EXPECT_TRUE(ws.load(yaml));
    base::Diagnostics diags;
    sections = std::make_shared<LlmSections>(parse_llm_sections(ws.pipeline, diags));
    for (const auto& d : diags) ADD_FAILURE() << d.to_string();
  }
  StageOutcome run(LlmStageOptions o) {
    o.state_db = ws.dir.path() / ".sluice" / "state.db";
    o.counter_for = [this](std::string_view) -> const llm::TokenCounter& { return counter; };
    LlmStageExecutor exec(sections, std::move(o));
    NullOutput out;
    CancelToken cancel;
    std::vector<std::string> env;
    StageContext ctx{ws.pipeline, ws.pipeline.stages.at(0), ws.dir.path(), env, "run-1", 1,
                     std::chrono::milliseconds(0), std::chrono::milliseconds(100), out, cancel,
                     [](std::string_view) { return std::nullopt; }};
    return exec.execute(ctx);
  }
};

const char* k_replay_only = R"(version: 1
llm:
  providers:
    tape: { kind: replay, cassettes: cassettes, model: gpt-4o-mini }
stages:
  gen:
    llm: { provider: tape, prompt: hi }
)";

const char* k_real_only = R"(version: 1
llm:
  providers:
    openai: { kind: openai, api_key_env: OPENAI_API_KEY, model: gpt-4o-mini }
stages:
  gen:
    llm: { provider: openai, prompt: hi }
)";

}  // namespace

TEST(LlmStageExecutor, RecordRefusesTheReplayProvider) {
  LlmWorkspace w(k_replay_only);
  LlmStageOptions o;
  o.record = true;
  auto r = w.run(o);
  EXPECT_EQ(r.status, OutcomeStatus::failed);
  EXPECT_NE(r.reason.find("--record needs a real provider"), std::string::npos) << r.reason;
}

TEST(LlmStageExecutor, RecordNeedsAReplayProviderToWriteInto) {
  LlmWorkspace w(k_real_only);
  LlmStageOptions o;
  o.record = true;
  auto r = w.run(o);
  EXPECT_EQ(r.status, OutcomeStatus::failed);
  EXPECT_NE(r.reason.find("no replay provider is configured"), std::string::npos) << r.reason;
}

TEST(LlmStageExecutor, RecordThroughAnOverrideToReplayIsRefusedToo) {
  LlmWorkspace w(R"(version: 1
llm:
  providers:
    openai: { kind: openai, api_key_env: OPENAI_API_KEY, model: gpt-4o-mini }
    tape: { kind: replay, cassettes: cassettes, model: gpt-4o-mini }
stages:
  gen:
    llm: { provider: openai, prompt: hi }
)");
  LlmStageOptions o;
  o.record = true;
  o.provider_override = "tape";
  auto r = w.run(o);
  EXPECT_NE(r.reason.find("--record needs a real provider"), std::string::npos) << r.reason;
}

TEST(LlmStageExecutor, WithoutSectionsTheStageFailsWithAReason) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\nstages:\n  a: { run: x }\n"));
  LlmStageOptions o;
  llm::standin::WhitespaceTokenCounter counter;
  o.counter_for = [&](std::string_view) -> const llm::TokenCounter& { return counter; };
  LlmStageExecutor exec(nullptr, o);
  NullOutput out;
  CancelToken cancel;
  std::vector<std::string> env;
  StageContext ctx{ws.pipeline, ws.pipeline.stages.at(0), ws.dir.path(), env, "run-1", 1,
                   std::chrono::milliseconds(0), std::chrono::milliseconds(100), out, cancel,
                   [](std::string_view) { return std::nullopt; }};
  auto r = exec.execute(ctx);
  EXPECT_EQ(r.status, OutcomeStatus::failed);
  EXPECT_EQ(r.reason, "the pipeline has no llm: section");
}
