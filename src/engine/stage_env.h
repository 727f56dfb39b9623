#pragma once
// The environment a stage runs with: sluice's own (what the CLI passed), the pipeline's `env`,
// SLUICE_RUN_ID and SLUICE_WORKSPACE (built once per run), then the stage's `env` (which cannot
// override those two) and SLUICE_STAGE. Entries are "KEY=value"; a later value of a key
// replaces the earlier one in place. Pure: no access to the process environment.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/spec.h"

namespace sluice::engine {

class EnvBuilder {
 public:
  EnvBuilder(std::vector<std::string> base_env, const pipeline::Pipeline& p, const std::string& run_id,
             const std::filesystem::path& workspace);
  [[nodiscard]] std::vector<std::string> for_stage(const pipeline::Stage& stage) const;
  [[nodiscard]] const std::vector<std::string>& run_env() const { return m_run_env; }

 private:
  std::vector<std::string> m_run_env;
};

// Sets `key` in `env` (replacing its entry if there is one).
void set_env(std::vector<std::string>& env, std::string_view key, std::string_view value);
// The value of `name` in `env`; nullopt when unset.
[[nodiscard]] std::optional<std::string> env_lookup(const std::vector<std::string>& env, std::string_view name);

}  // namespace sluice::engine
