#include "llm/budget_pg.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "store/pg_ledger.h"
#include "store/pg_runs.h"

namespace sluice::llm {
namespace {
int64_t now_wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Expected<std::unique_ptr<PgBudgetLedger>> PgBudgetLedger::connect(const std::string& url) {
  auto c = store::PgConnection::connect(url);
  if (!c) return tl::unexpected(c.error());
  return std::unique_ptr<PgBudgetLedger>(new PgBudgetLedger(std::move(*c)));
}

std::unique_ptr<PgBudgetLedger> PgBudgetLedger::lazy(std::string url) {
  return std::unique_ptr<PgBudgetLedger>(new PgBudgetLedger(std::move(url)));
}

Expected<store::PgConnection*> PgBudgetLedger::conn() {
  if (!m_conn) {
    auto c = store::PgConnection::connect(m_url);
    if (!c) return tl::unexpected(c.error());
    m_conn = std::move(*c);
    // A sluice killed on this machine (SIGKILL, OOM) holds reservations until their leases
    // end; the first touch of the ledger releases them at once. Best effort.
    (void)store::PgLedger(*m_conn).release_dead_holders(store::this_host(now_wall_ms()));
    // Elsewhere (another machine or namespace): runs whose heartbeat went stale.
    (void)store::PgRuns(*m_conn).mark_dead_interrupted(now_wall_ms());
  }
  return m_conn.get();
}

Expected<int64_t> PgBudgetLedger::reserve(const ReserveRequest& r, const BudgetConfig& b) {
  store::PgReserve q;
  q.run_id = r.run_id;
  q.stage = r.stage;
  q.provider = r.provider;
  q.model = r.model;
  q.day = utc_day(r.now_ms);
  q.usd = r.usd;
  q.tokens = r.tokens_in + r.tokens_out;
  q.now_ms = r.now_ms;
  q.lease_ms = r.lease_ms > 0 ? r.lease_ms : 6 * 60 * 1000;
  q.per_day_usd = b.per_day_usd;
  q.per_run_usd = b.per_run_usd;
  q.max_calls_per_run = b.max_calls_per_run;
  q.max_tokens_per_run = b.max_tokens_per_run;
  q.holder = store::lease_of_process(::getpid(), r.now_ms);
  auto c = conn();
  if (!c) return tl::unexpected(c.error());
  store::PgLedger ledger(**c);
  auto got = ledger.reserve(q);
  if (!got) return tl::unexpected(got.error());
  if (got->id) return *got->id;
  const std::string needs = fmt::format("this call needs up to ${:.4f} ({} input + {} max output tokens of {})", r.usd,
                                        r.tokens_in, r.tokens_out, r.model);
  const std::string shared = fmt::format("settled plus reserved by calls in flight, every runner sharing {}",
                                         (*c)->display());
  if (got->limit == "per_day_usd")
    return make_error(ErrorCode::budget, fmt::format("over budget: llm.budget.per_day_usd is ${:.4f}, {} (UTC) has "
                                                     "spent ${:.4f} ({}); {}",
                                                     b.per_day_usd.value_or(0), q.day, got->day.usd, shared, needs));
  if (got->limit == "per_run_usd")
    return make_error(ErrorCode::budget, fmt::format("over budget: llm.budget.per_run_usd is ${:.4f}, this run has "
                                                     "spent ${:.4f} (settled plus reserved by calls in flight); {}",
                                                     b.per_run_usd.value_or(0), got->run.usd, needs));
  if (got->limit == "max_calls_per_run")
    return make_error(ErrorCode::budget, fmt::format("over budget: llm.budget.max_calls_per_run is {}, this run has made "
                                                     "{} calls; this call needs 1 more",
                                                     b.max_calls_per_run.value_or(0), got->run.calls));
  return make_error(ErrorCode::budget,
                    fmt::format("over budget: llm.budget.max_tokens_per_run is {}, this run has used {} tokens "
                                "(settled plus reserved); this call needs up to {} ({} input + {} max output)",
                                b.max_tokens_per_run.value_or(0), got->run.tokens, q.tokens, r.tokens_in, r.tokens_out));
}

Expected<void> PgBudgetLedger::settle(int64_t id, int64_t tokens_in, int64_t tokens_out, double cost_usd,
                                      int64_t now_ms) {
  auto c = conn();
  if (!c) return tl::unexpected(c.error());
  return store::PgLedger(**c).settle(id, tokens_in, tokens_out, cost_usd, now_ms);
}

Expected<void> PgBudgetLedger::release(int64_t id, int64_t now_ms) {
  auto c = conn();
  if (!c) return tl::unexpected(c.error());
  return store::PgLedger(**c).release(id, now_ms);
}

}  // namespace sluice::llm
