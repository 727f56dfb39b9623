// Machine-readable timelines of a run: Chrome trace event JSON (Perfetto, chrome://tracing) and
// OTLP/JSON spans (OpenTelemetry CI/CD and GenAI semantic conventions).
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "report/report.h"

namespace sluice::report {
using nlohmann::json;
using store::StageStatus;

namespace {
int64_t dur(const store::StageRecord& s) { return s.duration_ms.value_or(0); }

json llm_details(const store::StageRecord& s) {
  if (s.kind != "llm" || !s.details) return json();
  json d = json::parse(*s.details, nullptr, false);
  return d.is_discarded() || !d.is_object() ? json() : d;
}
}  // namespace

std::string to_chrome_trace(const RunReport& r) {
  // Timestamps in microseconds from the run's start; pid 1 is the run, tid N+1 is slot N.
  int lanes = 0;
  auto lane = assign_lanes(r, &lanes);
  const int64_t t0 = r.run.started_ms;
  json ev = json::array();
  ev.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"tid", 0},
                {"args", {{"name", "sluice run " + std::to_string(r.run.seq) + ": " + r.run.pipeline}}}});
  for (int l = 0; l < lanes; ++l) {
    ev.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", l + 1},
                  {"args", {{"name", "slot " + std::to_string(l + 1)}}}});
    ev.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 1}, {"tid", l + 1}, {"args", {{"sort_index", l}}}});
  }
  ev.push_back({{"name", "run"}, {"cat", "run"}, {"ph", "X"}, {"pid", 1}, {"tid", 0}, {"ts", 0},
                {"dur", r.run.duration_ms.value_or(0) * 1000},
                {"args", {{"run_id", r.run.id}, {"status", std::string(store::to_string(r.run.status))}}}});
  // Counter samples: +1/-1 per stage start/end, spend added at each LLM stage's end.
  std::vector<std::pair<int64_t, int>> edges;
  std::vector<std::pair<int64_t, double>> spend;
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const auto& s = r.stages[i];
    if (lane[i] < 0) continue;
    const int64_t ts = (*s.started_ms - t0) * 1000;
    const int64_t d = dur(s) * 1000;
    json args = {{"status", std::string(store::to_string(s.status))}, {"attempts", s.attempts},
                 {"cache_hit", s.cache_hit}, {"kind", s.kind}};
    if (s.exit_code) args["exit_code"] = *s.exit_code;
    if (std::find(r.critical_path.begin(), r.critical_path.end(), s.name) != r.critical_path.end()) {
      args["critical_path"] = true;
    }
    json d_llm = llm_details(s);
    if (!d_llm.is_null()) {
      args["model"] = d_llm.value("model", "");
      args["tokens_in"] = d_llm.value("tokens_in", int64_t{0});
      args["tokens_out"] = d_llm.value("tokens_out", int64_t{0});
      args["cost_usd"] = d_llm.value("cost_usd", 0.0);
    }
    ev.push_back({{"name", s.name}, {"cat", "stage," + s.kind}, {"ph", "X"}, {"pid", 1}, {"tid", lane[i] + 1},
                  {"ts", ts}, {"dur", d}, {"args", args}});
    // Phases are durations: nested end to end from the stage's start, shrunk to fit inside it.
    auto phases = llm_phases(s);
    double total = 0;
    for (const auto& p : phases) total += p.second * 1000;
    double scale = total > static_cast<double>(d) && total > 0 ? static_cast<double>(d) / total : 1.0;
    double at = static_cast<double>(ts);
    for (const auto& [name, ms] : phases) {
      double pd = ms * 1000 * scale;
      ev.push_back({{"name", name}, {"cat", "llm_phase"}, {"ph", "X"}, {"pid", 1}, {"tid", lane[i] + 1},
                    {"ts", static_cast<int64_t>(at)}, {"dur", static_cast<int64_t>(pd)}, {"args", {{"ms", ms}}}});
      at += pd;
    }
    edges.emplace_back(ts, +1);
    edges.emplace_back(ts + d, -1);
    if (!d_llm.is_null()) spend.emplace_back(ts + d, d_llm.value("cost_usd", 0.0));
  }
  std::sort(edges.begin(), edges.end());
  int running = 0;
  for (size_t i = 0; i < edges.size(); ++i) {
    running += edges[i].second;
    if (i + 1 < edges.size() && edges[i + 1].first == edges[i].first) continue;  // one sample per instant
    ev.push_back({{"name", "running stages"}, {"ph", "C"}, {"pid", 1}, {"ts", edges[i].first}, {"args", {{"stages", running}}}});
  }
  std::sort(spend.begin(), spend.end());
  double total_usd = 0;
  if (!spend.empty()) ev.push_back({{"name", "spend"}, {"ph", "C"}, {"pid", 1}, {"ts", 0}, {"args", {{"usd", 0.0}}}});
  for (const auto& [ts, usd] : spend) {
    total_usd += usd;
    ev.push_back({{"name", "spend"}, {"ph", "C"}, {"pid", 1}, {"ts", ts}, {"args", {{"usd", total_usd}}}});
  }
  json out = {{"traceEvents", ev},
              {"displayTimeUnit", "ms"},
              {"otherData", {{"run_id", r.run.id}, {"pipeline", r.run.pipeline}, {"started_ms", r.run.started_ms}}}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace {
json attr(const std::string& key, const std::string& v) { return {{"key", key}, {"value", {{"stringValue", v}}}}; }
json attr_int(const std::string& key, int64_t v) {
  // OTLP/JSON writes 64-bit integers as strings.
  return {{"key", key}, {"value", {{"intValue", std::to_string(v)}}}};
}
json attr_double(const std::string& key, double v) { return {{"key", key}, {"value", {{"doubleValue", v}}}}; }
json attr_bool(const std::string& key, bool v) { return {{"key", key}, {"value", {{"boolValue", v}}}}; }

// cicd.pipeline.result / cicd.pipeline.task.run.result values of the semantic conventions.
std::string run_result(store::RunStatus s) {
  switch (s) {
    case store::RunStatus::success: return "success";
    case store::RunStatus::failed: return "failure";
    case store::RunStatus::interrupted: return "cancellation";
    // Held by a review gate (exit 3): the conventions have no "pending"; CI shows it as not passed.
    case store::RunStatus::awaiting_approval:
    case store::RunStatus::unstable: return "failure";  // never green
    case store::RunStatus::running: break;
  }
  return "error";
}
std::string task_result(const store::StageRecord& s) {
  switch (s.status) {
    case StageStatus::success: return "success";
    case StageStatus::failed: return s.reason && s.reason->find("timed out") != std::string::npos ? "timeout" : "failure";
    case StageStatus::skipped:
    case StageStatus::awaiting_approval: return "skip";  // not run: a gate holds it
    case StageStatus::failed_advisory:
    case StageStatus::unstable: return "failure";
    case StageStatus::cancelled:
    case StageStatus::interrupted: return "cancellation";
    case StageStatus::pending:
    case StageStatus::running: break;
  }
  return "error";
}
std::string nanos(int64_t ms) { return std::to_string(ms) + "000000"; }
}  // namespace

std::string to_otlp_json(const RunReport& r) {
  // Ids derived from the run id: exporting the same run twice gives the same trace.
  const std::string trace_id = base::sha256_hex("trace:" + r.run.id).substr(0, 32);
  const std::string root_id = base::sha256_hex("span:" + r.run.id).substr(0, 16);
  const int64_t end_ms = r.run.ended_ms.value_or(r.run.started_ms + r.run.duration_ms.value_or(0));
  const int64_t ok = 1, error = 2;  // STATUS_CODE_OK, STATUS_CODE_ERROR
  json spans = json::array();
  spans.push_back({{"traceId", trace_id},
                   {"spanId", root_id},
                   {"name", r.run.pipeline},
                   {"kind", 1},
                   {"startTimeUnixNano", nanos(r.run.started_ms)},
                   {"endTimeUnixNano", nanos(end_ms)},
                   {"attributes",
                    {attr("cicd.pipeline.name", r.run.pipeline), attr("cicd.pipeline.run.id", r.run.id),
                     attr("cicd.pipeline.result", run_result(r.run.status)), attr_int("sluice.run", r.run.seq),
                     attr_int("sluice.critical_path_ms", r.critical_path_ms), attr_int("sluice.jobs", r.run.jobs),
                     attr_double("sluice.llm.cost_usd", r.llm.cost_usd)}},
                   {"status", {{"code", r.run.status == store::RunStatus::success ? ok : error}}}});
  for (const auto& s : r.stages) {
    if (!s.started_ms) continue;
    json attrs = {attr("cicd.pipeline.name", r.run.pipeline), attr("cicd.pipeline.run.id", r.run.id),
                  attr("cicd.pipeline.task.name", s.name), attr("cicd.pipeline.task.run.id", r.run.id + "/" + s.name),
                  attr("cicd.pipeline.task.run.result", task_result(s)), attr("sluice.stage.kind", s.kind),
                  attr_int("sluice.stage.attempts", s.attempts), attr_bool("sluice.stage.cache_hit", s.cache_hit)};
    if (s.exit_code) attrs.push_back(attr_int("process.exit.code", *s.exit_code));
    json d = llm_details(s);
    if (!d.is_null()) {
      attrs.push_back(attr("gen_ai.operation.name", "chat"));
      attrs.push_back(attr("gen_ai.provider.name", d.value("provider_kind", "")));
      attrs.push_back(attr("gen_ai.request.model", d.value("model", "")));
      if (!d.value("model_served", std::string()).empty()) attrs.push_back(attr("gen_ai.response.model", d.value("model_served", "")));
      attrs.push_back(attr_int("gen_ai.usage.input_tokens", d.value("tokens_in", int64_t{0})));
      attrs.push_back(attr_int("gen_ai.usage.output_tokens", d.value("tokens_out", int64_t{0})));
      if (!d.value("finish_reason", std::string()).empty()) {
        attrs.push_back({{"key", "gen_ai.response.finish_reasons"},
                         {"value", {{"arrayValue", {{"values", {{{"stringValue", d.value("finish_reason", "")}}}}}}}}});
      }
      attrs.push_back(attr_double("sluice.llm.cost_usd", d.value("cost_usd", 0.0)));
      attrs.push_back(attr_bool("sluice.llm.cache_hit", d.value("cache_hit", false)));
    }
    json span = {{"traceId", trace_id},
                 {"spanId", base::sha256_hex("span:" + r.run.id + "/" + s.name).substr(0, 16)},
                 {"parentSpanId", root_id},
                 {"name", s.name},
                 {"kind", d.is_null() ? 1 : 3},  // INTERNAL; CLIENT for a model call
                 {"startTimeUnixNano", nanos(*s.started_ms)},
                 {"endTimeUnixNano", nanos(s.ended_ms.value_or(*s.started_ms + dur(s)))},
                 {"attributes", attrs},
                 {"status", {{"code", s.status == StageStatus::success ? ok : s.status == StageStatus::failed ? error : 0}}}};
    if (s.status == StageStatus::failed && s.reason) span["status"]["message"] = *s.reason;
    spans.push_back(std::move(span));
  }
  json out = {{"resourceSpans",
               {{{"resource", {{"attributes", {attr("service.name", "sluice"), attr("cicd.pipeline.name", r.run.pipeline)}}}},
                 {"scopeSpans", {{{"scope", {{"name", "sluice"}}}, {"spans", spans}}}}}}}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sluice::report
