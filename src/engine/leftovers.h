#pragma once
// The processes a killed sluice left behind. A SIGKILLed sluice cannot stop its stages; each
// stage's process group is recorded with its leader's start time and the boot id (table
// stages, runs), so the next sluice in the workspace (or `sluice runs --reap`) can stop them,
// and never a process that merely reuses one of their PIDs (base/process_identity.h).

#include <chrono>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/state_store.h"

namespace sluice::engine {

struct ReapedGroup {
  std::string run_id;
  std::string stage;
  int64_t pgid = 0;
  int processes = 0;  // how many were still running and were stopped
};

// Marks runs whose lease has expired as interrupted, then stops (SIGTERM, SIGKILL after
// `grace`) the recorded process groups of their stages that still exist and forgets every
// group it has dealt with. Returns the groups that had processes left. Blocks up to about
// grace + 1 s per group that ignores SIGTERM.
[[nodiscard]] Expected<std::vector<ReapedGroup>> reap_leftovers(store::StateStore& db,
                                                                std::chrono::milliseconds grace);

}  // namespace sluice::engine
