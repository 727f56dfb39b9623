#include "engine/push_stage.h"

#include <fmt/format.h>

#include "base/clock.h"
#include "engine/registry_push.h"

namespace sluice::engine {

StageOutcome PushStageExecutor::execute(StageContext& ctx) {
  const pipeline::PushSpec& spec = *ctx.stage.push;
  RegistryPushRequest req;
  req.from = ctx.workspace / spec.from;
  if (!spec.ref.empty()) req.ref = spec.ref;
  for (const auto& t : spec.to) {
    auto ref = registry::parse_tag_ref(t);
    if (!ref) return fail_with(ctx, fmt::format("push: {}", ref.error().message));
    req.to.push_back(std::move(*ref));
  }
  if (ctx.getenv) {
    auto user = ctx.getenv("SLUICE_REGISTRY_USERNAME");
    if (user && !user->empty()) {
      req.client.credentials = registry::Credentials{*user, ctx.getenv("SLUICE_REGISTRY_PASSWORD").value_or("")};
    }
  }
  req.state_db = m_state_db;
  req.run_id = ctx.run_id;
  req.now_ms = base::SystemClock().wall_ms();
  auto pushed = push_and_record(req);
  if (!pushed) return fail_with(ctx, fmt::format("push: {}", pushed.error().message));
  ctx.output.write(push_summary(*pushed));
  StageOutcome o;
  o.status = OutcomeStatus::success;
  o.exit_code = 0;
  return o;
}

}  // namespace sluice::engine
