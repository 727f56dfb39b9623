#pragma once
// Per-run reports built from the state database's records (never from a live engine):
// the per-stage table, the critical path, total vs critical-path time, parallelism achieved,
// and the LLM stages' share of time and spend. Renders as text, JSON and JUnit XML.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/state_store.h"

namespace sluice::report {

struct LlmTotals {
  int stages = 0;
  int64_t ai_ms = 0;          // summed durations of LLM stages (they may overlap)
  int64_t ai_wall_ms = 0;     // wall time during which at least one LLM stage ran (interval union)
  int64_t ai_critical_ms = 0; // durations of the LLM stages on the critical path
  double preprocess_ms = 0;   // render + redact + tokenize
  double cost_usd = 0;        // of the priced stages
  int unpriced = 0;           // stages whose model has no known price (their cost is unknown, not 0)
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  int cache_hits = 0;
  int calls = 0;                 // provider calls (stages not answered from the cache)
  std::string budget_json;       // the configured limits, as recorded with the stages ("" if none)
  std::optional<double> run_spent_usd;  // settled in the ledger for this run
  std::optional<double> day_spent_usd;  // settled in the ledger on the run's UTC day
  std::optional<double> run_reserved_usd;  // still reserved (not settled) for this run
  std::string day;                      // that day, YYYY-MM-DD
  // The shared ledger (masked PostgreSQL URL) the spend above came from: every runner's spend
  // that day. Empty: this workspace's SQLite ledger.
  std::string shared_ledger;
};

// One notification the run sent (table `notifications`, written by the cli from notify's outcomes).
struct NotificationRecord {
  std::string channel;  // slack | webhook
  std::string event;    // success | failure | awaiting_approval | budget_exceeded
  std::string target;   // the env variable that named the URL (never the URL: it may hold a token)
  std::string outcome;  // delivered | failed | gone | abandoned
  int attempts = 0;
  int http_status = 0;
  std::string error;
  int64_t elapsed_ms = 0;
};

// One provider call (or response-cache answer) of an LLM stage, from table `llm_calls`: a stage
// with repairs or fallbacks has several.
struct LlmCallRecord {
  std::string stage, provider, model, status, error;
  bool cache_hit = false;
  int64_t tokens_in = 0, tokens_out = 0;
  double cost_usd = 0;
  int retries = 0;
  std::string phases_json;  // {"render": ms, ...}
};

struct RunReport {
  store::RunRecord run;
  std::vector<store::StageRecord> stages;  // file order
  std::vector<std::string> critical_path;  // stage names, first to last
  int64_t critical_path_ms = 0;            // sum of durations along it
  int64_t stage_time_ms = 0;               // sum of all stage durations
  double parallelism = 0;                  // stage time / wall time
  int cache_hits = 0;
  LlmTotals llm;
  std::vector<NotificationRecord> notifications;
  std::vector<LlmCallRecord> llm_calls;  // empty until add_llm_calls()
};

// What the recorded durations say the run could have taken (src/report/analysis.cpp).
struct WhatIf {
  int64_t critical_path_ms = 0;          // as recorded
  int64_t llm_cached_critical_ms = 0;    // every LLM stage answered by its response cache (its
                                         // render, redact, tokenize and cache phases only)
  int64_t simulated_ms = 0;              // list schedule of the recorded durations at the run's -j
  int64_t simulated_double_jobs_ms = 0;  // the same with -j doubled
  int jobs = 0;
};
[[nodiscard]] WhatIf what_if(const RunReport& r);

// One Gantt lane per concurrently running slot: lane[i] for stage i (file order), -1 when it
// never started. Greedy by start time, lowest free lane first.
[[nodiscard]] std::vector<int> assign_lanes(const RunReport& r, int* lane_count);

// The LLM phases in the order a call goes through them, with their durations from a stage's
// details (empty for other stages).
[[nodiscard]] std::vector<std::pair<std::string, double>> llm_phases(const store::StageRecord& s);

// Adds the run's rows of table `llm_calls` (the HTML report lists calls, not only stages).
[[nodiscard]] Expected<void> add_llm_calls(RunReport& r, store::Database& db);

// Adds the notifications recorded for the run (none when the table does not exist yet).
[[nodiscard]] Expected<void> add_notifications(RunReport& r, store::Database& db);

// The self-contained HTML report (inline CSS and SVG; a few lines of optional JS for zoom).
// `previous`: the pipeline's run before this one, for the comparison section (may be null).
// `read_log` returns a stage log (already redacted); its tail is excerpted for failed stages.
[[nodiscard]] std::string to_html(const RunReport& r, const RunReport* previous,
                                  const std::function<std::optional<std::string>(const std::string&)>& read_log);

// Chrome trace event JSON (Perfetto, chrome://tracing): stages as complete events on per-slot
// threads, LLM phases nested inside, counters for running stages and cumulative spend.
[[nodiscard]] std::string to_chrome_trace(const RunReport& r);

// One OTLP/JSON ExportTraceServiceRequest (one line, no trailing newline): a span for the run
// and one per stage with the CI/CD semantic conventions, GenAI attributes on LLM stages.
[[nodiscard]] std::string to_otlp_json(const RunReport& r);

[[nodiscard]] RunReport build_report(store::RunRecord run, std::vector<store::StageRecord> stages);

// Adds what the LLM spend ledger says about the run and its day (no-op without LLM stages).
[[nodiscard]] Expected<void> add_ledger_spend(RunReport& r, store::Database& db);

// The `--json` run summary: {"run_id","status","duration_ms","stages":[{"name","status",
// "exit_code","attempts","duration_ms","cache_hit",...,"llm":{...}}], "critical_path", ...}.
[[nodiscard]] std::string to_json(const RunReport& r);

// JUnit XML: one testsuite per run, one testcase per stage; failures carry the log tail.
// `read_log` returns a stage log's content (already redacted) or nothing.
[[nodiscard]] std::string to_junit(const RunReport& r,
                                   const std::function<std::optional<std::string>(const std::string&)>& read_log);

// SARIF 2.1.0 of the AI verdict stages' findings (`sluice run --sarif FILE`): one result per
// finding, rule "sluice/ai-verdict/<stage>", level error|warning|note, path and line.
[[nodiscard]] std::string to_sarif(const RunReport& r);

// One finding of an AI verdict stage (llm: { verdict: true }), from its recorded details (already
// redacted). line 0: none given.
struct VerdictFinding {
  std::string path;
  int64_t line = 0;
  std::string severity;  // error | warning | note
  std::string message;
};
[[nodiscard]] std::vector<VerdictFinding> verdict_findings_of(const store::StageRecord& s);

// The human table printed by `sluice report`.
[[nodiscard]] std::string to_text(const RunReport& r);

}  // namespace sluice::report
