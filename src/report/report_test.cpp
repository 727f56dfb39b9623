#include "report/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace sluice;
using namespace sluice::report;

namespace {
store::StageRecord stage(std::string name, std::string status, int64_t ms, std::string needs = "") {
  using store::StageStatus;
  store::StageRecord s;
  s.name = std::move(name);
  s.status = *store::stage_status_from(status);
  s.duration_ms = ms;
  s.needs = std::move(needs);
  s.attempts = 1;
  s.exit_code = s.status == StageStatus::failed ? 2 : 0;
  return s;
}
}  // namespace

TEST(Report, CriticalPathIsTheLongestChain) {
  store::RunRecord run;
  run.id = "r1";
  run.seq = 1;
  run.status = store::RunStatus::success;
  run.duration_ms = 1000;
  auto r = build_report(run, {stage("a", "success", 100), stage("b", "success", 500), stage("c", "success", 200, "a,b"),
                              stage("d", "success", 50, "a")});
  EXPECT_EQ(r.critical_path, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(r.critical_path_ms, 700);
  EXPECT_EQ(r.stage_time_ms, 850);
  EXPECT_NEAR(r.parallelism, 0.85, 1e-9);
}

TEST(Report, JsonHasTheDocumentedFields) {
  store::RunRecord run;
  run.id = "r1";
  run.status = store::RunStatus::failed;
  run.duration_ms = 10;
  auto s = stage("gen", "success", 5);
  s.kind = "llm";
  s.details = R"({"provider":"default","model":"m","tokens_in":10,"tokens_out":5,"cost_usd":0.01,"cache_hit":false,
                  "retries":0,"phases_ms":{"render":1,"redact":1,"tokenize":1}})";
  auto j = nlohmann::json::parse(to_json(build_report(run, {s, stage("b", "failed", 3)})));
  EXPECT_EQ(j["run_id"], "r1");
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["duration_ms"], 10);
  ASSERT_EQ(j["stages"].size(), 2u);
  for (const char* k : {"name", "status", "exit_code", "attempts", "duration_ms", "cache_hit"}) {
    EXPECT_TRUE(j["stages"][1].contains(k)) << k;
  }
  EXPECT_EQ(j["stages"][0]["llm"]["tokens_in"], 10);
  EXPECT_EQ(j["llm"]["preprocess_ms"], 3);
}

TEST(Report, LlmSpendAgainstBudget) {
  store::RunRecord run;
  run.id = "r1";
  run.duration_ms = 100;
  auto s = stage("gen", "success", 50);
  s.kind = "llm";
  s.details = R"({"tokens_in":100,"tokens_out":20,"cost_usd":0.01,"cache_hit":false,
                  "phases_ms":{"render":0.5,"redact":0.25,"tokenize":0.25},
                  "budget":{"per_run_usd":0.5,"max_calls_per_run":10,"max_tokens_per_run":1000}})";
  auto rep = build_report(run, {s});
  std::string text = to_text(rep);
  EXPECT_NE(text.find("budget: run $0.0100 of $0.50; calls 1 of 10; tokens 120 of 1000"), std::string::npos) << text;
  EXPECT_NE(text.find("pre-processing 1.00ms (2.0% of AI time)"), std::string::npos) << text;
  auto j = nlohmann::json::parse(to_json(rep));
  EXPECT_EQ(j["llm"]["budget"]["spent"]["calls"], 1);
  EXPECT_DOUBLE_EQ(j["llm"]["budget"]["per_run_usd"].get<double>(), 0.5);
}

