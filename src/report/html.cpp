// The HTML run report: one self-contained file (inline CSS and SVG; the few lines of script
// only add zoom), readable without a network, on a phone and on paper. Every figure carries
// data-* attributes with its raw value so tests (and scripts) can read it back from the DOM.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/duration.h"
#include "base/strings.h"
#include "report/report.h"

namespace sluice::report {
using nlohmann::json;
using store::StageStatus;

namespace {
std::string esc(std::string_view s) { return base::xml_escape(s); }
std::string ms_text(int64_t ms) { return base::format_duration(std::chrono::milliseconds(ms)); }
std::string pct(double part, double whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100.0 * part / whole) : std::string("-");
}
int64_t dur(const store::StageRecord& s) { return s.duration_ms.value_or(0); }
std::string utc(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

constexpr const char* k_css = R"css(
:root{--ok:#2e7d32;--fail:#c62828;--skip:#9e9e9e;--cancel:#ef6c00;--intr:#6a1b9a;--run:#1565c0;--crit:#111;
--bg:#fff;--fg:#1b1b1b;--mute:#666;--line:#ddd}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
padding:12px;color:var(--fg);background:var(--bg);max-width:1400px}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.1em;margin:1.2em 0 .4em;border-bottom:1px solid var(--line)}
.mute{color:var(--mute)}.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid var(--line);border-radius:6px;padding:6px 10px;min-width:140px;flex:1 1 140px}
.card b{display:block;font-size:1.25em}.card span{color:var(--mute);font-size:.85em}
.badge{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;font-size:.85em}
.s-success{background:var(--ok)}.s-failed{background:var(--fail)}.s-skipped,.s-pending{background:var(--skip)}
.s-cancelled{background:var(--cancel)}.s-interrupted{background:var(--intr)}.s-running{background:var(--run)}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
svg.gantt{display:block;width:100%;min-width:600px;height:auto}
svg .bar rect.b{stroke:#fff;stroke-width:.5}svg .bar.crit rect.b{stroke:var(--crit);stroke-width:2}
svg .f-success{fill:var(--ok)}svg .f-failed{fill:var(--fail)}svg .f-skipped,svg .f-pending{fill:var(--skip)}
svg .f-cancelled{fill:var(--cancel)}svg .f-interrupted{fill:var(--intr)}svg .f-running{fill:var(--run)}
svg .hit rect.b{fill-opacity:.45}svg text{font-size:10px;fill:#333}svg .lbl{fill:#fff;font-size:9px;pointer-events:none}
.ph-render{fill:#90caf9}.ph-redact{fill:#64b5f6}.ph-tokenize{fill:#42a5f5}.ph-cache{fill:#b39ddb}.ph-budget{fill:#ffcc80}
.ph-queue{fill:#bdbdbd}.ph-ttft{fill:#f48fb1}.ph-generation{fill:#7e57c2}.ph-post_process{fill:#4db6ac}
.legend{display:flex;flex-wrap:wrap;gap:10px;font-size:.85em;margin:6px 0}.legend i{display:inline-block;width:12px;
height:10px;margin-right:4px;vertical-align:middle;border-radius:2px}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:4px 0}th,td{text-align:left;padding:3px 6px;
border-bottom:1px solid var(--line);vertical-align:top}th{background:#f5f5f5;position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.tw{overflow-x:auto;max-height:70vh;
content-visibility:auto;contain-intrinsic-size:auto 70vh}
tr.crit td:first-child{border-left:3px solid var(--crit)}pre{white-space:pre-wrap;font-size:.85em;margin:2px 0;
max-width:60ch;overflow:hidden}.meter{background:#eee;border-radius:4px;height:14px;position:relative;min-width:160px}
.meter i{position:absolute;top:0;bottom:0;left:0;border-radius:4px}.meter .sp{background:var(--run)}
.meter .rs{background:#90caf9}.slower{color:var(--fail)}.faster{color:var(--ok)}
.zoom{margin:4px 0}.zoom button{font:inherit;padding:1px 8px}
@media (max-width:600px){body{padding:6px;font-size:13px}.card{min-width:120px}}
@media print{.zoom{display:none}.tw{max-height:none;overflow:visible;content-visibility:visible}.scroll{overflow:visible}
svg.gantt{min-width:0}th{position:static}body{max-width:none}}
)css";

constexpr const char* k_js = R"js(
(function(){var s=document.querySelector('svg.gantt'),z=1;if(!s)return;
document.querySelectorAll('.zoom button').forEach(function(b){b.addEventListener('click',function(){
z=b.dataset.z==='in'?Math.min(z*2,32):b.dataset.z==='out'?Math.max(z/2,1):1;s.style.width=(100*z)+'%';});});})();
)js";

struct Phase {
  const char* name;
  const char* label;
};
constexpr Phase k_phases[] = {{"render", "render"},   {"redact", "redact"},         {"tokenize", "tokenize"},
                              {"cache", "cache"},     {"budget", "budget"},         {"queue", "queue"},
                              {"ttft", "ttft"},       {"generation", "generation"}, {"post_process", "post_process"}};

void card(std::string& out, const char* id, const std::string& value, const std::string& label, const std::string& data) {
  out += fmt::format("<div class=\"card\" id=\"{}\" {}><b>{}</b><span>{}</span></div>", id, data, esc(value), esc(label));
}

void gantt(std::string& out, const RunReport& r) {
  int lanes = 0;
  auto lane = assign_lanes(r, &lanes);
  const std::set<std::string> crit(r.critical_path.begin(), r.critical_path.end());
  const int64_t t0 = r.run.started_ms;
  int64_t span = std::max<int64_t>(1, r.run.duration_ms.value_or(0));
  for (const auto& s : r.stages) {
    if (s.started_ms && s.ended_ms) span = std::max(span, *s.ended_ms - t0);
  }
  size_t never = 0;
  for (int l : lane) never += l < 0 ? 1 : 0;
  constexpr double k_left = 62, k_width = 930, k_lane_h = 20, k_top = 18;
  const int rows = lanes + (never ? 1 : 0);
  const double height = k_top + rows * k_lane_h + 6;
  auto x_of = [&](int64_t ms) { return k_left + k_width * static_cast<double>(ms) / static_cast<double>(span); };
  out += fmt::format(
      "<div class=\"zoom\"><button data-z=\"out\">&minus;</button> <button data-z=\"reset\">fit</button> "
      "<button data-z=\"in\">+</button></div><div class=\"scroll\"><svg class=\"gantt\" "
      "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 {:.0f}\" data-lanes=\"{}\" role=\"img\" "
      "aria-label=\"timeline of the run\">",
      height, lanes);
  for (int k = 0; k <= 5; ++k) {
    int64_t ms = span * k / 5;
    double x = x_of(ms);
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2:.0f}\" stroke=\"#eee\"/>"
                       "<text x=\"{0:.1f}\" y=\"12\" text-anchor=\"{3}\">{4}</text>",
                       x, k_top - 4, height, k == 0 ? "start" : k == 5 ? "end" : "middle", esc(ms_text(ms)));
  }
  for (int l = 0; l < rows; ++l) {
    out += fmt::format("<text x=\"2\" y=\"{:.0f}\">{}</text>", k_top + l * k_lane_h + 14,
                       l < lanes ? fmt::format("slot {}", l + 1) : std::string("not run"));
  }
  size_t nth_never = 0;
  for (size_t i = 0; i < r.stages.size(); ++i) {
    const auto& s = r.stages[i];
    const std::string st(store::to_string(s.status));
    const bool on_path = crit.count(s.name) > 0;
    double x, w, y;
    if (lane[i] >= 0) {
      x = x_of(*s.started_ms - t0);
      int64_t end = s.ended_ms.value_or(*s.started_ms + dur(s));
      w = std::max(1.5, x_of(end - t0) - x);
      y = k_top + lane[i] * k_lane_h + 2;
    } else {
      x = k_left + k_width * static_cast<double>(nth_never++) / static_cast<double>(std::max<size_t>(never, 1));
      w = std::max(1.5, std::min(8.0, k_width / static_cast<double>(std::max<size_t>(never, 1)) - 1));
      y = k_top + lanes * k_lane_h + 2;
    }
    const double h = k_lane_h - 4;
    out += fmt::format(
        "<g class=\"bar{}{}{}\" data-stage=\"{}\" data-status=\"{}\" data-lane=\"{}\" data-duration-ms=\"{}\" "
        "data-critical=\"{}\"><title>{}: {} in {}{}{}{}</title><rect class=\"b f-{}\" x=\"{:.1f}\" y=\"{:.1f}\" "
        "width=\"{:.1f}\" height=\"{:.0f}\" rx=\"2\"/>",
        on_path ? " crit" : "", s.cache_hit ? " hit" : "", s.attempts > 1 ? " retried" : "", esc(s.name), st, lane[i],
        dur(s), on_path ? 1 : 0, esc(s.name), st, esc(ms_text(dur(s))), s.cache_hit ? ", cache hit" : "",
        s.attempts > 1 ? fmt::format(", {} attempts", s.attempts) : "", on_path ? ", on the critical path" : "", st, x,
        y, w, h);
    auto phases = llm_phases(s);
    if (!phases.empty() && w > 3) {
      double total = 0;
      for (const auto& p : phases) total += p.second;
      // Phases are durations, not timestamps: laid end to end, scaled to the bar if they
      // overran it (retries and fallbacks make a stage longer than one call's phases).
      double scale = total > static_cast<double>(dur(s)) && total > 0 ? static_cast<double>(dur(s)) / total : 1.0;
      double px_per_ms = dur(s) > 0 ? w / static_cast<double>(dur(s)) : 0;
      double px = x;
      for (const auto& [name, ms] : phases) {
        double pw = ms * scale * px_per_ms;
        if (pw >= 0.2) {
          out += fmt::format("<rect class=\"ph ph-{0}\" data-phase=\"{0}\" x=\"{1:.2f}\" y=\"{2:.1f}\" width=\"{3:.2f}\" "
                             "height=\"{4:.0f}\"><title>{0}: {5:.1f} ms</title></rect>",
                             name, px, y + 3, pw, h - 6, ms);
        }
        px += pw;
      }
    }
    if (s.attempts > 1) {
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#ffeb3b\" stroke=\"#333\"/>", x + 3, y + 3);
    }
    if (w > 6.0 * static_cast<double>(s.name.size()) + 6) {
      out += fmt::format("<text class=\"lbl\" x=\"{:.1f}\" y=\"{:.1f}\">{}{}</text>", x + 3, y + h - 4, esc(s.name),
                         s.cache_hit ? " (hit)" : "");
    }
    out += "</g>";
  }
  out += "</svg></div><div class=\"legend\"><span><i style=\"background:var(--ok)\"></i>success</span>"
         "<span><i style=\"background:var(--fail)\"></i>failed</span><span><i style=\"background:var(--skip)\"></i>"
         "skipped</span><span><i style=\"background:var(--cancel)\"></i>cancelled</span><span><i style=\"border:2px "
         "solid #111\"></i>critical path</span><span><i style=\"background:var(--ok);opacity:.45\"></i>cache hit</span>"
         "<span><i style=\"background:#ffeb3b;border-radius:50%\"></i>retried</span>";
  for (const auto& p : k_phases) {
    out += fmt::format("<span><svg width=\"12\" height=\"10\"><rect class=\"ph-{}\" width=\"12\" height=\"10\"/></svg> {}</span>",
                       p.name, p.label);
  }
  out += "</div>";
}

std::string log_excerpt(const store::StageRecord& s,
                        const std::function<std::optional<std::string>(const std::string&)>& read_log) {
  if (!s.log_path || !read_log) return "";
  auto log = read_log(*s.log_path);
  if (!log || log->empty()) return "";
  // The last 12 lines (at most 2 KB): where a failure usually says why. Logs are redacted on disk.
  std::string_view v = *log;
  while (!v.empty() && v.back() == '\n') v.remove_suffix(1);
  size_t pos = v.size();
  for (int lines = 0; lines < 12 && pos > 0; ++lines) {
    size_t nl = v.rfind('\n', pos - 1);
    pos = nl == std::string_view::npos ? 0 : nl;
  }
  std::string_view tail = v.substr(pos);
  if (tail.size() > 2048) tail = tail.substr(tail.size() - 2048);
  if (!tail.empty() && tail.front() == '\n') tail.remove_prefix(1);
  return fmt::format("<details><summary>log</summary><pre>{}</pre></details>", esc(tail));
}

void stages_table(std::string& out, const RunReport& r,
                  const std::function<std::optional<std::string>(const std::string&)>& read_log) {
  const std::set<std::string> crit(r.critical_path.begin(), r.critical_path.end());
  out += "<div class=\"tw\"><table id=\"stages-table\"><thead><tr><th>stage</th><th>kind</th><th>status</th>"
         "<th class=\"n\">duration</th><th class=\"n\">attempts</th><th>cache</th><th class=\"n\">exit</th>"
         "<th>note</th></tr></thead><tbody>";
  int excerpts = 0;
  for (const auto& s : r.stages) {
    const std::string st(store::to_string(s.status));
    std::string note = esc(s.reason.value_or(""));
    // Excerpts for the stages that did not succeed (a bounded number: a 2,000-stage failure
    // storm must not make the file huge).
    if (s.status != StageStatus::success && s.status != StageStatus::skipped && excerpts < 50) {
      std::string ex = log_excerpt(s, read_log);
      if (!ex.empty()) {
        note += ex;
        ++excerpts;
      }
    }
    out += fmt::format(
        "<tr data-stage=\"{}\"{}><td>{}</td><td>{}</td><td><span class=\"badge s-{}\">{}</span></td><td class=\"n\" "
        "data-ms=\"{}\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
        esc(s.name), crit.count(s.name) ? " class=\"crit\"" : "", esc(s.name), esc(s.kind), st, st, dur(s),
        esc(ms_text(dur(s))), s.attempts, s.cache_hit ? "hit" : "-", s.exit_code ? std::to_string(*s.exit_code) : "-",
        note);
  }
  out += "</tbody></table></div>";
}

void llm_row(std::string& out, const std::string& stage, const std::string& model, const std::string& status,
             int64_t in, int64_t tokens_out, double usd, bool hit, const json& phases, const std::string& error) {
  out += fmt::format("<tr data-stage=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                     "<td class=\"n\" data-usd=\"{}\">${:.4f}</td><td>{}</td>",
                     esc(stage), esc(stage), esc(model), error.empty() ? esc(status) : fmt::format("<span title=\"{}\">{}</span>",
                     esc(error), esc(status)), in, tokens_out, usd, usd, hit ? "hit" : "-");
  for (const auto& p : k_phases) {
    if (phases.is_object() && phases.contains(p.name) && phases[p.name].is_number()) {
      out += fmt::format("<td class=\"n\">{:.1f}</td>", phases[p.name].get<double>());
    } else {
      out += "<td class=\"n\">-</td>";
    }
  }
  out += "</tr>";
}

void llm_table(std::string& out, const RunReport& r) {
  out += "<div class=\"tw\"><table id=\"llm-table\"><thead><tr><th>stage</th><th>model</th><th>call</th>"
         "<th class=\"n\">tokens in</th><th class=\"n\">tokens out</th><th class=\"n\">cost</th><th>cache</th>";
  for (const auto& p : k_phases) out += fmt::format("<th class=\"n\">{} ms</th>", p.label);
  out += "</tr></thead><tbody>";
  if (!r.llm_calls.empty()) {
    // Every call, repairs and fallbacks included, as the llm module recorded them.
    for (const auto& c : r.llm_calls) {
      llm_row(out, c.stage, c.model, c.status, c.tokens_in, c.tokens_out, c.cost_usd, c.cache_hit,
              json::parse(c.phases_json, nullptr, false), c.error);
    }
  } else {
    for (const auto& s : r.stages) {
      if (s.kind != "llm" || !s.details) continue;
      json d = json::parse(*s.details, nullptr, false);
      if (d.is_discarded() || !d.is_object()) continue;
      std::string model = d.value("model_served", std::string());
      if (model.empty()) model = d.value("model", std::string());
      llm_row(out, s.name, model, std::string(store::to_string(s.status)), d.value("tokens_in", int64_t{0}),
              d.value("tokens_out", int64_t{0}), d.value("cost_usd", 0.0), d.value("cache_hit", false),
              d.contains("phases_ms") ? d["phases_ms"] : json(), "");
    }
  }
  out += "</tbody></table></div>";
}

void meter(std::string& out, const std::string& what, double spent, double reserved, double limit,
           const std::string& text) {
  double sp = limit > 0 ? std::min(100.0, 100.0 * spent / limit) : 0;
  double rs = limit > 0 ? std::min(100.0 - sp, 100.0 * reserved / limit) : 0;
  out += fmt::format("<tr class=\"budget\" data-what=\"{}\" data-spent=\"{}\" data-reserved=\"{}\" data-limit=\"{}\">"
                     "<td>{}</td><td><div class=\"meter\"><i class=\"sp\" style=\"width:{:.1f}%\"></i><i class=\"rs\" "
                     "style=\"left:{:.1f}%;width:{:.1f}%\"></i></div></td><td>{}</td></tr>",
                     esc(what), spent, reserved, limit, esc(what), sp, sp, rs, esc(text));
}

void budgets(std::string& out, const RunReport& r) {
  json b = json::parse(r.llm.budget_json, nullptr, false);
  if (r.llm.budget_json.empty() || b.is_discarded() || !b.is_object()) {
    out += "<p class=\"mute\">No budget is configured (llm.budget).</p>";
    return;
  }
  out += "<table id=\"budget-table\"><thead><tr><th>limit</th><th>spent / reserved / limit</th><th></th></tr></thead><tbody>";
  double run_spent = r.llm.run_spent_usd.value_or(r.llm.cost_usd);
  double run_res = r.llm.run_reserved_usd.value_or(0);
  if (b.contains("per_run_usd")) {
    double lim = b["per_run_usd"].get<double>();
    meter(out, "per_run_usd", run_spent, run_res, lim,
          fmt::format("${:.4f} spent, ${:.4f} reserved of ${:.2f}", run_spent, run_res, lim));
  }
  if (b.contains("per_day_usd") && r.llm.day_spent_usd) {
    double lim = b["per_day_usd"].get<double>();
    meter(out, "per_day_usd", *r.llm.day_spent_usd, 0, lim,
          fmt::format("{} (UTC): ${:.4f} of ${:.2f}", r.llm.day, *r.llm.day_spent_usd, lim));
  }
  if (b.contains("max_calls_per_run")) {
    double lim = static_cast<double>(b["max_calls_per_run"].get<int64_t>());
    meter(out, "max_calls_per_run", r.llm.calls, 0, lim, fmt::format("{} of {:.0f} calls", r.llm.calls, lim));
  }
  if (b.contains("max_tokens_per_run")) {
    double lim = static_cast<double>(b["max_tokens_per_run"].get<int64_t>());
    int64_t t = r.llm.tokens_in + r.llm.tokens_out;
    meter(out, "max_tokens_per_run", static_cast<double>(t), 0, lim, fmt::format("{} of {:.0f} tokens", t, lim));
  }
  out += "</tbody></table>";
}

void what_if_section(std::string& out, const RunReport& r) {
  WhatIf w = what_if(r);
  out += fmt::format("<table id=\"whatif\" data-critical-path-ms=\"{}\" data-llm-cached-ms=\"{}\" data-simulated-ms=\"{}\" "
                     "data-simulated-double-jobs-ms=\"{}\" data-jobs=\"{}\"><tbody>",
                     w.critical_path_ms, w.llm_cached_critical_ms, w.simulated_ms, w.simulated_double_jobs_ms, w.jobs);
  auto row = [&](const std::string& what, int64_t ms, int64_t base) {
    std::string delta = base > 0 && ms != base ? fmt::format(" ({:+.0f}%)", 100.0 * static_cast<double>(ms - base) /
                                                                               static_cast<double>(base))
                                               : "";
    out += fmt::format("<tr><td>{}</td><td class=\"n\">{}{}</td></tr>", esc(what), esc(ms_text(ms)), delta);
  };
  row("critical path as recorded", w.critical_path_ms, 0);
  if (r.llm.stages > 0) row("critical path with every LLM stage served from its response cache", w.llm_cached_critical_ms, w.critical_path_ms);
  row(fmt::format("schedule of the recorded durations at -j {}", w.jobs), w.simulated_ms, 0);
  row(fmt::format("the same at -j {} (doubled)", 2 * w.jobs), w.simulated_double_jobs_ms, w.simulated_ms);
  out += "</tbody></table><p class=\"mute\">Computed from the recorded durations: a cached LLM stage keeps its render, "
         "redact, tokenize and cache-lookup time; the schedules start ready stages in file order and ignore locks.</p>";
}

void comparison(std::string& out, const RunReport& r, const RunReport& prev) {
  std::map<std::string, const store::StageRecord*> before;
  for (const auto& s : prev.stages) before[s.name] = &s;
  const int64_t wall = r.run.duration_ms.value_or(0), pwall = prev.run.duration_ms.value_or(0);
  const double spend = r.llm.cost_usd, pspend = prev.llm.cost_usd;
  out += fmt::format("<p id=\"compare-summary\" data-previous-run=\"{}\" data-wall-delta-ms=\"{}\" "
                     "data-spend-delta-usd=\"{:.6f}\">Against run {} ({}): wall time {} &rarr; {} ({:+} ms), critical path "
                     "{} &rarr; {}, spend ${:.4f} &rarr; ${:.4f} ({:+.4f}).</p>",
                     prev.run.seq, wall - pwall, spend - pspend, prev.run.seq, esc(std::string(store::to_string(prev.run.status))),
                     esc(ms_text(pwall)), esc(ms_text(wall)), wall - pwall, esc(ms_text(prev.critical_path_ms)),
                     esc(ms_text(r.critical_path_ms)), pspend, spend, spend - pspend);
  struct Delta {
    const store::StageRecord* now;
    const store::StageRecord* was;
    int64_t d;
  };
  std::vector<Delta> rows;
  for (const auto& s : r.stages) {
    auto it = before.find(s.name);
    if (it == before.end()) continue;
    int64_t d = dur(s) - dur(*it->second);
    bool status_changed = s.status != it->second->status;
    // Noise floor: a stage is slower or faster when it moved by 50 ms and by 10%.
    bool moved = std::llabs(d) >= 50 && std::llabs(d) * 10 >= dur(*it->second);
    if (moved || status_changed) rows.push_back({&s, it->second, d});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Delta& a, const Delta& b) { return a.d > b.d; });
  if (rows.empty()) {
    out += "<p class=\"mute\">No stage changed status or duration by more than 50 ms and 10%.</p>";
    return;
  }
  out += "<div class=\"tw\"><table id=\"compare-table\"><thead><tr><th>stage</th><th>before</th><th>now</th>"
         "<th class=\"n\">before</th><th class=\"n\">now</th><th class=\"n\">change</th></tr></thead><tbody>";
  size_t shown = 0;
  for (const auto& x : rows) {
    if (++shown > 100) break;
    out += fmt::format("<tr data-stage=\"{}\" data-delta-ms=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>"
                       "<td class=\"n\">{}</td><td class=\"n {}\">{:+} ms</td></tr>",
                       esc(x.now->name), x.d, esc(x.now->name), store::to_string(x.was->status), store::to_string(x.now->status),
                       esc(ms_text(dur(*x.was))), esc(ms_text(dur(*x.now))), x.d > 0 ? "slower" : "faster", x.d);
  }
  out += "</tbody></table></div>";
}

