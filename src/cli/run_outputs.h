#pragma once
// What `sluice run` and `sluice report` write about a run besides the terminal: the HTML
// report, the Chrome trace, OTLP (file and endpoint), the CI's native outputs, and the
// notifications (notify module) with their outcomes recorded in the state database.

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/ci.h"
#include "cli/terminal.h"
#include "engine/events.h"
#include "notify/config.h"
#include "notify/sender.h"
#include "pipeline/spec.h"
#include "report/report.h"
#include "store/state_store.h"

namespace sluice::cli {

struct ReportFiles {
  std::string html, trace, otlp, otlp_endpoint;
  [[nodiscard]] bool any_file() const { return !html.empty() || !trace.empty() || !otlp.empty(); }
};

void add_report_file_options(CLI::App* cmd, ReportFiles& f);

// The run before `r` of the same pipeline, as a report (for the HTML comparison); nullopt when none.
[[nodiscard]] std::optional<report::RunReport> previous_report(store::StateStore& st, const report::RunReport& r);

// Writes the --html/--trace/--otlp files; false (after saying why on stderr) when one fails.
[[nodiscard]] bool write_report_files(const ReportFiles& f, const report::RunReport& r, const report::RunReport* previous,
                                      const ci::ReadLog& read_log);

// The OTLP/HTTP request for --otlp-endpoint URL (`/v1/traces` appended unless the path has it).
[[nodiscard]] notify::Delivery otlp_delivery(const std::string& endpoint, const report::RunReport& r);

using Redact = std::function<std::string(std::string_view)>;
enum class BudgetEvent { include, already_sent };

// The notifications of a finished run, for the rules that want its events. Environment
// variables that are unset, or a secret that is no whsec_ key, become warnings.
[[nodiscard]] std::vector<notify::Delivery> run_notifications(const std::vector<notify::Rule>& rules,
                                                              const report::RunReport& r, const Redact& redact,
                                                              std::vector<std::string>& warnings,
                                                              BudgetEvent budget = BudgetEvent::include);

// Forwards every event to `next`; the first time a stage is refused by the LLM budget it queues
// the budget_exceeded notifications at once, while the run goes on (enqueue never blocks).
class NotifyingSink final : public engine::EventSink {
 public:
  NotifyingSink(engine::EventSink& next, const std::vector<notify::Rule>& rules, notify::Sender& sender, Redact redact)
      : m_next(next), m_rules(rules), m_sender(sender), m_redact(std::move(redact)) {}
  void run_started(const store::RunRecord& run, const std::vector<int>& selected) override;
  void stage_started(const pipeline::Stage& s, int attempt) override { m_next.stage_started(s, attempt); }
  void stage_output(const pipeline::Stage& s, std::string_view chunk) override { m_next.stage_output(s, chunk); }
  void stage_retrying(const pipeline::Stage& s, int next, std::string_view why) override {
    m_next.stage_retrying(s, next, why);
  }
  void stage_finished(const pipeline::Stage& s, const store::StageRecord& record) override;
  void stage_warning(const pipeline::Stage& s, std::string_view text) override { m_next.stage_warning(s, text); }
  [[nodiscard]] bool budget_sent() const { return m_budget_sent; }
  [[nodiscard]] const std::vector<std::string>& warnings() const { return m_warnings; }

 private:
  engine::EventSink& m_next;
  const std::vector<notify::Rule>& m_rules;
  notify::Sender& m_sender;
  Redact m_redact;
  store::RunRecord m_run;
  bool m_budget_sent = false;
  std::vector<std::string> m_warnings;
};

// The values of declared secrets and of notify URLs/secrets, for GitHub's ::add-mask::.
[[nodiscard]] std::vector<std::string> values_to_mask(const pipeline::Pipeline& p, const std::vector<notify::Rule>& rules);

// After the run: GitHub annotations and step summary, GitLab Code Quality and JUnit reports.
void write_ci_outputs(const TerminalInfo& term, const pipeline::Pipeline& p, const report::RunReport& r,
                      const ci::ReadLog& read_log, const std::string& junit_path);

// Outcomes -> state database and report records; a line on `err` for each one not delivered.
void settle_notifications(const std::vector<notify::Outcome>& outcomes, store::StateStore* st, report::RunReport& r,
                          std::FILE* err);

}  // namespace sluice::cli
