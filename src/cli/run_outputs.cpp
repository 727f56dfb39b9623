#include "cli/run_outputs.h"

#include <fmt/format.h>

#include "base/files.h"
#include "base/hash.h"
#include "base/strings.h"
#include "notify/payload.h"
#include "notify/signing.h"

namespace sluice::cli {

void add_report_file_options(CLI::App* cmd, ReportFiles& f) {
  cmd->add_option("--html", f.html, "Write the HTML report (one self-contained file) to FILE");
  cmd->add_option("--trace", f.trace, "Write a Chrome trace (Perfetto, chrome://tracing) to FILE");
  cmd->add_option("--otlp", f.otlp, "Write the run's spans as OTLP/JSON lines to FILE");
  cmd->add_option("--otlp-endpoint", f.otlp_endpoint, "Send the run's spans to an OTLP/HTTP collector (JSON), e.g. http://localhost:4318");
}

std::optional<report::RunReport> previous_report(store::StateStore& st, const report::RunReport& r) {
  auto runs = st.list_runs(1000);
  if (!runs) return std::nullopt;
  for (const auto& run : *runs) {  // newest first
    if (run.seq >= r.run.seq || run.pipeline != r.run.pipeline || run.status == store::RunStatus::running) continue;
    auto stages = st.stages_of(run.id);
    if (!stages) return std::nullopt;
    auto prev = report::build_report(run, std::move(*stages));
    (void)report::add_ledger_spend(prev, st.db());
    return prev;
  }
  return std::nullopt;
}

bool write_report_files(const ReportFiles& f, const report::RunReport& r, const report::RunReport* previous,
                        const ci::ReadLog& read_log) {
  bool ok = true;
  auto write = [&](const std::string& path, const std::function<std::string()>& text) {
    if (path.empty()) return;
    if (auto w = base::atomic_write(path, text()); !w) {
      std::fprintf(stderr, "sluice: %s\n", w.error().message.c_str());
      ok = false;
    } else {
      std::printf("sluice: wrote %s\n", path.c_str());
    }
  };
  write(f.html, [&] { return report::to_html(r, previous, read_log); });
  write(f.trace, [&] { return report::to_chrome_trace(r); });
  write(f.otlp, [&] { return report::to_otlp_json(r) + "\n"; });
  std::fflush(stdout);
  return ok;
}

notify::Delivery otlp_delivery(const std::string& endpoint, const report::RunReport& r) {
  notify::Delivery d;
  d.channel = "otlp";
  d.event = "export";
  d.target = "--otlp-endpoint";
  std::string url = endpoint;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.ends_with("/v1/traces")) url += "/v1/traces";
  d.url = url;
  d.body = report::to_otlp_json(r);
  return d;
}

namespace {
bool over_budget(const store::StageRecord& s) { return s.reason && s.reason->starts_with("over budget"); }
}  // namespace

void NotifyingSink::run_started(const store::RunRecord& run, const std::vector<int>& selected) {
  m_run = run;
  m_next.run_started(run, selected);
}

void NotifyingSink::stage_finished(const pipeline::Stage& s, const store::StageRecord& record) {
  m_next.stage_finished(s, record);
  if (m_budget_sent || !over_budget(record)) return;
  report::RunReport now;
  now.run = m_run;
  now.stages = {record};
  for (auto& d : run_notifications(m_rules, now, m_redact, m_warnings)) m_sender.enqueue(std::move(d));
  m_budget_sent = true;
}

