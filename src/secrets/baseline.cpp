#include "secrets/baseline.h"

#include <map>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sluice::secrets {

Expected<Baseline> Baseline::parse(std::string_view json, std::string_view origin) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorCode::invalid_input, fmt::format("{}: not a JSON baseline object", origin));
  }
  if (!doc.contains("version") || doc["version"] != 1) {
    return make_error(ErrorCode::invalid_input, fmt::format("{}: unsupported baseline version (want 1)", origin));
  }
  const auto it = doc.find("findings");
  if (it == doc.end() || !it->is_array()) {
    return make_error(ErrorCode::invalid_input, fmt::format("{}: \"findings\" must be an array", origin));
  }
  Baseline b;
  size_t i = 0;
  for (const auto& e : *it) {
    ++i;
    if (!e.is_object() || !e.contains("rule") || !e.contains("path") || !e.contains("secret_sha256") ||
        !e["rule"].is_string() || !e["path"].is_string() || !e["secret_sha256"].is_string()) {
      return make_error(ErrorCode::invalid_input,
                        fmt::format("{}: finding #{} needs string fields rule, path and secret_sha256", origin, i));
    }
    b.m_fingerprints.insert(fingerprint_from_hash(e["rule"].get<std::string>(), e["secret_sha256"].get<std::string>(),
                                                  e["path"].get<std::string>()));
  }
  return b;
}

std::string Baseline::serialize(std::span<const Finding> findings) {
  std::map<std::tuple<std::string, std::string, std::string>, bool> unique;
  for (const auto& f : findings) unique[{f.path, f.rule_id, f.secret_sha256}] = true;
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& [k, v] : unique) {
    (void)v;
    arr.push_back({{"path", std::get<0>(k)}, {"rule", std::get<1>(k)}, {"secret_sha256", std::get<2>(k)}});
  }
  nlohmann::json doc = {{"version", 1}, {"tool", "sluice"}, {"findings", arr}};
  return doc.dump(2) + "\n";
}

}  // namespace sluice::secrets
