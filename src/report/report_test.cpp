#include "report/report.h"

#include <gtest/gtest.h>

#include <set>

#include "base/files.h"

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

TEST(Report, SharedLedgerSpendNamesTheLedger) {
  store::RunRecord run;
  run.id = "r1";
  run.duration_ms = 100;
  auto s = stage("gen", "success", 50);
  s.kind = "llm";
  s.details = R"({"tokens_in":10,"tokens_out":20,"cost_usd":0,"cache_hit":true,"budget":{"per_day_usd":5}})";
  auto rep = build_report(run, {s});
  rep.llm.day = "2026-11-29";
  rep.llm.day_spent_usd = 0.03;  // another runner's call, from PostgreSQL
  EXPECT_NE(to_text(rep).find("day 2026-11-29 (UTC) $0.0300 of $5.00\n"), std::string::npos) << to_text(rep);
  rep.llm.shared_ledger = "postgresql://sluice:***@db/sluice";
  EXPECT_NE(to_text(rep).find("day 2026-11-29 (UTC) $0.0300 of $5.00, every runner sharing postgresql://sluice:***@db/sluice"),
            std::string::npos)
      << to_text(rep);
  auto j = nlohmann::json::parse(to_json(rep));
  EXPECT_EQ(j["llm"]["budget"]["spent"]["shared_ledger"], "postgresql://sluice:***@db/sluice");
  EXPECT_DOUBLE_EQ(j["llm"]["budget"]["spent"]["day_usd"].get<double>(), 0.03);
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

namespace {
// Stages with real timestamps: a and b in parallel, c after both, an LLM stage d after a.
RunReport timed_run() {
  store::RunRecord run;
  run.id = "r2";
  run.seq = 2;
  run.pipeline = "p";
  run.status = store::RunStatus::failed;
  run.jobs = 2;
  run.started_ms = 1'000'000;
  run.duration_ms = 1000;
  run.ended_ms = run.started_ms + 1000;
  auto at = [&](store::StageRecord s, int64_t start) {
    s.started_ms = run.started_ms + start;
    s.ended_ms = *s.started_ms + *s.duration_ms;
    return s;
  };
  auto d = stage("d", "success", 600, "a");
  d.kind = "llm";
  d.details = R"({"model":"m","tokens_in":10,"tokens_out":5,"cost_usd":0.25,"cache_hit":false,
                  "phases_ms":{"render":5,"redact":5,"tokenize":10,"cache":5,"budget":1,"queue":4,"ttft":200,
                  "generation":350,"post_process":20}})";
  auto c = stage("c", "failed", 200, "a,b");
  c.reason = "exit code 2 <script>";
  c.log_path = "c.log";
  return build_report(run, {at(stage("a", "success", 100), 0), at(stage("b", "success", 300), 0), at(c, 300),
                            at(d, 100)});
}
}  // namespace

TEST(Report, LanesAreSlotsNeverOverlapping) {
  auto r = timed_run();
  int lanes = 0;
  auto lane = assign_lanes(r, &lanes);
  EXPECT_EQ(lanes, 2);
  EXPECT_EQ(lane, (std::vector<int>{0, 1, 1, 0}));  // d reuses a's slot, c reuses b's
}

TEST(Report, WhatIfUsesTheRecordedDurations) {
  auto r = timed_run();
  EXPECT_EQ(r.critical_path, (std::vector<std::string>{"a", "d"}));
  auto w = what_if(r);
  EXPECT_EQ(w.critical_path_ms, 700);
  EXPECT_EQ(w.llm_cached_critical_ms, 500);  // b -> c; d cached costs 25 ms
  EXPECT_EQ(w.jobs, 2);
  EXPECT_EQ(w.simulated_ms, 700);               // a,b | d after a; c after b
  EXPECT_EQ(w.simulated_double_jobs_ms, 700);   // the chain a -> d bounds it
  EXPECT_EQ(r.llm.ai_wall_ms, 600);
  // A stage the response cache already answered keeps what it took.
  auto& d = r.stages[3];
  d.details = std::string(*d.details).replace(d.details->find("\"cache_hit\":false"), 17, "\"cache_hit\":true");
  r.critical_path_ms = 700;
  EXPECT_EQ(what_if(r).llm_cached_critical_ms, 700);
}