void notifications(std::string& out, const RunReport& r) {
  out += "<table id=\"notify-table\"><thead><tr><th>channel</th><th>event</th><th>target</th><th>outcome</th>"
         "<th class=\"n\">attempts</th><th class=\"n\">HTTP</th><th class=\"n\">time</th><th>error</th></tr></thead><tbody>";
  for (const auto& n : r.notifications) {
    out += fmt::format("<tr data-outcome=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>"
                       "<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                       esc(n.outcome), esc(n.channel), esc(n.event), esc(n.target), esc(n.outcome), n.attempts,
                       n.http_status ? std::to_string(n.http_status) : "-", esc(ms_text(n.elapsed_ms)), esc(n.error));
  }
  out += "</tbody></table>";
}
}  // namespace

std::string to_html(const RunReport& r, const RunReport* previous,
                    const std::function<std::optional<std::string>(const std::string&)>& read_log) {
  std::string out;
  out.reserve(4096 + r.stages.size() * 900);
  const std::string status(store::to_string(r.run.status));
  const int64_t wall = r.run.duration_ms.value_or(0);
  out += fmt::format("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                     "content=\"width=device-width,initial-scale=1\"><title>sluice run {}: {} ({})</title><style>{}</style>"
                     "</head><body>",
                     r.run.seq, esc(r.run.pipeline), status, k_css);
  out += fmt::format("<header><h1>sluice run {} &middot; {} <span class=\"badge s-{}\" id=\"run-status\">{}</span></h1>"
                     "<p class=\"mute\">run id {} &middot; {} stages &middot; -j {} &middot; started {} UTC</p></header>",
                     r.run.seq, esc(r.run.pipeline), status, status, esc(r.run.id), r.stages.size(), r.run.jobs,
                     esc(utc(r.run.started_ms)));
  // The totals, with raw values the JSON summary also has (tests compare the two).
  out += fmt::format("<section id=\"totals\" data-run-id=\"{}\" data-status=\"{}\" data-duration-ms=\"{}\" "
                     "data-critical-path-ms=\"{}\" data-stage-time-ms=\"{}\" data-stages=\"{}\" data-cache-hits=\"{}\" "
                     "data-parallelism=\"{:.2f}\" data-cost-usd=\"{}\" data-tokens-in=\"{}\" data-tokens-out=\"{}\" "
                     "data-ai-wall-ms=\"{}\" data-ai-critical-ms=\"{}\" data-critical-path=\"{}\"><div class=\"cards\">",
                     esc(r.run.id), status, wall, r.critical_path_ms, r.stage_time_ms, r.stages.size(), r.cache_hits,
                     std::round(r.parallelism * 100) / 100, r.llm.cost_usd, r.llm.tokens_in, r.llm.tokens_out,
                     r.llm.ai_wall_ms, r.llm.ai_critical_ms, esc(base::join(r.critical_path, ",")));
  card(out, "c-wall", ms_text(wall), "wall time", "");
  card(out, "c-crit", ms_text(r.critical_path_ms), fmt::format("critical path ({} stages)", r.critical_path.size()), "");
  card(out, "c-stage", ms_text(r.stage_time_ms), "stage time (summed)", "");
  card(out, "c-par", fmt::format("{:.2f}x", r.parallelism), "parallelism", "");
  card(out, "c-cache", fmt::format("{}/{}", r.cache_hits, r.stages.size()), "step cache hits", "");
  if (r.llm.stages > 0) {
    card(out, "c-ai-wall", pct(static_cast<double>(r.llm.ai_wall_ms), static_cast<double>(wall)),
         "of wall time with an AI stage running", fmt::format("data-ms=\"{}\"", r.llm.ai_wall_ms));
    card(out, "c-ai-crit", pct(static_cast<double>(r.llm.ai_critical_ms), static_cast<double>(r.critical_path_ms)),
         "of the critical path in AI stages", fmt::format("data-ms=\"{}\"", r.llm.ai_critical_ms));
    card(out, "c-pre", pct(r.llm.preprocess_ms, static_cast<double>(r.llm.ai_ms)), "of AI time in pre-processing", "");
    card(out, "c-spend", fmt::format("${:.4f}", r.llm.cost_usd),
         fmt::format("LLM spend; {} in / {} out tokens", r.llm.tokens_in, r.llm.tokens_out), "");
  }
  out += "</div></section>";
  out += "<section id=\"timeline\"><h2>Timeline</h2>";
  gantt(out, r);
  out += fmt::format("<p>Critical path: {} = {}</p></section>", esc(base::join(r.critical_path, " \u2192 ")),
                     esc(ms_text(r.critical_path_ms)));
  out += "<section id=\"what-if\"><h2>What if</h2>";
  what_if_section(out, r);
  out += "</section>";
  if (previous) {
    out += "<section id=\"compare\"><h2>Compared with the previous run</h2>";
    comparison(out, r, *previous);
    out += "</section>";
  }
  out += "<section id=\"stages\"><h2>Stages</h2>";
  stages_table(out, r, read_log);
  out += "</section>";
  if (r.llm.stages > 0) {
    out += "<section id=\"llm\"><h2>LLM calls</h2>";
    llm_table(out, r);
    out += "<h3>Budget</h3>";
    budgets(out, r);
    out += "</section>";
  }
  if (!r.notifications.empty()) {
    out += "<section id=\"notifications\"><h2>Notifications</h2>";
    notifications(out, r);
    out += "</section>";
  }
  out += fmt::format("<footer class=\"mute\"><p>Written by sluice from the state database; logs are redacted.</p>"
                     "</footer><script>{}</script></body></html>\n",
                     k_js);
  return out;
}

}  // namespace sluice::report
