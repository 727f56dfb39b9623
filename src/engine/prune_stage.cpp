#include "engine/prune_stage.h"

#include <fmt/format.h>

#include "base/clock.h"
#include "base/files.h"
#include "engine/registry_push.h"
#include "registry/prune.h"

namespace sluice::engine {

StageOutcome PruneStageExecutor::execute(StageContext& ctx) {
  const pipeline::PruneSpec& spec = *ctx.stage.prune;
  registry::PruneRequest req;
  const std::string& file = spec.policy.empty() ? spec.ecr_policy : spec.policy;
  auto text = base::read_file(ctx.workspace / file);
  if (!text) return fail_with(ctx, fmt::format("prune: {}", text.error().message));
  if (!spec.policy.empty()) {
    auto p = registry::parse_policy(*text, file);
    if (!p) return fail_with(ctx, p.error().message);
    req.policy = std::move(*p);
  } else {
    auto p = registry::parse_ecr_policy(*text, file);
    if (!p) return fail_with(ctx, p.error().message);
    req.ecr = std::move(*p);
  }
  for (const auto& r : spec.repos) {
    auto ref = registry::parse_repo_ref(r);
    if (!ref) return fail_with(ctx, fmt::format("prune: {}", ref.error().message));
    req.repos.push_back(std::move(*ref));
  }
  if (ctx.getenv) {
    auto user = ctx.getenv("SLUICE_REGISTRY_USERNAME");
    if (user && !user->empty()) {
      req.client.credentials = registry::Credentials{*user, ctx.getenv("SLUICE_REGISTRY_PASSWORD").value_or("")};
    }
  }
  auto records = read_push_records(m_state_db, req.repos);
  if (!records) return fail_with(ctx, fmt::format("prune: reading sluice's push records: {}", records.error().message));
  req.push_records = std::move(*records);
  req.apply = spec.apply;
  req.now_ms = base::SystemClock().wall_ms();
  auto out = registry::run_prune(req);
  if (!out) return fail_with(ctx, fmt::format("prune: {}", out.error().message));
  for (const auto& r : out->repos) ctx.output.write(registry::plan_text(r, req.now_ms));
  if (!out->aborted.empty()) return fail_with(ctx, fmt::format("prune: {}", out->aborted));
  if (out->failed()) return fail_with(ctx, "prune: some deletions failed (see above)");
  StageOutcome o;
  o.status = OutcomeStatus::success;
  o.exit_code = 0;
  return o;
}

}  // namespace sluice::engine
