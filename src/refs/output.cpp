#include "refs/output.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sluice::refs {

std::optional<OutputFormat> parse_output_format(std::string_view s) {
  if (s == "text") return OutputFormat::text;
  if (s == "json") return OutputFormat::json;
  if (s == "sarif") return OutputFormat::sarif;
  return std::nullopt;
}

std::string to_text(const Finding& f) {
  std::string s = fmt::format("{}:{}:{}: {}", f.path, f.line, f.column, f.reason);
  if (!f.suggestion.empty()) s += fmt::format("; possible typo of \"{}\"", f.suggestion);
  return s;
}

std::string render(const std::vector<Finding>& findings, OutputFormat format) {
  using json = nlohmann::ordered_json;
  switch (format) {
    case OutputFormat::text: {
      std::string out;
      for (const Finding& f : findings) out += to_text(f) + "\n";
      return out;
    }
    case OutputFormat::json: {
      json arr = json::array();
      for (const Finding& f : findings) {
        arr.push_back(json{{"path", f.path},
                           {"line", f.line},
                           {"column", f.column},
                           {"language", std::string(to_string(f.ecosystem))},
                           {"reference", f.reference},
                           {"kind", std::string(to_string(f.kind))},
                           {"reason", f.reason},
                           {"suggestion", f.suggestion.empty() ? json(nullptr) : json(f.suggestion)}});
      }
      json doc{{"findings", std::move(arr)}, {"count", findings.size()}};
      return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    }
    case OutputFormat::sarif: {
      json results = json::array();
      for (const Finding& f : findings) {
        std::string msg = f.reason;
        if (!f.suggestion.empty()) msg += fmt::format("; possible typo of \"{}\"", f.suggestion);
        results.push_back(json{
            {"ruleId", f.kind == RefKind::lock ? "refs/lock" : "refs/unresolved"},
            {"level", "error"},
            {"message", {{"text", msg}}},
            {"locations",
             json::array({{{"physicalLocation",
                            {{"artifactLocation", {{"uri", f.path}}},
                             {"region", {{"startLine", f.line}, {"startColumn", std::max(f.column, 1)}}}}}}})}});
      }
      json rules = json::array(
          {{{"id", "refs/unresolved"},
            {"shortDescription", {{"text", "A reference (import, include, package, image) that does not resolve"}}}},
           {{"id", "refs/lock"},
            {"shortDescription", {{"text", "A manifest dependency missing from its lock file"}}}}});
      json doc{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
               {"version", "2.1.0"},
               {"runs", json::array({{{"tool", {{"driver", {{"name", "sluice check refs"},
                                                              {"informationUri", "https://github.com/sluice/sluice"},
                                                              {"rules", rules}}}}},
                                      {"results", results}}})}};
      return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    }
  }
  return {};
}

}  // namespace sluice::refs
