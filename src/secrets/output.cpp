#include "secrets/output.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/hash.h"

namespace sluice::secrets {

std::string secret_preview(std::string_view secret) {
  // Show at most 4 characters and never more than a quarter of the secret.
  const size_t shown = std::min<size_t>(4, secret.size() / 4);
  return std::string(secret.substr(0, shown)) + "*****";
}

std::string findings_json(std::span<const Finding> findings) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& f : findings) {
    arr.push_back({{"rule", f.rule_id},
                   {"path", f.path},
                   {"line", f.line},
                   {"column", f.column},
                   {"start", f.start},
                   {"end", f.end},
                   {"secret_preview", secret_preview(f.secret)},
                   {"secret_sha256", f.secret_sha256},
                   {"fingerprint", f.fingerprint},
                   {"entropy", std::round(f.entropy * 1000) / 1000}});
    if (!f.commit.empty()) {
      arr.back()["commit"] = f.commit;
      arr.back()["author"] = f.author;
      arr.back()["email"] = f.email;
      arr.back()["date"] = f.date;
    }
  }
  nlohmann::json doc = {{"findings", arr}, {"count", findings.size()}};
  return doc.dump(2) + "\n";
}

std::string findings_sarif(std::span<const Finding> findings, const RuleSet& rules) {
  std::map<std::string, const Rule*> by_id;
  for (const auto& r : rules.rules) by_id[r.id] = &r;
  std::map<std::string, size_t> rule_index;
  nlohmann::json sarif_rules = nlohmann::json::array();
  for (const auto& f : findings) {
    if (rule_index.count(f.rule_id)) continue;
    rule_index[f.rule_id] = sarif_rules.size();
    const Rule* r = by_id.count(f.rule_id) ? by_id[f.rule_id] : nullptr;
    const std::string desc = r && !r->description.empty() ? r->description : f.rule_id;
    sarif_rules.push_back({{"id", f.rule_id},
                           {"name", f.rule_id},
                           {"shortDescription", {{"text", desc}}},
                           {"defaultConfiguration", {{"level", "error"}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : findings) {
    nlohmann::json region = {{"startLine", std::max<size_t>(f.line, 1)}, {"startColumn", std::max<size_t>(f.column, 1)}};
    if (f.end > f.start) region["endColumn"] = f.column + (f.end - f.start);
    results.push_back(
        {{"ruleId", f.rule_id},
         {"ruleIndex", rule_index[f.rule_id]},
         {"level", "error"},
         {"message", {{"text", fmt::format("{} found: {}", f.rule_id, secret_preview(f.secret))}}},
         {"locations",
          nlohmann::json::array({{{"physicalLocation",
                                   {{"artifactLocation", {{"uri", f.path}}}, {"region", region}}}}})},
         {"partialFingerprints", {{"sluiceFingerprint/v1", f.fingerprint}}}});
    if (!f.commit.empty()) {
      // Per commit: the same secret added again in a later commit is a new result.
      auto& r = results.back();
      r["partialFingerprints"]["commitSha"] = f.commit;
      r["partialFingerprints"]["sluiceCommitFingerprint/v1"] = base::sha256_hex(f.fingerprint + ":" + f.commit);
      r["properties"] = {{"commitSha", f.commit}, {"author", f.author}, {"email", f.email}, {"date", f.date}};
      r["message"]["text"] = fmt::format("{} found: {} (commit {})", f.rule_id, secret_preview(f.secret),
                                         f.commit.substr(0, 12));
    }
  }
  nlohmann::json doc = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", nlohmann::json::array({{{"tool",
                                        {{"driver",
                                          {{"name", "sluice"},
                                           {"informationUri", "https://github.com/sluice/sluice"},
                                           {"version", SLUICE_VERSION},
                                           {"rules", sarif_rules}}}}},
                                       {"results", results}}})}};
  return doc.dump(2) + "\n";
}

RuleCheck check_rule_examples(const Scanner& scanner) {
  RuleCheck out;
  for (const Rule& r : scanner.rules().rules) {
    ++out.rules;
    for (size_t i = 0; i < r.examples.size(); ++i) {
      ++out.examples;
      const auto& ex = r.examples[i];
      const auto found = scanner.scan(ex.text, r.example_path, InlineAllow::ignore);
      const bool hit = std::any_of(found.begin(), found.end(), [&](const Finding& f) {
        return f.rule_id == r.id && (!ex.secret || f.secret == *ex.secret);
      });
      if (!hit) {
        std::string got;
        for (const auto& f : found) {
          if (f.rule_id == r.id) got = fmt::format(" (found secret {:?} instead)", f.secret);
        }
        out.failures.push_back(fmt::format("{}: example #{} is not reported{}: {:?}", r.id, i + 1, got, ex.text));
      }
    }
    for (size_t i = 0; i < r.counter_examples.size(); ++i) {
      ++out.counter_examples;
      const auto found = scanner.scan(r.counter_examples[i].text, r.example_path, InlineAllow::ignore);
      if (std::any_of(found.begin(), found.end(), [&](const Finding& f) { return f.rule_id == r.id; })) {
        out.failures.push_back(fmt::format("{}: counter-example #{} is reported: {:?}", r.id, i + 1,
                                           r.counter_examples[i].text));
      }
    }
  }
  return out;
}

}  // namespace sluice::secrets
