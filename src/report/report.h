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
  int64_t ai_critical_ms = 0; // durations of the LLM stages on the critical path
  double preprocess_ms = 0;   // render + redact + tokenize
  double cost_usd = 0;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  int cache_hits = 0;
  int calls = 0;                 // provider calls (stages not answered from the cache)
  std::string budget_json;       // the configured limits, as recorded with the stages ("" if none)
  std::optional<double> run_spent_usd;  // settled in the ledger for this run
  std::optional<double> day_spent_usd;  // settled in the ledger on the run's UTC day
  std::string day;                      // that day, YYYY-MM-DD
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
};

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

// The human table printed by `sluice report`.
[[nodiscard]] std::string to_text(const RunReport& r);

}  // namespace sluice::report
