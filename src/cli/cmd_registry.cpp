// sluice registry prune: applies a retention policy (or an AWS ECR lifecycle policy) to
// repositories in a container registry over the OCI Distribution API. Dry run unless --apply.
// docs/prune.md.
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/files.h"
#include "cli/commands.h"
#include "cli/terminal.h"
#include "registry/prune.h"

namespace sluice::cli {

namespace {

struct RegistryPruneArgs {
  std::string policy;
  std::string ecr_policy;
  bool apply = false;
  std::string json;
  std::vector<std::string> repos;
};

// SLUICE_REGISTRY_USERNAME / SLUICE_REGISTRY_PASSWORD: the credentials offered when a registry
// asks (Basic, or to its Bearer token service). Never printed.
std::optional<registry::Credentials> credentials_from_env() {
  std::string user = env_or("SLUICE_REGISTRY_USERNAME");
  if (user.empty()) return std::nullopt;
  return registry::Credentials{user, env_or("SLUICE_REGISTRY_PASSWORD")};
}

int registry_prune(const RegistryPruneArgs& a) {
  const char* who = "sluice registry prune";
  if (a.policy.empty() == a.ecr_policy.empty()) {
    std::fprintf(stderr, "%s: give --policy FILE (a sluice retention policy) or --ecr-policy FILE.json (an AWS ECR "
                 "lifecycle policy), one of them\n", who);
    return k_exit_usage;
  }
  registry::PruneRequest req;
  const std::string& file = a.policy.empty() ? a.ecr_policy : a.policy;
  auto text = base::read_file(file);
  if (!text) {
    std::fprintf(stderr, "%s: %s\n", who, text.error().message.c_str());
    return k_exit_usage;
  }
  if (!a.policy.empty()) {
    auto p = registry::parse_policy(*text, file);
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().message.c_str());
      return k_exit_usage;
    }
    req.policy = std::move(*p);
  } else {
    auto p = registry::parse_ecr_policy(*text, file);
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().message.c_str());
      return k_exit_usage;
    }
    req.ecr = std::move(*p);
  }
  for (const auto& r : a.repos) {
    auto ref = registry::parse_repo_ref(r);
    if (!ref) {
      std::fprintf(stderr, "%s: %s\n", who, ref.error().message.c_str());
      return k_exit_usage;
    }
    req.repos.push_back(std::move(*ref));
  }
  req.apply = a.apply;
  req.client.credentials = credentials_from_env();
  req.now_ms = base::SystemClock().wall_ms();
  auto out = registry::run_prune(req);
  if (!out) {
    std::fprintf(stderr, "%s: %s\n", who, out.error().message.c_str());
    return k_exit_failed;
  }
  for (const auto& r : out->repos) std::printf("%s", registry::plan_text(r, req.now_ms).c_str());
  std::fflush(stdout);
  if (!a.json.empty()) {
    nlohmann::json j = {{"applied", a.apply && out->aborted.empty()}, {"repos", nlohmann::json::array()}};
    if (!out->aborted.empty()) j["aborted"] = out->aborted;
    for (const auto& r : out->repos) j["repos"].push_back(registry::plan_json(r, req.now_ms));
    if (auto w = base::atomic_write(a.json, j.dump(2) + "\n"); !w) {
      std::fprintf(stderr, "%s: --json: %s\n", who, w.error().message.c_str());
      return k_exit_failed;
    }
  }
  if (!out->aborted.empty()) std::fprintf(stderr, "%s: %s\n", who, out->aborted.c_str());
  return out->failed() ? k_exit_failed : k_exit_ok;
}

}  // namespace

void add_registry_commands(CLI::App& app, Context& ctx) {
  auto* reg = app.add_subcommand("registry", "Container registry maintenance over the OCI Distribution API");
  reg->require_subcommand(1);
  auto a = std::make_shared<RegistryPruneArgs>();
  auto* pr = reg->add_subcommand("prune", "Delete images and tags a retention policy does not keep (dry run unless --apply)");
  pr->add_option("--policy", a->policy, "Retention policy (YAML): keep, delete, protect_tags, max_deletions");
  pr->add_option("--ecr-policy", a->ecr_policy, "An AWS ECR lifecycle policy document (JSON), evaluated as ECR does");
  pr->add_flag("--apply", a->apply, "Delete (default: dry run, print the plan)");
  pr->add_option("--json", a->json, "Also write the plan (and what was done) as JSON to this file");
  pr->add_option("repos", a->repos, "REGISTRY/REPO, e.g. 127.0.0.1:5000/team/app (https:// or http:// to choose)")
      ->required();
  pr->callback([a, &ctx] { ctx.command = [=] { return registry_prune(*a); }; });
}

}  // namespace sluice::cli