TEST(Report, JunitMarksFailuresAndSkipsAndEscapes) {
  store::RunRecord run;
  run.id = "r1";
  run.pipeline = "a&b.yml";
  run.duration_ms = 10;
  auto f = stage("sec<1>", "failed", 3);
  f.reason = "exit code 2";
  f.log_path = "/log";
  auto sk = stage("deploy", "skipped", 0);
  sk.reason = "needs \"sec<1>\" which failed";
  std::string x = to_junit(build_report(run, {stage("ok", "success", 1), f, sk}),
                           [](const std::string&) { return std::optional<std::string>("boom <here>\n"); });
  EXPECT_NE(x.find("failures=\"1\""), std::string::npos) << x;
  EXPECT_NE(x.find("skipped=\"1\""), std::string::npos) << x;
  EXPECT_NE(x.find("name=\"sec&lt;1&gt;\""), std::string::npos) << x;
  EXPECT_NE(x.find("boom &lt;here&gt;"), std::string::npos) << x;
  EXPECT_NE(x.find("<skipped message=\"needs &quot;sec&lt;1&gt;&quot; which failed\"/>"), std::string::npos) << x;
  EXPECT_NE(x.find("a&amp;b.yml"), std::string::npos);
}

TEST(Report, AiShareIsOfStageTimeAndCriticalPathNeverOfWallTime) {
  // Seven parallel LLM stages of 3 s in a 3.1 s run: the old report said "680% of pipeline time".
  store::RunRecord run;
  run.id = "r1";
  run.status = store::RunStatus::success;
  run.duration_ms = 3100;
  std::vector<store::StageRecord> stages;
  for (int i = 0; i < 7; ++i) {
    auto s = stage("ai" + std::to_string(i), "success", 3000);
    s.kind = "llm";
    s.details = R"({"tokens_in":1,"tokens_out":1,"cost_usd":0,"cache_hit":false,"phases_ms":{}})";
    stages.push_back(s);
  }
  stages.push_back(stage("deploy", "success", 100, "ai0"));
  auto r = build_report(run, stages);
  EXPECT_EQ(r.llm.ai_ms, 21000);
  EXPECT_EQ(r.llm.ai_critical_ms, 3000);
  auto j = nlohmann::json::parse(to_json(r));
  EXPECT_DOUBLE_EQ(j["llm"]["ai_share"].get<double>(), 0.995);  // 21000 / 21100
  EXPECT_EQ(j["llm"]["ai_critical_path_ms"], 3000);
  EXPECT_DOUBLE_EQ(j["llm"]["ai_critical_path_share"].get<double>(), 0.968);  // 3000 / 3100
  std::string text = to_text(r);
  EXPECT_NE(text.find("(100% of stage time; 3.0s of the critical path, 97%)"), std::string::npos) << text;
  EXPECT_EQ(text.find("pipeline time"), std::string::npos);
}

// Regression (issue 20): a stage whose model has no known price records cost_usd null; the run's
// cost is then unknown (null, "unpriced"), never a partial sum shown as the total, and reading
// the record must not throw.
TEST(Report, AnUnpricedStageMakesTheRunCostUnknownNotZero) {
  store::RunRecord run;
  run.id = "r1";
  run.duration_ms = 100;
  auto priced = stage("a", "success", 50);
  priced.kind = "llm";
  priced.details = R"({"tokens_in":100,"tokens_out":20,"cost_usd":0.25,"priced":true,"cache_hit":false,"phases_ms":{}})";
  auto unpriced = stage("b", "success", 50);
  unpriced.kind = "llm";
  unpriced.details = R"({"tokens_in":100,"tokens_out":20,"cost_usd":null,"priced":false,"cache_hit":false,"phases_ms":{}})";
  auto rep = build_report(run, {priced, unpriced});
  EXPECT_EQ(rep.llm.unpriced, 1);
  std::string text = to_text(rep);
  EXPECT_NE(text.find("cost unpriced (1 stage(s) with no known price; $0.2500 for the others)"), std::string::npos)
      << text;
  auto j = nlohmann::json::parse(to_json(rep));
  EXPECT_TRUE(j["llm"]["cost_usd"].is_null());
  EXPECT_EQ(j["llm"]["unpriced_stages"], 1);
  auto only_priced = nlohmann::json::parse(to_json(build_report(run, {priced})));
  EXPECT_DOUBLE_EQ(only_priced["llm"]["cost_usd"].get<double>(), 0.25);
}
