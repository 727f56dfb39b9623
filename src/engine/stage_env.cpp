#include "engine/stage_env.h"

#include <algorithm>

namespace sluice::engine {
namespace {

bool is_entry_of(const std::string& entry, std::string_view key) {
  return entry.size() > key.size() && entry[key.size()] == '=' && entry.compare(0, key.size(), key) == 0;
}

}  // namespace

void set_env(std::vector<std::string>& env, std::string_view key, std::string_view value) {
  auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return is_entry_of(e, key); });
  std::string entry;
  entry.reserve(key.size() + 1 + value.size());
  entry.append(key).append("=").append(value);
  if (it != env.end())
    *it = std::move(entry);
  else
    env.push_back(std::move(entry));
}

std::optional<std::string> env_lookup(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& e : env) {
    if (is_entry_of(e, name)) return e.substr(name.size() + 1);
  }
  return std::nullopt;
}

EnvBuilder::EnvBuilder(std::vector<std::string> base_env, const pipeline::Pipeline& p, const std::string& run_id,
                       const std::filesystem::path& workspace)
    : m_run_env(std::move(base_env)) {
  for (const auto& [k, v] : p.env) set_env(m_run_env, k, v);
  set_env(m_run_env, "SLUICE_RUN_ID", run_id);
  set_env(m_run_env, "SLUICE_WORKSPACE", workspace.string());
}

std::vector<std::string> EnvBuilder::for_stage(const pipeline::Stage& stage) const {
  std::vector<std::string> env = m_run_env;
  for (const auto& [k, v] : stage.env) {
    if (k != "SLUICE_RUN_ID" && k != "SLUICE_WORKSPACE") set_env(env, k, v);  // sluice's own win
  }
  set_env(env, "SLUICE_STAGE", stage.name);
  return env;
}

}  // namespace sluice::engine
