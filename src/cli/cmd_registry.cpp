// sluice registry prune: applies a retention policy (or an AWS ECR lifecycle policy) to
// repositories in a container registry over the OCI Distribution API. Dry run unless --apply.
// sluice registry push: pushes an OCI image layout directory and records the push in the
// workspace state (the first age source of prune). docs/prune.md.
#include <cstdint>
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/files.h"
#include "cli/commands.h"
#include "cli/terminal.h"
#include "engine/registry_push.h"
#include "registry/prune.h"
#include "store/state_layout.h"

namespace sluice::cli {

namespace {

struct RegistryPruneArgs {
  std::string policy;
  std::string ecr_policy;
  bool apply = false;
  std::string json;
  std::vector<std::string> repos;
  std::string workspace = ".";
};

struct RegistryPushArgs {
  std::string from;
  std::string ref;
  std::vector<std::string> to;
  std::string workspace = ".";
};

// SLUICE_REGISTRY_USERNAME / SLUICE_REGISTRY_PASSWORD: the credentials offered when a registry
// asks (Basic, or to its Bearer token service). Never printed.
std::optional<registry::Credentials> credentials_from_env() {
  std::string user = env_or("SLUICE_REGISTRY_USERNAME");
  if (user.empty()) return std::nullopt;
  return registry::Credentials{user, env_or("SLUICE_REGISTRY_PASSWORD")};
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

// `docker login`'s credentials: the "auth" (base64 of user:password) of each registry in
// $DOCKER_CONFIG/config.json or ~/.docker/config.json. Credential helpers are not run.
std::map<std::string, registry::Credentials> docker_config_credentials() {
  std::map<std::string, registry::Credentials> out;
  std::string dir = env_or("DOCKER_CONFIG");
  if (dir.empty()) {
    std::string home = env_or("HOME");
    if (home.empty()) return out;
    dir = home + "/.docker";
  }
  auto text = base::read_file(dir + "/config.json");
  if (!text) return out;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("auths") || !j["auths"].is_object()) return out;
  for (const auto& [key, entry] : j["auths"].items()) {
    if (!entry.is_object() || !entry.contains("auth") || !entry["auth"].is_string()) continue;
    auto decoded = base64_decode(entry["auth"].get<std::string>());
    if (!decoded) continue;
    auto colon = decoded->find(':');
    if (colon == std::string::npos) continue;
    std::string host = key;
    if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
    if (auto slash = host.find('/'); slash != std::string::npos) host.resize(slash);
    out[host] = registry::Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  }
  return out;
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
  auto records = engine::read_push_records(store::StateLayout::of_workspace(a.workspace).database(), req.repos);
  if (!records) {
    std::fprintf(stderr, "%s: reading sluice's push records: %s\n", who, records.error().message.c_str());
    return k_exit_failed;
  }
  req.push_records = std::move(*records);
  req.apply = a.apply;
  req.client.credentials = credentials_from_env();
  if (!req.client.credentials) req.credentials_by_host = docker_config_credentials();
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

int registry_push(const RegistryPushArgs& a) {
  const char* who = "sluice registry push";
  engine::RegistryPushRequest req;
  req.from = a.from;
  if (!a.ref.empty()) req.ref = a.ref;
  for (const auto& t : a.to) {
    auto ref = registry::parse_tag_ref(t);
    if (!ref) {
      std::fprintf(stderr, "%s: %s\n", who, ref.error().message.c_str());
      return k_exit_usage;
    }
    req.to.push_back(std::move(*ref));
  }
  req.client.credentials = credentials_from_env();
  if (!req.client.credentials) req.credentials_by_host = docker_config_credentials();
  req.state_db = store::StateLayout::of_workspace(a.workspace).database();
  req.now_ms = base::SystemClock().wall_ms();
  auto pushed = engine::push_and_record(req);
  if (!pushed) {
    std::fprintf(stderr, "%s: %s\n", who, pushed.error().message.c_str());
    return pushed.error().code == ErrorCode::invalid_input ? k_exit_usage : k_exit_failed;
  }
  std::printf("%s", engine::push_summary(*pushed).c_str());
  return k_exit_ok;
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
  pr->add_option("-C,--workspace", a->workspace, "Workspace whose state holds sluice's push records (default: .)");
  pr->callback([a, &ctx] { ctx.command = [=] { return registry_prune(*a); }; });

  auto p = std::make_shared<RegistryPushArgs>();
  auto* pu = reg->add_subcommand("push", "Push an OCI image layout directory and record the push (an age source for prune)");
  pu->add_option("--from", p->from, "OCI image layout directory (oci-layout, index.json, blobs/)")->required();
  pu->add_option("--ref", p->ref, "The index.json entry to push, by its org.opencontainers.image.ref.name");
  pu->add_option("-C,--workspace", p->workspace, "Workspace whose state records the push (default: .)");
  pu->add_option("to", p->to, "REGISTRY/REPO:TAG, one or more, e.g. 127.0.0.1:5000/team/app:v1")->required();
  pu->callback([p, &ctx] { ctx.command = [=] { return registry_push(*p); }; });
}

}  // namespace sluice::cli
