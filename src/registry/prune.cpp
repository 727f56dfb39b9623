#include "registry/prune.h"

#include <fmt/format.h>

#include "registry/apply.h"
#include "registry/inventory.h"

namespace sluice::registry {

Expected<PruneOutcome> run_prune(const PruneRequest& req) {
  PruneOutcome out;
  std::vector<std::unique_ptr<Client>> clients;
  size_t deletions = 0;
  for (const auto& repo : req.repos) {
    ClientOptions options = req.client;
    if (auto c = req.credentials_by_host.find(repo.host); c != req.credentials_by_host.end()) {
      options.credentials = c->second;
    }
    clients.push_back(std::make_unique<Client>(repo, options));
    InventoryOptions io;
    io.workers = req.workers;
    if (auto pr = req.push_records.find(repo.display()); pr != req.push_records.end()) io.push_records = pr->second;
    auto inv = read_inventory(*clients.back(), io);
    if (!inv) return make_error(inv.error().code, fmt::format("{}: {}", repo.display(), inv.error().message));
    auto decisions = req.ecr ? decide_ecr(*req.ecr, inv->images, req.now_ms) : decide(*req.policy, inv->images, req.now_ms);
    RepoOutcome r;
    r.plan = make_plan(repo.display(), inv->images, decisions);
    deletions += r.plan.deletions();
    out.repos.push_back(std::move(r));
  }
  if (!req.apply) return out;
  if (req.policy && req.policy->max_deletions && int64_t(deletions) > *req.policy->max_deletions) {
    out.aborted = fmt::format("the plan deletes {} (images and untagged tags), more than max_deletions {}: nothing "
                              "was deleted",
                              deletions, *req.policy->max_deletions);
    return out;
  }
  for (size_t i = 0; i < out.repos.size(); ++i) out.repos[i].applied = apply_plan(*clients[i], out.repos[i].plan);
  return out;
}

}  // namespace sluice::registry
