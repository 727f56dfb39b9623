#include "engine/validate_stage.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "k8s/output.h"
#include "k8s/validator.h"

namespace sluice::engine {

namespace {
bool is_url(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

// Everything a Validator is built from, as one string: equal keys may share a validator.
std::string options_key(const k8s::ValidateOptions& o) {
  std::string k;
  auto add = [&](std::string_view part) {
    k += part;
    k += '\x1f';
  };
  auto add_all = [&](const std::vector<std::string>& parts) {
    add(std::to_string(parts.size()));
    for (const auto& p : parts) add(p);
  };
  add_all(o.schema_locations);
  add(o.kubernetes_version);
  add(o.cache_dir.string());
  add(o.strictness == k8s::Strictness::strict ? "strict" : "lenient");
  add(o.missing_schemas == k8s::MissingSchemas::ignore ? "ignore" : "error");
  add_all(o.skip_kinds);
  add_all(o.disabled_checks);
  add_all(o.apply_units);
  return k;
}
}  // namespace

size_t ValidateStageExecutor::validators_built() const {
  std::lock_guard lock(m_mu);
  return m_built;
}

Expected<k8s::Validator> ValidateStageExecutor::take(const std::string& key, const k8s::ValidateOptions& opts) {
  {
    std::lock_guard lock(m_mu);
    auto it = m_idle.find(key);
    if (it != m_idle.end() && !it->second.empty()) {
      k8s::Validator v = std::move(it->second.back());
      it->second.pop_back();
      return v;
    }
  }
  auto v = k8s::Validator::create(opts);  // outside the lock: it may read schema directories
  if (v) {
    std::lock_guard lock(m_mu);
    ++m_built;
  }
  return v;
}

void ValidateStageExecutor::give_back(const std::string& key, k8s::Validator v) {
  std::lock_guard lock(m_mu);
  m_idle[key].push_back(std::move(v));
}

StageOutcome ValidateStageExecutor::execute(StageContext& ctx) {
  const pipeline::ValidateSpec& spec = *ctx.stage.validate;
  k8s::ValidateOptions opts;
  for (const auto& loc : spec.schema_locations) {
    // Relative directories and templates are relative to the workspace, like every other path.
    opts.schema_locations.push_back(is_url(loc) || loc.empty() || loc[0] == '/' ? loc : (ctx.workspace / loc).string());
  }
  if (!spec.kubernetes_version.empty()) opts.kubernetes_version = spec.kubernetes_version;
  opts.cache_dir = m_cache_dir;
  opts.strictness = spec.strict ? k8s::Strictness::strict : k8s::Strictness::lenient;
  opts.missing_schemas = spec.ignore_missing_schemas ? k8s::MissingSchemas::ignore : k8s::MissingSchemas::error;
  opts.skip_kinds = spec.skip_kinds;
  opts.disabled_checks = spec.disable_checks;
  for (const auto& d : spec.apply_units) opts.apply_units.push_back((ctx.workspace / d).string());
  const std::string key = options_key(opts);
  auto validator = take(key, opts);
  if (!validator) return {OutcomeStatus::failed, std::nullopt, validator.error().message, std::nullopt};

  std::vector<std::string> paths;
  for (const auto& p : spec.kubernetes) paths.push_back((ctx.workspace / p).string());
  k8s::Report report = validator->validate_paths(paths);
  give_back(key, std::move(*validator));
  // Findings name files relative to the workspace, as the pipeline file does.
  const std::string prefix = ctx.workspace.string() + "/";
  for (auto& f : report.findings) {
    if (f.file.rfind(prefix, 0) == 0) f.file = f.file.substr(prefix.size());
    // Messages name other files too (the first definition, the apply unit, a kustomization).
    for (size_t at = f.message.find(prefix); at != std::string::npos; at = f.message.find(prefix, at)) {
      f.message.erase(at, prefix.size());
    }
  }
  const k8s::Severity fail_on = spec.fail_on == "warning" ? k8s::Severity::warning : k8s::Severity::error;
  ctx.output.write(k8s::render_report(report, k8s::OutputFormat::text, fail_on));
  nlohmann::json details = {{"files", report.files},
                            {"resources", report.resources},
                            {"errors", report.count(k8s::Severity::error)},
                            {"warnings", report.count(k8s::Severity::warning)},
                            {"skipped", report.skipped}};
  if (!report.errors.empty()) {
    std::string why;
    for (const auto& e : report.errors) why += (why.empty() ? "" : "; ") + e.message;
    return {OutcomeStatus::failed, std::nullopt, why, details.dump()};
  }
  if (report.failed(fail_on)) {
    return {OutcomeStatus::failed, std::nullopt,
            fmt::format("{} error{} and {} warning{} in {} resource{}", report.count(k8s::Severity::error),
                        report.count(k8s::Severity::error) == 1 ? "" : "s", report.count(k8s::Severity::warning),
                        report.count(k8s::Severity::warning) == 1 ? "" : "s", report.resources,
                        report.resources == 1 ? "" : "s"),
            details.dump()};
  }
  return {OutcomeStatus::success, 0, "", details.dump()};
}

}  // namespace sluice::engine
