#include "engine/leftovers.h"

#include "base/process_identity.h"

namespace sluice::engine {

Expected<std::vector<ReapedGroup>> reap_leftovers(store::StateStore& db, std::chrono::milliseconds grace) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  if (auto r = db.mark_dead_runs_interrupted(now_ms); !r) return tl::unexpected(r.error());
  auto groups = db.leftover_groups();
  if (!groups) return tl::unexpected(groups.error());
  std::vector<ReapedGroup> out;
  for (const auto& g : *groups) {
    // Without the leader's start time (the stage began less than one group commit before sluice
    // died) the group cannot be told from a reused PID: it is left alone.
    if (g.pgid_start) {
      base::RecordedGroup rg{static_cast<pid_t>(g.pgid), static_cast<uint64_t>(*g.pgid_start), g.boot_id,
                             "SLUICE_RUN_ID=" + g.run_id};
      if (int n = base::terminate_recorded_group(rg, grace); n > 0) out.push_back({g.run_id, g.stage, g.pgid, n});
    }
    if (auto r = db.forget_group(g.run_id, g.stage); !r) return tl::unexpected(r.error());
  }
  return out;
}

}  // namespace sluice::engine
