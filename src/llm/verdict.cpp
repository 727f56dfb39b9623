#include "llm/verdict.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "llm/workspace.h"

namespace sluice::llm {

namespace {

using nlohmann::json;

Error bad(std::string what) {
  return Error{ErrorCode::invalid_input,
               "output guard: the reply is not a valid verdict: " + what +
                   " (expected {\"verdict\": \"pass\"|\"fail\", \"findings\": [{\"path\", \"line\", \"severity\": "
                   "\"error\"|\"warning\"|\"note\", \"message\"}]})"};
}

std::string type_of(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

}  // namespace

std::string_view to_string(VerdictValue v) {
  switch (v) {
    case VerdictValue::pass: return "pass";
    case VerdictValue::fail: return "fail";
    case VerdictValue::unstable: return "unstable";
  }
  return "fail";
}

Expected<Verdict> parse_verdict(std::string_view reply) {
  std::string text = strip_code_fences(reply, OutputFormat::json);
  if (base::trim(text).empty()) return tl::unexpected(bad("the reply is empty"));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded())
    return tl::unexpected(bad(fmt::format("it is not JSON; it starts: {}", base::quote(text.substr(0, 120)))));
  if (!j.is_object()) return tl::unexpected(bad(fmt::format("it is {}, not an object", type_of(j))));
  Verdict v;
  auto it = j.find("verdict");
  if (it == j.end()) return tl::unexpected(bad("\"verdict\" is missing"));
  if (!it->is_string() || (*it != "pass" && *it != "fail"))
    return tl::unexpected(bad(fmt::format("\"verdict\" must be \"pass\" or \"fail\", got {}", it->dump())));
  v.value = *it == "pass" ? VerdictValue::pass : VerdictValue::fail;
  auto f = j.find("findings");
  if (f == j.end()) return tl::unexpected(bad("\"findings\" is missing (an empty list when there are none)"));
  if (!f->is_array()) return tl::unexpected(bad(fmt::format("\"findings\" must be an array, got {}", type_of(*f))));
  for (size_t i = 0; i < f->size(); ++i) {
    const json& e = (*f)[i];
    const std::string at = fmt::format("findings[{}]", i);
    if (!e.is_object()) return tl::unexpected(bad(fmt::format("{} must be an object, got {}", at, type_of(e))));
    VerdictFinding out;
    for (const char* key : {"path", "line", "severity", "message"})
      if (!e.contains(key)) return tl::unexpected(bad(fmt::format("{}.{} is missing", at, key)));
    if (!e["path"].is_string()) return tl::unexpected(bad(fmt::format("{}.path must be a string", at)));
    if (!e["line"].is_number_integer() || e["line"].get<int64_t>() < 0)
      return tl::unexpected(bad(fmt::format("{}.line must be an integer >= 0, got {}", at, e["line"].dump())));
    if (!e["severity"].is_string() ||
        (e["severity"] != "error" && e["severity"] != "warning" && e["severity"] != "note"))
      return tl::unexpected(bad(fmt::format("{}.severity must be \"error\", \"warning\" or \"note\", got {}", at,
                                            e["severity"].dump())));
    if (!e["message"].is_string()) return tl::unexpected(bad(fmt::format("{}.message must be a string", at)));
    out.path = e["path"].get<std::string>();
    out.line = e["line"].get<int64_t>();
    out.severity = e["severity"].get<std::string>();
    out.message = e["message"].get<std::string>();
    v.findings.push_back(std::move(out));
  }
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  v.text = std::move(text);
  return v;
}

Verdict combine_samples(const std::vector<Verdict>& samples, int agree) {
  int pass = 0;
  int fail = 0;
  for (const auto& s : samples) (s.value == VerdictValue::pass ? pass : fail) += 1;
  const VerdictValue want = pass >= agree ? VerdictValue::pass : fail >= agree ? VerdictValue::fail : VerdictValue::unstable;
  if (want == VerdictValue::unstable) {
    Verdict v;
    v.value = VerdictValue::unstable;
    // Every sample's findings, so a reader sees what the samples disagreed on.
    for (const auto& s : samples) v.findings.insert(v.findings.end(), s.findings.begin(), s.findings.end());
    return v;
  }
  for (const auto& s : samples)
    if (s.value == want) return s;
  return {};
}

}  // namespace sluice::llm
