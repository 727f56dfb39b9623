#pragma once
// The native outputs of the CI sluice runs in (detected from the environment by
// detect_terminal): GitHub Actions workflow commands, annotations and the step summary; GitLab
// collapsible sections and its Code Quality report. Plain CI and terminals get none of it.

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "pipeline/spec.h"
#include "report/report.h"

namespace sluice::cli::ci {

using ReadLog = std::function<std::optional<std::string>(const std::string&)>;

// "path:line:col: message" lines in a stage's log (k8s validation, secret scan, refs findings).
struct LogFinding {
  std::string path;
  int line = 0;
  int column = 0;
  bool warning = false;
  std::string message;
};
[[nodiscard]] std::vector<LogFinding> findings_in_log(std::string_view log, size_t limit);

// GitHub workflow command escaping: the message part, and a property value (file=, title=).
[[nodiscard]] std::string gh_data(std::string_view s);
[[nodiscard]] std::string gh_property(std::string_view s);

// `::add-mask::VALUE` for each non-empty value (printed before anything could show it).
void github_masks(const std::vector<std::string>& values, std::FILE* out);
// `::error file=,line=,col=::` for each pipeline load diagnostic.
void github_load_errors(const base::Diagnostics& diags, std::FILE* out);
// `::error` for each failed stage (at its line in the pipeline file) and for the findings its
// log reports (also a validate stage's that passed); `::warning` for findings marked as warnings.
void github_annotations(const pipeline::Pipeline& p, const report::RunReport& r, const ReadLog& read_log, std::FILE* out);
// The Markdown appended to $GITHUB_STEP_SUMMARY: stage table, critical path, spend.
[[nodiscard]] std::string step_summary(const report::RunReport& r);

// GitLab collapsible sections around a stage's output block.
[[nodiscard]] std::string gitlab_section_start(std::string_view name, std::string_view header, int64_t now_s);
[[nodiscard]] std::string gitlab_section_end(std::string_view name, int64_t now_s);
// GitLab Code Quality JSON: failed stages and the findings in their logs (and validate stages').
[[nodiscard]] std::string gitlab_code_quality(const pipeline::Pipeline& p, const report::RunReport& r,
                                              const ReadLog& read_log);

}  // namespace sluice::cli::ci
