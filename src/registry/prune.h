#pragma once
// One `sluice registry prune` (or `prune:` stage): plans every repository, then, with apply,
// checks max_deletions over all of them before deleting anything, and applies each plan.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "registry/client.h"
#include "registry/ecr.h"
#include "registry/policy.h"
#include "registry/report.h"

namespace sluice::registry {

struct PruneRequest {
  std::vector<RepoRef> repos;
  std::optional<Policy> policy;   // exactly one of policy and ecr
  std::optional<EcrPolicy> ecr;
  bool apply = false;
  ClientOptions client;  // credentials here are the default for every registry
  // Credentials by registry host (host[:port]), taking precedence over the default.
  std::map<std::string, Credentials> credentials_by_host;
  int workers = 16;  // requests in flight per repository while planning
  // Sluice's own push records by repository (RepoRef::display()): digest -> Unix ms.
  std::map<std::string, std::map<std::string, int64_t>> push_records;
  int64_t now_ms = 0;
};

struct PruneOutcome {
  std::vector<RepoOutcome> repos;
  std::string aborted;  // why nothing was deleted although apply was asked (max_deletions)
  [[nodiscard]] bool failed() const {
    if (!aborted.empty()) return true;
    for (const auto& r : repos) {
      if (r.applied && !r.applied->errors.empty()) return true;
    }
    return false;
  }
};

// Errors: a registry that cannot be read (network, auth). Nothing is deleted before every
// repository is planned.
[[nodiscard]] Expected<PruneOutcome> run_prune(const PruneRequest& req);

}  // namespace sluice::registry