TEST(Report, HtmlHasABarPerStageAndEscapes) {
  auto r = timed_run();
  std::string html = to_html(r, &r, [](const std::string&) { return std::optional<std::string>("line 1\nboom <b>\n"); });
  size_t bars = 0;
  for (size_t p = 0; (p = html.find("<g class=\"bar", p)) != std::string::npos; ++p) ++bars;
  EXPECT_EQ(bars, 4u);
  EXPECT_NE(html.find("data-stage=\"d\" data-status=\"success\" data-lane=\"0\" data-duration-ms=\"600\" data-critical=\"1\""),
            std::string::npos);
  EXPECT_NE(html.find("data-phase=\"generation\""), std::string::npos);
  EXPECT_EQ(html.find("<script>\""), std::string::npos);
  EXPECT_EQ(html.find("2 <script>"), std::string::npos);  // the reason is escaped
  EXPECT_NE(html.find("exit code 2 &lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("boom &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("id=\"compare\""), std::string::npos);
}

TEST(Report, ChromeTraceNestsPhasesInsideTheirStage) {
  auto j = nlohmann::json::parse(to_chrome_trace(timed_run()));
  int64_t d_ts = -1, d_end = -1;
  int phases = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X" && e["name"] == "d") {
      d_ts = e["ts"];
      d_end = d_ts + e["dur"].get<int64_t>();
    }
  }
  for (const auto& e : j["traceEvents"]) {
    if (e.value("cat", "") != "llm_phase") continue;
    ++phases;
    EXPECT_GE(e["ts"].get<int64_t>(), d_ts);
    EXPECT_LE(e["ts"].get<int64_t>() + e["dur"].get<int64_t>(), d_end);
  }
  EXPECT_EQ(phases, 9);
  EXPECT_EQ(d_ts, 100'000);
}

TEST(Report, OtlpSpansCarryTheSemanticConventions) {
  auto j = nlohmann::json::parse(to_otlp_json(timed_run()));
  const auto& spans = j["resourceSpans"][0]["scopeSpans"][0]["spans"];
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_EQ(spans[0]["traceId"].get<std::string>().size(), 32u);
  std::set<std::string> keys;
  for (const auto& a : spans[4]["attributes"]) keys.insert(a["key"]);
  EXPECT_TRUE(keys.count("cicd.pipeline.task.name"));
  EXPECT_TRUE(keys.count("gen_ai.request.model"));
  EXPECT_TRUE(keys.count("gen_ai.usage.input_tokens"));
  EXPECT_EQ(spans[3]["status"]["code"], 2);
  EXPECT_EQ(spans[1]["parentSpanId"], spans[0]["spanId"]);
}

TEST(Report, NotificationsComeFromTheStateDatabase) {
  base::TempDir dir;
  auto st = store::StateStore::open(dir.path());
  ASSERT_TRUE(st.has_value());
  auto r = timed_run();
  ASSERT_TRUE(add_notifications(r, (*st)->db()).has_value());
  EXPECT_TRUE(r.notifications.empty());
  ASSERT_TRUE((*st)->db().exec(
      "INSERT INTO notifications(run_id, channel, event, target, outcome, attempts, http_status, error, elapsed_ms, "
      "created_ms) VALUES ('r2', 'webhook', 'failure', 'HOOK_URL', 'abandoned', 1, 0, 'no answer', 2000, 1), "
      "('other', 'slack', 'failure', 'S', 'delivered', 1, 200, '', 5, 1)").has_value());
  ASSERT_TRUE(add_notifications(r, (*st)->db()).has_value());
  ASSERT_EQ(r.notifications.size(), 1u);
  EXPECT_EQ(r.notifications[0].outcome, "abandoned");
  EXPECT_NE(to_text(r).find("notification: webhook (HOOK_URL) for failure: abandoned, 1 attempt: no answer"), std::string::npos)
      << to_text(r);
  EXPECT_EQ(nlohmann::json::parse(to_json(r))["notifications"][0]["target"], "HOOK_URL");
  EXPECT_NE(to_html(r, nullptr, {}).find("<tr data-outcome=\"abandoned\">"), std::string::npos);

  // The LLM table lists calls when the llm_calls rows are there: here a failed call and a repair.
  ASSERT_TRUE((*st)->db().exec(
      "INSERT INTO llm_calls(run_id, stage, provider, provider_kind, model, status, error, cache_hit, tokens_in, "
      "tokens_out, cost_usd, retries, tokenizer, tokenizer_exact, phases, created_ms) VALUES "
      "('r2', 'd', 'default', 'openai', 'm', 'failed', 'bad <json>', 0, 10, 5, 0.1, 0, 't', 1, '{\"ttft\":5}', 1), "
      "('r2', 'd', 'default', 'openai', 'm', 'ok', NULL, 0, 12, 6, 0.15, 0, 't', 1, '{\"ttft\":6}', 2)").has_value());
  ASSERT_TRUE(add_llm_calls(r, (*st)->db()).has_value());
  ASSERT_EQ(r.llm_calls.size(), 2u);
  std::string html = to_html(r, nullptr, {});
  EXPECT_NE(html.find("title=\"bad &lt;json&gt;\">failed</span>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"n\">6.0</td>"), std::string::npos);
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
