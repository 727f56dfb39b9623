#pragma once
// Internal: one Hyperscan scratch per thread, grown to fit every database the thread scans.

#include <hs.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

namespace sluice::secrets::detail {

// A process-unique id for a compiled database (pointers can be reused after a free).
inline uint64_t next_database_id() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

// Returns this thread's scratch, valid for `db` (identified by `db_id`); nullptr if Hyperscan
// cannot allocate it. hs_alloc_scratch() costs microseconds even when nothing changes, which
// dominates scans of small files, so each thread remembers the databases it already fits.
// The scratch must not be used re-entrantly (no scan from inside a match callback).
inline hs_scratch_t* thread_scratch(const hs_database_t* db, uint64_t db_id) {
  struct Holder {
    hs_scratch_t* scratch = nullptr;
    std::vector<uint64_t> fits;
    ~Holder() {
      if (scratch) hs_free_scratch(scratch);
    }
  };
  thread_local Holder holder;
  if (holder.scratch && std::find(holder.fits.begin(), holder.fits.end(), db_id) != holder.fits.end()) {
    return holder.scratch;
  }
  if (hs_alloc_scratch(db, &holder.scratch) != HS_SUCCESS) return nullptr;
  // Scratch only grows, so it still fits every database it fitted before.
  if (holder.fits.size() > 64) holder.fits.clear();
  holder.fits.push_back(db_id);
  return holder.scratch;
}

}  // namespace sluice::secrets::detail
