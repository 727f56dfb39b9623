#pragma once
// What this machine's toolchains say about builtin and installed references, for the refs
// checker: python3 (stdlib names, site-packages, importlib.metadata), node (builtin modules),
// cc/c++ (system include directories) and dpkg/apt (Debian packages). Each answer is cached
// under <user cache>/refs/, keyed by the tool's path, size and modification time, so only the
// first run after a toolchain changes pays for starting it. A missing tool leaves its part
// empty: the checker then uses its shipped tables.

#include "refs/checker.h"

namespace sluice::cli {

[[nodiscard]] refs::Toolchain probe_refs_toolchain();

}  // namespace sluice::cli
