#pragma once
// The LLM budget ledger on PostgreSQL, shared by every runner (docs/scale-out.md).
//
// A reservation is ONE conditional statement, committed on its own (no transaction held
// across round trips): the day's row of llm_budget is updated only `WHERE spent + reserved + x
// <= cap`, the run's row only when the day's matched and the run's limits (USD, calls,
// tokens) allow, and the ledger row is inserted only when both matched. PostgreSQL re-checks
// a conditional UPDATE's WHERE on the newest row version after waiting for a concurrent
// writer, so concurrent reservations never admit more than the cap, in any number of
// processes and machines. When the run's row changed between the two updates (two stages of
// one run racing for a run limit), the day's part is undone by a second statement: until then
// the day holds a reservation no call uses, which can only refuse another call, never admit
// one too many.
//
// Every reservation carries a lease (`lease_until_ms`: the call's own deadline plus a grace).
// A runner that dies holding one (SIGKILL, a lost machine) never settles it; the next reserve
// by any runner first releases every reservation whose lease has passed, in one statement.
// A settle that comes after its lease was reaped still records the real spend.
//
// Amounts are integer nano-dollars. Thread-safety: as PgConnection (one per thread).

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "store/pg.h"
#include "store/run_lease.h"

namespace sluice::store {

struct PgReserve {
  std::string run_id, stage, provider, model;
  std::string day;          // "2026-11-28" (UTC)
  double usd = 0;           // worst case
  int64_t tokens = 0;       // worst case, input + max output
  int64_t now_ms = 0;
  int64_t lease_ms = 0;     // how long the reservation stays live without a settle
  std::optional<double> per_day_usd, per_run_usd;
  std::optional<int64_t> max_calls_per_run, max_tokens_per_run;
  RunLease holder;  // the reserving process (lease_of_process); pid 0: not recorded
};

// What a scope has spent and reserved (settled plus live), for messages and reports.
struct PgScopeSpend {
  double usd = 0;
  int64_t calls = 0;
  int64_t tokens = 0;
};

struct PgReserved {
  std::optional<int64_t> id;  // set: reserved
  // Refused: which limit ("per_day_usd", "per_run_usd", "max_calls_per_run", "max_tokens_per_run")
  // and the spend of its scope as seen just after.
  std::string limit;
  PgScopeSpend day, run;
};

class PgLedger {
 public:
  explicit PgLedger(PgConnection& c) : m_c(c) {}
  [[nodiscard]] Expected<PgReserved> reserve(const PgReserve& r);
  [[nodiscard]] Expected<void> settle(int64_t id, int64_t tokens_in, int64_t tokens_out, double cost_usd,
                                      int64_t now_ms);
  [[nodiscard]] Expected<void> release(int64_t id, int64_t now_ms);
  // Releases reservations whose lease has passed; returns how many.
  [[nodiscard]] Expected<int64_t> release_expired(int64_t now_ms);
  // Releases the live reservations of processes that `host` can judge (same boot and PID
  // namespace) and finds dead (run_lease.h: PID gone or reused); returns how many. Holders on
  // other machines or namespaces are left to their leases.
  [[nodiscard]] Expected<int64_t> release_dead_holders(const HostView& host);
  [[nodiscard]] Expected<PgScopeSpend> spend(const std::string& scope);
  // Settled spend only, in USD ("day:<UTC day>" or "run:<id>"), for reports.
  [[nodiscard]] Expected<double> settled(const std::string& scope);
  // The naive way (for the benchmark only): read the spend, compare in the client, then add.
  // Two statements with a gap between them: concurrent clients overshoot.
  [[nodiscard]] Expected<bool> reserve_check_then_update(const std::string& day, double usd, double cap);

 private:
  PgConnection& m_c;
};

[[nodiscard]] int64_t to_nusd(double usd);

}  // namespace sluice::store
