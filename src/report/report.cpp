#include "report/report.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <ctime>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/duration.h"
#include "base/strings.h"

namespace sluice::report {
using store::StageStatus;
using base::xml_escape;
using nlohmann::json;

namespace {
// part / whole, rounded to 0.001; 0 when there is no whole.
double share(int64_t part, int64_t whole) {
  return whole > 0 ? std::round(1000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 1000 : 0.0;
}
int64_t dur(const store::StageRecord& s) { return s.duration_ms.value_or(0); }

std::string fmt_ms(int64_t ms) { return base::format_duration(std::chrono::milliseconds(ms)); }

std::string when(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}
}  // namespace

RunReport build_report(store::RunRecord run, std::vector<store::StageRecord> stages) {
  RunReport r;
  r.run = std::move(run);
  r.stages = std::move(stages);
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < r.stages.size(); ++i) by_name[r.stages[i].name] = i;
  // Longest path by duration through the needs graph (stages are in file order, needs may point
  // anywhere, so memoised depth-first).
  std::vector<int64_t> best(r.stages.size(), -1);
  std::vector<int> prev(r.stages.size(), -1);
  std::function<int64_t(size_t)> longest = [&](size_t i) -> int64_t {
    if (best[i] >= 0) return best[i];
    best[i] = 0;  // guards against malformed cycles in old records
    int64_t b = 0;
    int p = -1;
    for (auto need : base::split(r.stages[i].needs, ',')) {
      auto it = by_name.find(std::string(need));
      if (it == by_name.end()) continue;
      int64_t v = longest(it->second);
      if (v > b || p < 0) {
        b = v;
        p = static_cast<int>(it->second);
      }
    }
    prev[i] = p;
    best[i] = b + dur(r.stages[i]);
    return best[i];
  };
  int end = -1;
  for (size_t i = 0; i < r.stages.size(); ++i) {
    if (end < 0 || longest(i) > best[static_cast<size_t>(end)]) end = static_cast<int>(i);
    r.stage_time_ms += dur(r.stages[i]);
    if (r.stages[i].cache_hit) ++r.cache_hits;
  }
  if (end >= 0) {
    r.critical_path_ms = best[static_cast<size_t>(end)];
    for (int i = end; i >= 0; i = prev[static_cast<size_t>(i)]) r.critical_path.push_back(r.stages[static_cast<size_t>(i)].name);
    std::reverse(r.critical_path.begin(), r.critical_path.end());
  }
  int64_t wall = r.run.duration_ms.value_or(0);
  r.parallelism = wall > 0 ? static_cast<double>(r.stage_time_ms) / static_cast<double>(wall) : 0;
  for (const auto& s : r.stages) {
    if (s.kind != "llm" || !s.details) continue;
    json d = json::parse(*s.details, nullptr, false);
    if (d.is_discarded() || !d.is_object()) continue;
    ++r.llm.stages;
    r.llm.ai_ms += dur(s);
    if (std::find(r.critical_path.begin(), r.critical_path.end(), s.name) != r.critical_path.end()) {
      r.llm.ai_critical_ms += dur(s);
    }
    if (d.contains("phases_ms") && d["phases_ms"].is_object()) {
      for (const char* k : {"render", "redact", "tokenize"}) {
        if (d["phases_ms"].contains(k) && d["phases_ms"][k].is_number()) {
          r.llm.preprocess_ms += d["phases_ms"][k].get<double>();
        }
      }
    }
    if (d.contains("cost_usd") && d["cost_usd"].is_number()) r.llm.cost_usd += d["cost_usd"].get<double>();
    else if (d.contains("cost_usd")) ++r.llm.unpriced;
    r.llm.tokens_in += d.value("tokens_in", int64_t{0});
    r.llm.tokens_out += d.value("tokens_out", int64_t{0});
    if (d.value("cache_hit", false)) ++r.llm.cache_hits;
    else ++r.llm.calls;
    if (d.contains("budget") && r.llm.budget_json.empty()) r.llm.budget_json = d["budget"].dump();
  }
  // The union of the LLM stages' intervals: how much of the wall time some AI stage was running.
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const auto& s : r.stages) {
    if (s.kind == "llm" && s.started_ms && s.ended_ms) spans.emplace_back(*s.started_ms, *s.ended_ms);
  }
  std::sort(spans.begin(), spans.end());
  int64_t cover_end = INT64_MIN;
  for (auto [a, b] : spans) {
    if (b <= cover_end) continue;
    r.llm.ai_wall_ms += b - std::max(a, cover_end);
    cover_end = b;
  }
  return r;
}