std::vector<notify::Delivery> run_notifications(const std::vector<notify::Rule>& rules, const report::RunReport& r,
                                                const Redact& redact, std::vector<std::string>& warnings,
                                                BudgetEvent budget) {
  using notify::Event;
  std::vector<std::pair<Event, std::string>> events;  // event, detail
  if (r.run.status == store::RunStatus::success) events.emplace_back(Event::success, "");
  if (r.run.status == store::RunStatus::failed) events.emplace_back(Event::failure, "");
  if (r.run.status == store::RunStatus::awaiting_approval) {
    std::vector<std::string> held;
    for (const auto& s : r.stages) {
      if (s.status == store::StageStatus::awaiting_approval) held.push_back(s.name);
    }
    events.emplace_back(Event::awaiting_approval,
                        fmt::format("{} held by a review gate; `sluice review {}` shows the content and the approve "
                                    "command",
                                    base::join(held, ", "), r.run.id));
  }
  for (const auto& s : r.stages) {
    if (budget == BudgetEvent::include && over_budget(s)) {
      events.emplace_back(Event::budget_exceeded, fmt::format("{}: {}", s.name, *s.reason));
      break;
    }
  }
  notify::RunSummary sum;
  sum.pipeline = r.run.pipeline;
  sum.run_id = r.run.id;
  sum.seq = r.run.seq;
  sum.status = std::string(store::to_string(r.run.status));
  sum.duration_ms = r.run.duration_ms.value_or(0);
  sum.stages = static_cast<int>(r.stages.size());
  sum.cache_hits = r.cache_hits;
  sum.critical_path = r.critical_path;
  sum.critical_path_ms = r.critical_path_ms;
  sum.cost_usd = r.llm.cost_usd;
  for (const auto& s : r.stages) {
    if (s.status == store::StageStatus::failed) sum.failed.push_back(fmt::format("{}: {}", s.name, s.reason.value_or("failed")));
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<notify::Delivery> out;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    for (const auto& [event, detail] : events) {
      if (!rule.wants(event)) continue;
      notify::Delivery d;
      d.channel = std::string(notify::to_string(rule.channel));
      d.event = std::string(notify::to_string(event));
      d.target = rule.url_env;
      d.url = env_or(rule.url_env.c_str());
      if (d.url.empty()) {
        warnings.push_back(fmt::format("notify: {} is not set; the {} notification for {} was not sent", rule.url_env,
                                       d.channel, d.event));
        continue;
      }
      sum.event = event;
      sum.detail = detail;
      d.body = rule.channel == notify::Channel::slack ? notify::slack_payload(sum, redact)
                                                       : notify::webhook_payload(sum, redact, now_ms);
      d.id = "msg_" + base::sha256_hex(fmt::format("{}/{}/{}", r.run.id, i, d.event)).substr(0, 24);
      if (!rule.secret_env.empty()) {
        auto key = notify::webhook_key(env_or(rule.secret_env.c_str()));
        if (!key) {
          warnings.push_back(fmt::format("notify: {}: {}; the {} notification for {} was not sent", rule.secret_env,
                                         key.error().message, d.channel, d.event));
          continue;
        }
        d.signing_key = *key;
      }
      out.push_back(std::move(d));
    }
  }
  return out;
}

std::vector<std::string> values_to_mask(const pipeline::Pipeline& p, const std::vector<notify::Rule>& rules) {
  std::vector<std::string> v;
  for (const auto& s : p.secrets) v.push_back(env_or(s.name.c_str()));
  for (const auto& r : rules) {
    v.push_back(env_or(r.url_env.c_str()));
    if (!r.secret_env.empty()) v.push_back(env_or(r.secret_env.c_str()));
  }
  return v;
}

void write_ci_outputs(const TerminalInfo& term, const pipeline::Pipeline& p, const report::RunReport& r,
                      const ci::ReadLog& read_log, const std::string& junit_path) {
  if (term.ci_kind == CiKind::github) {
    ci::github_annotations(p, r, read_log, stdout);
    std::string summary = env_or("GITHUB_STEP_SUMMARY");
    if (!summary.empty()) {
      // Appended, as GitHub documents: other steps' summaries share the file.
      if (std::FILE* f = std::fopen(summary.c_str(), "a")) {
        std::fputs(ci::step_summary(r).c_str(), f);
        std::fclose(f);
      } else {
        std::fprintf(stderr, "sluice: warning: cannot append to GITHUB_STEP_SUMMARY (%s)\n", summary.c_str());
      }
    }
  } else if (term.ci_kind == CiKind::gitlab) {
    std::string dir = env_or("SLUICE_REPORT_DIR", "sluice-report");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    auto put = [&](const std::string& path, const std::string& text) {
      if (auto w = base::atomic_write(path, text); !w) std::fprintf(stderr, "sluice: warning: %s\n", w.error().message.c_str());
    };
    put(dir + "/gl-code-quality-report.json", ci::gitlab_code_quality(p, r, read_log));
    if (junit_path.empty()) put(dir + "/junit.xml", report::to_junit(r, read_log));
  }
}

void settle_notifications(const std::vector<notify::Outcome>& outcomes, store::StateStore* st, report::RunReport& r,
                          std::FILE* err) {
  if (outcomes.empty()) return;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  if (st) {
    if (auto w = notify::record_outcomes(st->db(), r.run.id, outcomes, now_ms); !w) {
      std::fprintf(err, "sluice: warning: notifications not recorded: %s\n", w.error().message.c_str());
    }
  }
  for (const auto& o : outcomes) {
    r.notifications.push_back({o.channel, o.event, o.target, o.outcome, o.attempts, o.http_status, o.error, o.elapsed_ms});
    if (o.outcome != "delivered") {
      std::fprintf(err, "sluice: warning: %s notification (%s) for %s %s after %d attempt%s: %s\n", o.channel.c_str(),
                   o.target.c_str(), o.event.c_str(), o.outcome.c_str(), o.attempts, o.attempts == 1 ? "" : "s",
                   o.error.c_str());
    }
  }
}

}  // namespace sluice::cli
