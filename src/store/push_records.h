#pragma once
// Sluice's own record of the images it pushed to registries (table registry_pushes, migration
// v6): `sluice registry push` and `push:` stages add a row per push; `sluice registry prune`
// reads them as the first source of an image's age, since the registry API has no push time.
//
// Thread-safety: as the Database it borrows (one thread at a time).

#include <cstdint>
#include <map>
#include <string>

#include "base/error.h"
#include "store/database.h"

namespace sluice::store {

struct PushRecord {
  std::string registry;  // host[:port]
  std::string repo;      // e.g. team/app
  std::string tag;
  std::string digest;
  int64_t pushed_ms = 0;
  std::string run_id;  // empty: not from a run (stored as NULL)
};

[[nodiscard]] Expected<void> record_push(Database& db, const PushRecord& r);

// digest -> the latest time sluice pushed it to registry/repo (Unix ms).
[[nodiscard]] Expected<std::map<std::string, int64_t>> push_times(Database& db, const std::string& registry,
                                                                  const std::string& repo);

}  // namespace sluice::store