Expected<void> add_ledger_spend(RunReport& r, store::Database& db) {
  if (r.llm.stages == 0) return {};
  std::time_t t = static_cast<std::time_t>(r.run.started_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  r.llm.day = fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  auto run_q = db.prepare("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_ledger WHERE run_id = ?1 AND state = 'settled'");
  if (!run_q) return tl::unexpected(run_q.error());
  run_q->bind(1, r.run.id);
  if (auto row = run_q->step(); !row) return tl::unexpected(row.error());
  r.llm.run_spent_usd = run_q->column_double(0);
  auto day_q = db.prepare("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_ledger WHERE day = ?1 AND state = 'settled'");
  if (!day_q) return tl::unexpected(day_q.error());
  day_q->bind(1, r.llm.day);
  if (auto row = day_q->step(); !row) return tl::unexpected(row.error());
  r.llm.day_spent_usd = day_q->column_double(0);
  auto res_q = db.prepare("SELECT COALESCE(SUM(reserved_usd), 0) FROM llm_ledger WHERE run_id = ?1 AND state = 'reserved'");
  if (!res_q) return tl::unexpected(res_q.error());
  res_q->bind(1, r.run.id);
  if (auto row = res_q->step(); !row) return tl::unexpected(row.error());
  r.llm.run_reserved_usd = res_q->column_double(0);
  return {};
}

namespace {
std::string budget_line(const RunReport& r) {
  if (r.llm.budget_json.empty()) return "";
  json b = json::parse(r.llm.budget_json, nullptr, false);
  if (b.is_discarded()) return "";
  std::vector<std::string> parts;
  double run_spent = r.llm.run_spent_usd.value_or(r.llm.cost_usd);
  if (b.contains("per_run_usd")) parts.push_back(fmt::format("run ${:.4f} of ${:.2f}", run_spent, b["per_run_usd"].get<double>()));
  if (b.contains("per_day_usd") && r.llm.day_spent_usd) {
    parts.push_back(fmt::format("day {} (UTC) ${:.4f} of ${:.2f}{}", r.llm.day, *r.llm.day_spent_usd,
                                b["per_day_usd"].get<double>(),
                                r.llm.shared_ledger.empty() ? "" : ", every runner sharing " + r.llm.shared_ledger));
  }
  if (b.contains("max_calls_per_run")) parts.push_back(fmt::format("calls {} of {}", r.llm.calls, b["max_calls_per_run"].get<int64_t>()));
  if (b.contains("max_tokens_per_run")) {
    parts.push_back(fmt::format("tokens {} of {}", r.llm.tokens_in + r.llm.tokens_out, b["max_tokens_per_run"].get<int64_t>()));
  }
  std::string out = "budget: ";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out + "\n";
}
}  // namespace

std::string to_json(const RunReport& r) {
  json stages = json::array();
  for (const auto& s : r.stages) {
    json j = {{"name", s.name},
              {"kind", s.kind},
              {"status", std::string(store::to_string(s.status))},
              {"exit_code", s.exit_code ? json(*s.exit_code) : json(nullptr)},
              {"attempts", s.attempts},
              {"duration_ms", dur(s)},
              {"cache_hit", s.cache_hit}};
    if (s.reason) j["reason"] = *s.reason;
    if (s.log_path) j["log"] = *s.log_path;
    if (s.started_ms) j["started_ms"] = *s.started_ms;
    if (s.ended_ms) j["ended_ms"] = *s.ended_ms;
    if (s.details) {
      json d = json::parse(*s.details, nullptr, false);
      // A run stage's details are the values it wrote to $SLUICE_OUTPUT (redacted).
      if (!d.is_discarded() && s.kind == "run" && d.contains("outputs")) j["outputs"] = d["outputs"];
      else if (!d.is_discarded()) j[s.kind == "llm" ? "llm" : s.kind] = d;
    }
    stages.push_back(std::move(j));
  }
  json out = {{"run_id", r.run.id},
              {"run", r.run.seq},
              {"pipeline", r.run.pipeline},
              {"status", std::string(store::to_string(r.run.status))},
              {"started_ms", r.run.started_ms},
              {"duration_ms", r.run.duration_ms.value_or(0)},
              {"stages", stages},
              {"critical_path", r.critical_path},
              {"critical_path_ms", r.critical_path_ms},
              {"stage_time_ms", r.stage_time_ms},
              {"parallelism", std::round(r.parallelism * 100) / 100},
              {"cache_hits", r.cache_hits}};
  if (r.llm.stages > 0) {
    out["llm"] = {{"stages", r.llm.stages},
                  {"ai_ms", r.llm.ai_ms},
                  {"ai_share", share(r.llm.ai_ms, r.stage_time_ms)},
                  {"ai_wall_ms", r.llm.ai_wall_ms},
                  {"ai_wall_share", share(r.llm.ai_wall_ms, r.run.duration_ms.value_or(0))},
                  {"ai_critical_path_ms", r.llm.ai_critical_ms},
                  {"ai_critical_path_share", share(r.llm.ai_critical_ms, r.critical_path_ms)},
                  {"preprocess_ms", std::round(r.llm.preprocess_ms * 1000) / 1000},
                  {"preprocess_share_of_ai",
                   r.llm.ai_ms > 0 ? std::round(1000.0 * r.llm.preprocess_ms / static_cast<double>(r.llm.ai_ms)) / 1000
                                   : 0.0},
                  // Unknown when a stage's model has no price: null, never a partial sum.
                  {"cost_usd", r.llm.unpriced > 0 ? json(nullptr) : json(r.llm.cost_usd)},
                  {"unpriced_stages", r.llm.unpriced},
                  {"tokens_in", r.llm.tokens_in},
                  {"tokens_out", r.llm.tokens_out},
                  {"cache_hits", r.llm.cache_hits},
                  {"calls", r.llm.calls}};
    if (!r.llm.budget_json.empty()) {
      json b = json::parse(r.llm.budget_json, nullptr, false);
      if (!b.is_discarded()) {
        b["spent"] = {{"run_usd", r.llm.run_spent_usd.value_or(r.llm.cost_usd)},
                      {"calls", r.llm.calls},
                      {"tokens", r.llm.tokens_in + r.llm.tokens_out}};
        if (r.llm.day_spent_usd) {
          b["spent"]["day_usd"] = *r.llm.day_spent_usd;
          b["spent"]["day"] = r.llm.day;
        }
        if (!r.llm.shared_ledger.empty()) b["spent"]["shared_ledger"] = r.llm.shared_ledger;
        out["llm"]["budget"] = b;
      }
    }
  }
  {
    WhatIf w = what_if(r);
    out["what_if"] = {{"llm_cached_critical_path_ms", w.llm_cached_critical_ms},
                      {"simulated_ms", w.simulated_ms},
                      {"simulated_double_jobs_ms", w.simulated_double_jobs_ms},
                      {"jobs", w.jobs}};
  }
  if (!r.notifications.empty()) {
    json ns = json::array();
    for (const auto& n : r.notifications) {
      ns.push_back({{"channel", n.channel}, {"event", n.event}, {"target", n.target}, {"outcome", n.outcome},
                    {"attempts", n.attempts}, {"http_status", n.http_status}, {"error", n.error},
                    {"elapsed_ms", n.elapsed_ms}});
    }
    out["notifications"] = ns;
  }
  return out.dump(2) + "\n";
}

namespace {
// An AI verdict stage's findings, from its recorded details (empty for other stages).
json verdict_findings(const store::StageRecord& s) {
  if (s.kind != "llm" || !s.details) return json::array();
  json d = json::parse(*s.details, nullptr, false);
  if (d.is_discarded() || !d.is_object() || !d.contains("findings") || !d["findings"].is_array()) return json::array();
  return d["findings"];
}

std::string findings_text(const json& findings) {
  std::string out;
  for (const auto& f : findings) {
    const int64_t line = f.value("line", int64_t{0});
    out += fmt::format("{}{}: {}: {}\n", f.value("path", std::string()), line > 0 ? fmt::format(":{}", line) : "",
                       f.value("severity", std::string()), f.value("message", std::string()));
  }
  return out;
}
}  // namespace

std::vector<VerdictFinding> verdict_findings_of(const store::StageRecord& s) {
  std::vector<VerdictFinding> out;
  for (const auto& f : verdict_findings(s)) {
    if (!f.is_object()) continue;
    out.push_back({f.value("path", std::string()), f.value("line", int64_t{0}), f.value("severity", std::string("warning")),
                   f.value("message", std::string())});
  }
  return out;
}

std::string to_sarif(const RunReport& r) {
  json results = json::array();
  json rules = json::array();
  for (const auto& s : r.stages) {
    json findings = verdict_findings(s);
    if (findings.empty()) continue;
    const std::string rule = "sluice/ai-verdict/" + s.name;
    rules.push_back({{"id", rule},
                     {"name", "AiVerdict"},
                     {"shortDescription", {{"text", fmt::format("Findings of the AI verdict stage \"{}\"", s.name)}}}});
    for (const auto& f : findings) {
      json loc = {{"artifactLocation", {{"uri", f.value("path", std::string())}}}};
      const int64_t line = f.value("line", int64_t{0});
      if (line > 0) loc["region"] = {{"startLine", line}};
      results.push_back({{"ruleId", rule},
                         {"level", f.value("severity", std::string("warning"))},
                         {"message", {{"text", f.value("message", std::string())}}},
                         {"locations", json::array({{{"physicalLocation", loc}}})},
                         {"properties", {{"stage", s.name}, {"run_id", r.run.id}}}});
    }
  }
  json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                {"version", "2.1.0"},
                {"runs", json::array({{{"tool", {{"driver", {{"name", "sluice"},
                                                             {"informationUri", "https://github.com/sluice-ci/sluice"},
                                                             {"rules", rules}}}}},
                                       {"results", results}}})}};
  return sarif.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string to_junit(const RunReport& r,
                     const std::function<std::optional<std::string>(const std::string&)>& read_log) {
  int failures = 0, skipped = 0;
  for (const auto& s : r.stages) {
    if (s.status == StageStatus::failed || s.status == StageStatus::unstable) ++failures;
    if (s.status == StageStatus::skipped || s.status == StageStatus::cancelled ||
        s.status == StageStatus::awaiting_approval)
      ++skipped;
  }
  auto secs = [](int64_t ms) { return fmt::format("{:.3f}", static_cast<double>(ms) / 1000.0); };
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"sluice\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{}\">\n",
                     r.stages.size(), failures, skipped, secs(r.run.duration_ms.value_or(0)));
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" "
                     "timestamp=\"{}\">\n",
                     xml_escape(r.run.pipeline), r.stages.size(), failures, skipped,
                     secs(r.run.duration_ms.value_or(0)), xml_escape(when(r.run.started_ms)));
  out += fmt::format("    <properties><property name=\"run_id\" value=\"{}\"/></properties>\n", xml_escape(r.run.id));
  for (const auto& s : r.stages) {
    out += fmt::format("    <testcase name=\"{}\" classname=\"sluice.{}\" time=\"{}\"", xml_escape(s.name),
                       xml_escape(s.kind), secs(dur(s)));
    const std::string findings = findings_text(verdict_findings(s));
    if (s.status == StageStatus::success) {
      if (!findings.empty())
        out += fmt::format("><system-out>{}{}</system-out></testcase>\n", s.cache_hit ? "cache hit\n" : "",
                           xml_escape(findings));
      else
        out += s.cache_hit ? "><system-out>cache hit</system-out></testcase>\n" : "/>\n";
      continue;
    }
    out += ">\n";
    std::string reason = s.reason.value_or(std::string(store::to_string(s.status)));
    // An advisory failure does not fail the run: a passing case that says so; a gate that
    // awaits approval is neither a pass nor a failure: skipped, with the approve command.
    if (s.status == StageStatus::failed_advisory || s.status == StageStatus::awaiting_approval) {
      out += fmt::format("      <properties><property name=\"sluice.status\" value=\"{}\"/></properties>\n",
                         store::to_string(s.status));
      if (s.status == StageStatus::awaiting_approval) {
        out += fmt::format("      <skipped message=\"awaiting_approval: {}\"/>\n", xml_escape(reason));
      } else {
        out += fmt::format("      <system-err>failed_advisory: {}{}{}</system-err>\n", xml_escape(reason),
                           findings.empty() ? "" : "\n", xml_escape(findings));
      }
      out += "    </testcase>\n";
      continue;
    }
    if (s.status == StageStatus::failed || s.status == StageStatus::unstable) {
      out += fmt::format("      <failure message=\"{}\" type=\"{}\">", xml_escape(reason),
                         s.status == StageStatus::unstable ? "unstable"
                         : s.exit_code                     ? fmt::format("exit {}", *s.exit_code)
                                                           : "failed");
      if (!findings.empty()) out += xml_escape(findings);
      if (s.log_path) {
        if (auto log = read_log(*s.log_path)) {
          std::string tail = log->size() > 8192 ? "...\n" + log->substr(log->size() - 8192) : *log;
          out += xml_escape(tail);
        }
      }
      out += "</failure>\n";
    } else {
      out += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(reason));
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string to_text(const RunReport& r) {
  std::string out;
  out += fmt::format("run {} ({}) of {}: {} in {}, started {}\n\n", r.run.seq, r.run.id, r.run.pipeline, store::to_string(r.run.status),
                     fmt_ms(r.run.duration_ms.value_or(0)), when(r.run.started_ms));
  size_t w = 5;
  for (const auto& s : r.stages) w = std::max(w, s.name.size());
  size_t sw = 9;  // the status column: failed_advisory and awaiting_approval are wider
  for (const auto& s : r.stages) sw = std::max(sw, store::to_string(s.status).size());
  out += fmt::format("  {:<{}}  {:<{}}  {:>9}  {:>8}  {:>5}  {}\n", "stage", w, "status", sw, "duration", "attempts",
                     "cache", "note");
  std::vector<std::string> crit(r.critical_path);
  for (const auto& s : r.stages) {
    bool on_path = std::find(crit.begin(), crit.end(), s.name) != crit.end();
    std::string note = s.reason.value_or("");
    if (s.exit_code && *s.exit_code != 0 && note.empty()) note = fmt::format("exit code {}", *s.exit_code);
    out += fmt::format("{} {:<{}}  {:<{}}  {:>9}  {:>8}  {:>5}  {}\n", on_path ? "*" : " ", s.name, w, store::to_string(s.status), sw,
                       fmt_ms(dur(s)), s.attempts, s.cache_hit ? "hit" : "-", note);
  }
  out += fmt::format("\ncritical path (*): {} = {}\n", base::join(r.critical_path, " -> "), fmt_ms(r.critical_path_ms));
  out += fmt::format("wall time {}, stage time {}, critical path {}, parallelism {:.2f}x, cache hits {}/{}\n",
                     fmt_ms(r.run.duration_ms.value_or(0)), fmt_ms(r.stage_time_ms), fmt_ms(r.critical_path_ms),
                     r.parallelism, r.cache_hits, r.stages.size());
  if (r.llm.stages > 0) {
    // Summed stage time can exceed the wall time (stages overlap), so shares are of the stage
    // time and of the critical path (which is what makes the run as long as it is), never of wall time.
    out += fmt::format(
        "LLM stages: {}, {} ({:.0f}% of stage time; {} of the critical path, {:.0f}%), pre-processing {:.2f}ms "
        "({:.1f}% of AI time), tokens {} in / {} out, cost {}, response cache hits {}\n",
        r.llm.stages, fmt_ms(r.llm.ai_ms), 100.0 * share(r.llm.ai_ms, r.stage_time_ms), fmt_ms(r.llm.ai_critical_ms),
        100.0 * share(r.llm.ai_critical_ms, r.critical_path_ms),
        r.llm.preprocess_ms,
        r.llm.ai_ms > 0 ? 100.0 * r.llm.preprocess_ms / static_cast<double>(r.llm.ai_ms) : 0.0,
        r.llm.tokens_in, r.llm.tokens_out,
        r.llm.unpriced > 0 ? fmt::format("unpriced ({} stage(s) with no known price; ${:.4f} for the others)",
                                         r.llm.unpriced, r.llm.cost_usd)
                           : fmt::format("${:.4f}", r.llm.cost_usd),
        r.llm.cache_hits);
    out += budget_line(r);
  }
  for (const auto& n : r.notifications) {
    out += fmt::format("notification: {} ({}) for {}: {}, {} attempt{}{}{}\n", n.channel, n.target, n.event, n.outcome,
                       n.attempts, n.attempts == 1 ? "" : "s", n.http_status ? fmt::format(", HTTP {}", n.http_status) : "",
                       n.error.empty() ? "" : ": " + n.error);
  }
  return out;
}

}  // namespace sluice::report
