#pragma once
// The spend ledger in the state database (table llm_ledger). Before a call, reserve() books its
// worst case against every limit inside one BEGIN IMMEDIATE transaction, so concurrent
// reservations (threads or processes, each with its own connection) are serialised by SQLite
// and can never overspend together; settle() replaces the reservation by the real cost,
// release() drops it (failed call). Reservations of runs recorded as no longer running (table
// runs) do not count, so a killed run does not hold budget forever.
//
// Thread-safety: as store::Database — one Ledger per connection, one thread at a time.

#include <cstdint>
#include <string>

#include "base/error.h"
#include "llm/config.h"
#include "store/database.h"

namespace sluice::llm {

struct ReserveRequest {
  std::string run_id;
  std::string stage;
  std::string provider;
  std::string model;
  double usd = 0;          // worst case
  int64_t tokens_in = 0;   // counted input
  int64_t tokens_out = 0;  // max_output_tokens
  int64_t now_ms = 0;      // wall clock (the UTC day is derived from it)
};

struct Spend {
  double run_usd = 0;  // settled + reserved
  double day_usd = 0;
  int64_t run_calls = 0;
  int64_t run_tokens = 0;
};

class Ledger {
 public:
  explicit Ledger(store::Database& db) : m_db(db) {}
  // Returns the reservation id, or a budget error naming the limit, the spend so far and what
  // this call needs.
  [[nodiscard]] Expected<int64_t> reserve(const ReserveRequest& request, const BudgetConfig& budget);
  [[nodiscard]] Expected<void> settle(int64_t id, int64_t tokens_in, int64_t tokens_out, double cost_usd,
                                      int64_t now_ms);
  [[nodiscard]] Expected<void> release(int64_t id, int64_t now_ms);
  // What a run (and its UTC day) has spent and reserved.
  [[nodiscard]] Expected<Spend> spent(const std::string& run_id, int64_t now_ms);

 private:
  store::Database& m_db;
};

// "2025-10-01" for a wall-clock time in ms since the epoch.
[[nodiscard]] std::string utc_day(int64_t wall_ms);

}  // namespace sluice::llm
