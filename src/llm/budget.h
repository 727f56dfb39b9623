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
  // How long the reservation may stay unsettled before any runner may release it (shared
  // ledger only: the call's own deadline plus a grace). 0: the backend's default.
  int64_t lease_ms = 0;
};

struct Spend {
  double run_usd = 0;  // settled + reserved
  double day_usd = 0;
  int64_t run_calls = 0;
  int64_t run_tokens = 0;
};

// What an LLM call books its spend in: the workspace's SQLite ledger (Ledger) or the shared
// PostgreSQL one (PgBudgetLedger, llm/budget_pg.h). One per connection, one thread at a time.
class BudgetLedger {
 public:
  virtual ~BudgetLedger() = default;
  // Returns the reservation id, or a budget error naming the limit, the spend so far and what
  // this call needs.
  [[nodiscard]] virtual Expected<int64_t> reserve(const ReserveRequest& request, const BudgetConfig& budget) = 0;
  [[nodiscard]] virtual Expected<void> settle(int64_t id, int64_t tokens_in, int64_t tokens_out, double cost_usd,
                                              int64_t now_ms) = 0;
  [[nodiscard]] virtual Expected<void> release(int64_t id, int64_t now_ms) = 0;
};

class Ledger final : public BudgetLedger {
 public:
  explicit Ledger(store::Database& db) : m_db(db) {}
  [[nodiscard]] Expected<int64_t> reserve(const ReserveRequest& request, const BudgetConfig& budget) override;
  [[nodiscard]] Expected<void> settle(int64_t id, int64_t tokens_in, int64_t tokens_out, double cost_usd,
                                      int64_t now_ms) override;
  [[nodiscard]] Expected<void> release(int64_t id, int64_t now_ms) override;
  // What a run (and its UTC day) has spent and reserved.
  [[nodiscard]] Expected<Spend> spent(const std::string& run_id, int64_t now_ms);

 private:
  store::Database& m_db;
};

// "2025-10-01" for a wall-clock time in ms since the epoch.
[[nodiscard]] std::string utc_day(int64_t wall_ms);

}  // namespace sluice::llm
