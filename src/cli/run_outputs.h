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

// The notifications of a finished run, for the rules that want its events. Environment
// variables that are unset, or a secret that is no whsec_ key, become warnings.
[[nodiscard]] std::vector<notify::Delivery> run_notifications(const std::vector<notify::Rule>& rules,
                                                              const report::RunReport& r,
                                                              const std::function<std::string(std::string_view)>& redact,
                                                              std::vector<std::string>& warnings);

// The values of declared secrets and of notify URLs/secrets, for GitHub's ::add-mask::.
[[nodiscard]] std::vector<std::string> values_to_mask(const pipeline::Pipeline& p, const std::vector<notify::Rule>& rules);

// After the run: GitHub annotations and step summary, GitLab Code Quality and JUnit reports.
void write_ci_outputs(const TerminalInfo& term, const pipeline::Pipeline& p, const report::RunReport& r,
                      const ci::ReadLog& read_log, const std::string& junit_path);

// Outcomes -> state database and report records; a line on `err` for each one not delivered.
void settle_notifications(const std::vector<notify::Outcome>& outcomes, store::StateStore* st, report::RunReport& r,
                          std::FILE* err);

}  // namespace sluice::cli
