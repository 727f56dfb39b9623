// The output guard: fences off, declared format parsed, schema checked. Never executes output.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/yaml.h"
#include "llm/schema.h"
#include "llm/workspace.h"

namespace sluice::llm {

namespace {

// A fence line: ``` or ~~~ (3+), optionally followed by an info string.
bool fence_line(std::string_view line, std::string_view& marker) {
  std::string_view t = base::trim(line);
  if (t.size() < 3) return false;
  char c = t[0];
  if (c != '`' && c != '~') return false;
  size_t n = 0;
  while (n < t.size() && t[n] == c) ++n;
  if (n < 3) return false;
  marker = t.substr(0, n);
  return true;
}

std::vector<std::string_view> lines_of(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

std::string strip_code_fences(std::string_view reply, OutputFormat format) {
  auto lines = lines_of(reply);
  size_t first = 0;
  while (first < lines.size() && base::trim(lines[first]).empty()) ++first;
  // yaml/json: the first fenced block, prose around it dropped; text: only a reply that is
  // wholly one fenced block.
  size_t open = lines.size();
  std::string_view marker;
  if (format == OutputFormat::text) {
    if (first < lines.size() && fence_line(lines[first], marker)) open = first;
  } else {
    for (size_t i = first; i < lines.size(); ++i)
      if (fence_line(lines[i], marker)) {
        open = i;
        break;
      }
  }
  if (open == lines.size()) return std::string(reply);
  size_t close = lines.size();
  for (size_t i = open + 1; i < lines.size(); ++i) {
    std::string_view t = base::trim(lines[i]);
    if (t.size() >= marker.size() && t.find_first_not_of(marker[0]) == std::string_view::npos) {
      close = i;
      break;
    }
  }
  if (format == OutputFormat::text) {
    for (size_t i = close + 1; i < lines.size(); ++i)
      if (!base::trim(lines[i]).empty()) return std::string(reply);
  }
  std::string out;
  for (size_t i = open + 1; i < close && i < lines.size(); ++i) {
    out.append(lines[i]);
    out.push_back('\n');
  }
  return out;
}

Expected<std::string> guard_output(std::string_view reply, const OutputSpec& spec, std::string_view schema_text) {
  std::string text = strip_code_fences(reply, spec.format);
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  if (spec.format == OutputFormat::text) return text;
  if (base::trim(text).empty())
    return make_error(ErrorCode::invalid_input, "output guard: the model returned an empty reply");
  nlohmann::json value;
  if (spec.format == OutputFormat::json) {
    value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded())
      return make_error(ErrorCode::invalid_input,
                        fmt::format("output guard: the reply is not valid JSON (declared format: json); it starts: {}",
                                    base::quote(text.substr(0, 120))));
  } else {
    auto docs = base::yaml::parse(text, spec.path);
    if (!docs)
      return make_error(ErrorCode::invalid_input,
                        fmt::format("output guard: the reply is not valid YAML (declared format: yaml): {}",
                                    docs.error().message));
    size_t non_empty = 0;
    for (const auto& d : *docs) non_empty += d.empty ? 0 : 1;
    if (non_empty == 0) return make_error(ErrorCode::invalid_input, "output guard: the reply holds no YAML document");
    if (!schema_text.empty()) {
      value = nlohmann::json::array();
      for (const auto& d : *docs)
        if (!d.empty) value.push_back(yaml_to_json(d.root));
      if (value.size() == 1) value = value[0];
    }
  }
  if (!schema_text.empty()) {
    nlohmann::json schema = nlohmann::json::parse(schema_text, nullptr, false);
    if (schema.is_discarded())
      return make_error(ErrorCode::invalid_input, "output guard: the output schema is not valid JSON");
    // A multi-document YAML reply is checked document by document.
    std::vector<std::string> problems;
    if (spec.format == OutputFormat::yaml && value.is_array() && !(schema.is_object() && schema.value("type", "") == "array")) {
      for (size_t i = 0; i < value.size(); ++i)
        for (auto& p : check_schema(value[i], schema)) problems.push_back(fmt::format("document {}: {}", i + 1, p));
    } else {
      problems = check_schema(value, schema);
    }
    if (!problems.empty()) {
      if (problems.size() > 10) problems.resize(10);
      return make_error(ErrorCode::invalid_input,
                        fmt::format("output guard: the reply does not match the schema: {}", base::join(problems, "; ")));
    }
  }
  return text;
}

}  // namespace sluice::llm
