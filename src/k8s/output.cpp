#include "k8s/output.h"

#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace sluice::k8s {
namespace {
using base::xml_escape;

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

std::string location(const Finding& f) {
  if (f.line == 0) return f.file;
  return fmt::format("{}:{}:{}", f.file, f.line, f.column);
}

std::string text_line(const Finding& f, Color color) {
  std::string sev(severity_name(f.severity));
  if (color == Color::on) {
    static constexpr std::string_view k_colors[] = {"\x1b[36m", "\x1b[33m", "\x1b[31m"};  // note, warning, error
    sev = fmt::format("{}{}\x1b[0m", k_colors[static_cast<int>(f.severity)], sev);
  }
  std::string out = fmt::format("{}: {}: ", location(f), sev);
  if (!f.path.empty()) out += f.path + ": ";
  out += f.message;
  out += fmt::format(" [{}]", f.rule);
  if (!f.resource.empty()) out += fmt::format(" ({})", f.resource);
  return out;
}

std::string render_text(const Report& r, Severity fail_on, Color color) {
  std::string out;
  for (const Finding& f : r.findings) out += text_line(f, color) + "\n";
  size_t errors = r.count(Severity::error), warnings = r.count(Severity::warning), notes = r.count(Severity::note);
  out += fmt::format("{}: {} file{}, {} resource{} checked, {} skipped: {} error{}, {} warning{}, {} note{}\n",
                     r.failed(fail_on) ? "invalid" : "valid", r.files, r.files == 1 ? "" : "s", r.resources,
                     r.resources == 1 ? "" : "s", r.skipped, errors, errors == 1 ? "" : "s", warnings,
                     warnings == 1 ? "" : "s", notes, notes == 1 ? "" : "s");
  return out;
}

nlohmann::json finding_json(const Finding& f) {
  nlohmann::json j = {{"severity", severity_name(f.severity)}, {"rule", f.rule},   {"file", f.file},
                      {"line", f.line},                        {"column", f.column}, {"resource", f.resource},
                      {"path", f.path},                        {"message", f.message}};
  if (!f.expected.empty()) j["expected"] = f.expected;
  if (!f.got.empty()) j["got"] = f.got;
  if (!f.suggestion.empty()) j["suggestion"] = f.suggestion;
  return j;
}

std::string render_json(const Report& r, Severity fail_on) {
  nlohmann::json j;
  j["valid"] = !r.failed(fail_on);
  j["summary"] = {{"files", r.files},
                  {"documents", r.documents},
                  {"resources", r.resources},
                  {"skipped", r.skipped},
                  {"errors", r.count(Severity::error)},
                  {"warnings", r.count(Severity::warning)},
                  {"notes", r.count(Severity::note)}};
  j["findings"] = nlohmann::json::array();
  for (const Finding& f : r.findings) j["findings"].push_back(finding_json(f));
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_junit(const Report& r, Severity fail_on) {
  // One testcase per input file; each finding at or above fail_on is a failure in it.
  std::map<std::string, std::vector<const Finding*>> by_file;
  for (const Finding& f : r.findings) by_file[f.file].push_back(&f);
  size_t failures = 0;
  std::string cases;
  for (const auto& [file, list] : by_file) {
    std::string fails, notes;
    for (const Finding* f : list) {
      if (f->severity >= fail_on) {
        ++failures;
        fails += fmt::format("    <failure type=\"{}\" message=\"{}\">{}</failure>\n", xml_escape(f->rule),
                             xml_escape(f->message), xml_escape(text_line(*f, Color::off)));
      } else {
        notes += xml_escape(text_line(*f, Color::off)) + "\n";
      }
    }
    cases += fmt::format("  <testcase classname=\"sluice.validate.k8s\" name=\"{}\">\n{}", xml_escape(file), fails);
    if (!notes.empty()) cases += fmt::format("    <system-out>{}</system-out>\n", notes);
    cases += "  </testcase>\n";
  }
  if (by_file.empty()) {
    cases = "  <testcase classname=\"sluice.validate.k8s\" name=\"all inputs\"/>\n";
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuite name=\"sluice validate k8s\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n{}</testsuite>\n",
      std::max<size_t>(by_file.size(), 1), failures, cases);
}

std::string render_sarif(const Report& r) {
  std::set<std::string> rule_ids;
  for (const Finding& f : r.findings) rule_ids.insert(f.rule);
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& id : rule_ids) {
    nlohmann::json rule = {{"id", id}};
    for (const CheckInfo& c : best_practice_checks()) {
      if (c.id == id) rule["shortDescription"] = {{"text", c.description}};
    }
    rules.push_back(rule);
  }
  nlohmann::json results = nlohmann::json::array();
  for (const Finding& f : r.findings) {
    std::string text = f.path.empty() ? f.message : fmt::format("{}: {}", f.path, f.message);
    nlohmann::json region = nlohmann::json::object();
    if (f.line > 0) region = {{"startLine", f.line}, {"startColumn", std::max(f.column, 1)}};
    nlohmann::json loc = {{"physicalLocation", {{"artifactLocation", {{"uri", f.file}}}}}};
    if (f.line > 0) loc["physicalLocation"]["region"] = region;
    if (!f.path.empty()) loc["logicalLocations"] = {{{"fullyQualifiedName", f.path}, {"kind", "member"}}};
    results.push_back({{"ruleId", f.rule},
                       {"level", severity_name(f.severity)},
                       {"message", {{"text", text}}},
                       {"locations", {loc}}});
  }
  nlohmann::json j = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       {{{"tool", {{"driver", {{"name", "sluice"}, {"informationUri", "https://github.com/sluice"}, {"rules", rules}}}}},
         {"results", results}}}}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view name) {
  if (name == "text") return OutputFormat::text;
  if (name == "json") return OutputFormat::json;
  if (name == "junit") return OutputFormat::junit;
  if (name == "sarif") return OutputFormat::sarif;
  return std::nullopt;
}

std::string render_report(const Report& report, OutputFormat format, Severity fail_on, Color color) {
  switch (format) {
    case OutputFormat::text: return render_text(report, fail_on, color);
    case OutputFormat::json: return render_json(report, fail_on);
    case OutputFormat::junit: return render_junit(report, fail_on);
    case OutputFormat::sarif: return render_sarif(report);
  }
  return {};
}

}  // namespace sluice::k8s
