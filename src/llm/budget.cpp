#include "llm/budget.h"

#include <chrono>

#include <fmt/format.h>

namespace sluice::llm {

std::string utc_day(int64_t wall_ms) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_time<milliseconds>(milliseconds(wall_ms)))};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

namespace {

// Rows that count: settled ones at their cost, live reservations at their worst case. A
// reservation of a run the runs table records as finished or interrupted is dead.
constexpr const char* k_live = R"sql(
  (state = 'settled' OR (state = 'reserved' AND (run_id = ?1 OR NOT EXISTS (
     SELECT 1 FROM runs r WHERE r.id = llm_ledger.run_id AND r.status != 'running'))))
)sql";

Expected<Spend> query_spend(store::Database& db, const std::string& run_id, const std::string& day) {
  Spend s;
  auto q = db.prepare(fmt::format(
      "SELECT COALESCE(SUM(CASE state WHEN 'settled' THEN cost_usd ELSE reserved_usd END), 0), COUNT(*), "
      "COALESCE(SUM(CASE state WHEN 'settled' THEN tokens_in + tokens_out ELSE reserved_tokens END), 0) "
      "FROM llm_ledger WHERE run_id = ?1 AND {}",
      k_live));
  if (!q) return tl::unexpected(q.error());
  q->bind(1, run_id);
  auto row = q->step();
  if (!row) return tl::unexpected(row.error());
  s.run_usd = q->column_double(0);
  s.run_calls = q->column_int(1);
  s.run_tokens = q->column_int(2);
  auto d = db.prepare(fmt::format(
      "SELECT COALESCE(SUM(CASE state WHEN 'settled' THEN cost_usd ELSE reserved_usd END), 0) "
      "FROM llm_ledger WHERE day = ?2 AND {}",
      k_live));
  if (!d) return tl::unexpected(d.error());
  d->bind(1, run_id).bind(2, day);
  row = d->step();
  if (!row) return tl::unexpected(row.error());
  s.day_usd = d->column_double(0);
  return s;
}

}  // namespace

Expected<int64_t> Ledger::reserve(const ReserveRequest& r, const BudgetConfig& b) {
  int64_t id = 0;
  const std::string day = utc_day(r.now_ms);
  const int64_t tokens = r.tokens_in + r.tokens_out;
  auto done = m_db.transaction([&]() -> Expected<void> {
    auto s = query_spend(m_db, r.run_id, day);
    if (!s) return tl::unexpected(s.error());
    const std::string needs = fmt::format("this call needs up to ${:.4f} ({} input + {} max output tokens of {})", r.usd,
                                          r.tokens_in, r.tokens_out, r.model);
    if (b.per_run_usd && s->run_usd + r.usd > *b.per_run_usd + 1e-12)
      return make_error(ErrorCode::budget,
                        fmt::format("over budget: llm.budget.per_run_usd is ${:.4f}, this run has spent ${:.4f} "
                                    "(settled plus reserved by calls in flight); {}",
                                    *b.per_run_usd, s->run_usd, needs));
    if (b.per_day_usd && s->day_usd + r.usd > *b.per_day_usd + 1e-12)
      return make_error(ErrorCode::budget,
                        fmt::format("over budget: llm.budget.per_day_usd is ${:.4f}, {} (UTC) has spent ${:.4f} "
                                    "(settled plus reserved by calls in flight); {}",
                                    *b.per_day_usd, day, s->day_usd, needs));
    if (b.max_calls_per_run && s->run_calls + 1 > *b.max_calls_per_run)
      return make_error(ErrorCode::budget,
                        fmt::format("over budget: llm.budget.max_calls_per_run is {}, this run has made {} calls; "
                                    "this call needs 1 more",
                                    *b.max_calls_per_run, s->run_calls));
    if (b.max_tokens_per_run && s->run_tokens + tokens > *b.max_tokens_per_run)
      return make_error(ErrorCode::budget,
                        fmt::format("over budget: llm.budget.max_tokens_per_run is {}, this run has used {} tokens "
                                    "(settled plus reserved); this call needs up to {} ({} input + {} max output)",
                                    *b.max_tokens_per_run, s->run_tokens, tokens, r.tokens_in, r.tokens_out));
    auto ins = m_db.prepare(
        "INSERT INTO llm_ledger (run_id, stage, provider, model, state, reserved_usd, reserved_tokens, created_ms, day) "
        "VALUES (?, ?, ?, ?, 'reserved', ?, ?, ?, ?)");
    if (!ins) return tl::unexpected(ins.error());
    ins->bind(1, r.run_id).bind(2, r.stage).bind(3, r.provider).bind(4, r.model).bind(5, r.usd).bind(6, tokens)
        .bind(7, r.now_ms).bind(8, day);
    if (auto ok = ins->run(); !ok) return ok;
    id = m_db.last_insert_rowid();
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return id;
}

Expected<void> Ledger::settle(int64_t id, int64_t tokens_in, int64_t tokens_out, double cost_usd, int64_t now_ms) {
  auto st = m_db.prepare(
      "UPDATE llm_ledger SET state = 'settled', tokens_in = ?, tokens_out = ?, cost_usd = ?, settled_ms = ? "
      "WHERE id = ? AND state = 'reserved'");
  if (!st) return tl::unexpected(st.error());
  st->bind(1, tokens_in).bind(2, tokens_out).bind(3, cost_usd).bind(4, now_ms).bind(5, id);
  return st->run();
}

Expected<void> Ledger::release(int64_t id, int64_t now_ms) {
  auto st = m_db.prepare(
      "UPDATE llm_ledger SET state = 'released', settled_ms = ? WHERE id = ? AND state = 'reserved'");
  if (!st) return tl::unexpected(st.error());
  st->bind(1, now_ms).bind(2, id);
  return st->run();
}

Expected<Spend> Ledger::spent(const std::string& run_id, int64_t now_ms) {
  return query_spend(m_db, run_id, utc_day(now_ms));
}

}  // namespace sluice::llm
