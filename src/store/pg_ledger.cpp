#include "store/pg_ledger.h"

#include <cmath>

#include <fmt/format.h>

namespace sluice::store {

int64_t to_nusd(double usd) { return static_cast<int64_t>(std::ceil(usd * 1e9 - 1e-6)); }

namespace {
double to_usd(int64_t nusd) { return static_cast<double>(nusd) / 1e9; }
PgParam opt(const std::optional<double>& usd) { return usd ? PgParam(std::to_string(to_nusd(*usd))) : std::nullopt; }
PgParam opt(const std::optional<int64_t>& v) { return v ? PgParam(std::to_string(*v)) : std::nullopt; }
std::string num(int64_t v) { return std::to_string(v); }

// Deadlocks (a reaper and a reserver taking the same two rows in another order) and
// serialisation failures are retried; PostgreSQL has already rolled the loser back.
bool retryable(const PgConnection& c) { return c.last_sqlstate().rfind("40", 0) == 0; }

// One statement, committed on its own: the day's row is updated only when the day's cap and
// (as read at the statement's start) the run's limits allow; the run's row only when the day's
// update matched and, re-checked on its newest version, the run's limits still allow; the
// ledger row only when both matched. The rare case where the run's row changed in between
// (two stages of one run racing) is undone by the caller: a reservation briefly held on the
// day that way can only refuse someone else, never admit too much.
constexpr const char* k_reserve = R"sql(
WITH d AS (
  UPDATE llm_budget SET reserved_nusd = reserved_nusd + $1
  WHERE scope = $2 AND ($3::bigint IS NULL OR spent_nusd + reserved_nusd + $1 <= $3::bigint)
    AND EXISTS (SELECT 1 FROM llm_budget x WHERE x.scope = $4
                AND ($6::bigint IS NULL OR x.spent_nusd + x.reserved_nusd + $1 <= $6::bigint)
                AND ($7::bigint IS NULL OR x.calls + 1 <= $7::bigint)
                AND ($8::bigint IS NULL OR x.tokens + $5 <= $8::bigint))
  RETURNING 1),
r AS (
  UPDATE llm_budget SET reserved_nusd = reserved_nusd + $1, calls = calls + 1, tokens = tokens + $5
  WHERE scope = $4 AND EXISTS (SELECT 1 FROM d)
    AND ($6::bigint IS NULL OR spent_nusd + reserved_nusd + $1 <= $6::bigint)
    AND ($7::bigint IS NULL OR calls + 1 <= $7::bigint)
    AND ($8::bigint IS NULL OR tokens + $5 <= $8::bigint)
  RETURNING 1),
ins AS (
  INSERT INTO llm_ledger (run_id, stage, provider, model, state, reserved_nusd, reserved_tokens, day,
                          created_ms, lease_until_ms, holder_boot, holder_ns, holder_pid, holder_start)
  SELECT $9, $10, $11, $12, 'reserved', $1, $5, $13, $14, $15, $16, $17, $18::bigint, $19::bigint
  WHERE EXISTS (SELECT 1 FROM r)
  RETURNING id)
SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM r), (SELECT id FROM ins),
       (SELECT count(*) FROM llm_budget WHERE scope IN ($2, $4))
)sql";

constexpr const char* k_reap = R"sql(
WITH dead AS (
  UPDATE llm_ledger SET state = 'expired', settled_ms = $1
  WHERE state = 'reserved' AND lease_until_ms < $1
  RETURNING day, run_id, reserved_nusd, reserved_tokens),
per AS (
  SELECT 'day:' || day AS scope, SUM(reserved_nusd)::bigint AS n, 0::bigint AS c, 0::bigint AS t
  FROM dead GROUP BY day
  UNION ALL
  SELECT 'run:' || run_id, SUM(reserved_nusd)::bigint, COUNT(*)::bigint, SUM(reserved_tokens)::bigint
  FROM dead GROUP BY run_id),
upd AS (
  UPDATE llm_budget b SET reserved_nusd = b.reserved_nusd - per.n, calls = b.calls - per.c, tokens = b.tokens - per.t
  FROM per WHERE b.scope = per.scope RETURNING 1)
SELECT (SELECT count(*) FROM dead)
)sql";
}  // namespace

Expected<int64_t> PgLedger::release_expired(int64_t now_ms) {
  auto r = m_c.query_prepared("sluice_reap", k_reap, {num(now_ms)});
  SLUICE_TRY(r);
  return r->integer(0, 0);
}

Expected<int64_t> PgLedger::release_dead_holders(const HostView& host) {
  if (host.boot_id.empty() || host.pid_ns.empty()) return 0;
  auto holders = m_c.query(
      "SELECT DISTINCT holder_pid, holder_start FROM llm_ledger "
      "WHERE state = 'reserved' AND holder_boot = $1 AND holder_ns = $2",
      {host.boot_id, host.pid_ns});
  SLUICE_TRY(holders);
  int64_t dead = 0;
  for (size_t i = 0; i < holders->rows.size(); ++i) {
    RunLease lease;
    lease.pid = holders->integer(i, 0);
    lease.boot_id = host.boot_id;
    lease.pid_ns = host.pid_ns;
    if (!holders->is_null(i, 1)) lease.pid_start = holders->integer(i, 1);
    if (lease_alive(lease, host)) continue;
    // Its leases end now; the reaper statement releases them like any expired lease.
    auto ended = m_c.query(
        "UPDATE llm_ledger SET lease_until_ms = 0 WHERE state = 'reserved' AND holder_boot = $1 AND holder_ns = $2 "
        "AND holder_pid = $3 AND holder_start IS NOT DISTINCT FROM $4::bigint",
        {host.boot_id, host.pid_ns, num(lease.pid),
         lease.pid_start ? PgParam(num(*lease.pid_start)) : std::nullopt});
    SLUICE_TRY(ended);
    ++dead;
  }
  if (dead == 0) return 0;
  return release_expired(host.now_ms);
}

Expected<PgScopeSpend> PgLedger::spend(const std::string& scope) {
  auto r = m_c.query("SELECT spent_nusd + reserved_nusd, calls, tokens FROM llm_budget WHERE scope = $1", {scope});
  SLUICE_TRY(r);
  if (r->empty()) return PgScopeSpend{};
  return PgScopeSpend{to_usd(r->integer(0, 0)), r->integer(0, 1), r->integer(0, 2)};
}

Expected<double> PgLedger::settled(const std::string& scope) {
  auto r = m_c.query("SELECT spent_nusd FROM llm_budget WHERE scope = $1", {scope});
  SLUICE_TRY(r);
  return r->empty() ? 0.0 : to_usd(r->integer(0, 0));
}

Expected<PgReserved> PgLedger::reserve(const PgReserve& q) {
  const std::string day_scope = "day:" + q.day, run_scope = "run:" + q.run_id;
  // Best effort: a failure here (a deadlock with another reaper) only delays the release.
  for (int i = 0; i < 3; ++i)
    if (auto reaped = release_expired(q.now_ms); reaped || !retryable(m_c)) break;
  const int64_t x = to_nusd(q.usd);
  const std::vector<PgParam> params{num(x),
                                    day_scope,
                                    opt(q.per_day_usd),
                                    run_scope,
                                    num(q.tokens),
                                    opt(q.per_run_usd),
                                    opt(q.max_calls_per_run),
                                    opt(q.max_tokens_per_run),
                                    q.run_id,
                                    q.stage,
                                    q.provider,
                                    q.model,
                                    q.day,
                                    num(q.now_ms),
                                    num(q.now_ms + q.lease_ms),
                                    q.holder.pid > 0 ? PgParam(q.holder.boot_id) : std::nullopt,
                                    q.holder.pid > 0 ? PgParam(q.holder.pid_ns) : std::nullopt,
                                    q.holder.pid > 0 ? PgParam(num(q.holder.pid)) : std::nullopt,
                                    q.holder.pid_start ? PgParam(num(*q.holder.pid_start)) : std::nullopt};
  for (int attempt = 0;; ++attempt) {
    auto r = m_c.query_prepared("sluice_reserve", k_reserve, params);
    if (!r) {
      if (retryable(m_c) && attempt < 20) continue;
      return tl::unexpected(r.error());
    }
    PgReserved out;
    if (!r->is_null(0, 2)) {
      out.id = r->integer(0, 2);
      return out;
    }
    if (r->integer(0, 3) < 2 && attempt == 0) {
      // The first call of a day or a run: create its rows, then try again.
      SLUICE_TRY(m_c.query("INSERT INTO llm_budget (scope) VALUES ($1), ($2) ON CONFLICT (scope) DO NOTHING",
                           {day_scope, run_scope}));
      continue;
    }
    if (r->integer(0, 0) == 1) {
      // The day's row matched but the run's refused on its newest version: undo the day's part.
      SLUICE_TRY(m_c.query("UPDATE llm_budget SET reserved_nusd = reserved_nusd - $1 WHERE scope = $2",
                           {num(x), day_scope}));
    }
    auto day = spend(day_scope);
    SLUICE_TRY(day);
    auto run = spend(run_scope);
    SLUICE_TRY(run);
    out.day = *day;
    out.run = *run;
    const bool day_ok = !q.per_day_usd || to_nusd(day->usd) + x <= to_nusd(*q.per_day_usd);
    if (!day_ok) {
      out.limit = "per_day_usd";
    } else if (q.per_run_usd && to_nusd(run->usd) + x > to_nusd(*q.per_run_usd)) {
      out.limit = "per_run_usd";
    } else if (q.max_calls_per_run && run->calls + 1 > *q.max_calls_per_run) {
      out.limit = "max_calls_per_run";
    } else if (q.max_tokens_per_run && run->tokens + q.tokens > *q.max_tokens_per_run) {
      out.limit = "max_tokens_per_run";
    } else if (attempt < 20) {
      continue;  // refused by a state that has changed since: ask again
    } else {
      out.limit = "per_day_usd";
    }
    return out;
  }
}

Expected<void> PgLedger::settle(int64_t id, int64_t tokens_in, int64_t tokens_out, double cost_usd, int64_t now_ms) {
  for (int attempt = 0;; ++attempt) {
    SLUICE_TRY(m_c.exec("BEGIN"));
    auto body = [&]() -> Expected<void> {
      auto row = m_c.query(
          "SELECT state, reserved_nusd, reserved_tokens, day, run_id FROM llm_ledger WHERE id = $1 FOR UPDATE",
          {num(id)});
      SLUICE_TRY(row);
      if (row->empty()) return {};
      const std::string state = row->text(0, 0);
      if (state != "reserved" && state != "expired") return {};  // settled or released already
      // An expired reservation was released by a reaper: its spend is added, nothing released.
      const bool live = state == "reserved";
      const int64_t held = live ? row->integer(0, 1) : 0;
      const int64_t held_tokens = live ? row->integer(0, 2) : 0;
      const int64_t cost = to_nusd(cost_usd);
      SLUICE_TRY(m_c.query(
          "UPDATE llm_ledger SET state = 'settled', tokens_in = $2, tokens_out = $3, cost_nusd = $4, settled_ms = $5 "
          "WHERE id = $1",
          {num(id), num(tokens_in), num(tokens_out), num(cost), num(now_ms)}));
      SLUICE_TRY(m_c.query(
          "UPDATE llm_budget SET reserved_nusd = reserved_nusd - $2, spent_nusd = spent_nusd + $3 WHERE scope = $1",
          {"day:" + row->text(0, 3), num(held), num(cost)}));
      return m_c.query("UPDATE llm_budget SET reserved_nusd = reserved_nusd - $2, spent_nusd = spent_nusd + $3, "
                       "tokens = tokens - $4 + $5, calls = calls + $6 WHERE scope = $1",
                       {"run:" + row->text(0, 4), num(held), num(cost), num(held_tokens), num(tokens_in + tokens_out),
                        num(live ? 0 : 1)})
          .map([](PgRows) {});
    };
    auto done = body();
    if (done) {
      if (auto c = m_c.exec("COMMIT"); c) return {};
      else if (!retryable(m_c) || attempt >= 20) return c;
      continue;
    }
    const bool again = retryable(m_c) && attempt < 20;
    (void)m_c.exec("ROLLBACK");
    if (!again) return done;
  }
}

Expected<void> PgLedger::release(int64_t id, int64_t now_ms) {
  for (int attempt = 0;; ++attempt) {
    SLUICE_TRY(m_c.exec("BEGIN"));
    auto body = [&]() -> Expected<void> {
      auto row = m_c.query(
          "UPDATE llm_ledger SET state = 'released', settled_ms = $2 WHERE id = $1 AND state = 'reserved' "
          "RETURNING reserved_nusd, reserved_tokens, day, run_id",
          {num(id), num(now_ms)});
      SLUICE_TRY(row);
      if (row->empty()) return {};  // settled, released or reaped already
      SLUICE_TRY(m_c.query("UPDATE llm_budget SET reserved_nusd = reserved_nusd - $2 WHERE scope = $1",
                           {"day:" + row->text(0, 2), row->text(0, 0)}));
      return m_c.query("UPDATE llm_budget SET reserved_nusd = reserved_nusd - $2, calls = calls - 1, "
                       "tokens = tokens - $3 WHERE scope = $1",
                       {"run:" + row->text(0, 3), row->text(0, 0), row->text(0, 1)})
          .map([](PgRows) {});
    };
    auto done = body();
    if (done) {
      if (auto c = m_c.exec("COMMIT"); c) return {};
      else if (!retryable(m_c) || attempt >= 20) return c;
      continue;
    }
    const bool again = retryable(m_c) && attempt < 20;
    (void)m_c.exec("ROLLBACK");
    if (!again) return done;
  }
}

Expected<bool> PgLedger::reserve_check_then_update(const std::string& day, double usd, double cap) {
  const std::string scope = "day:" + day;
  SLUICE_TRY(m_c.query("INSERT INTO llm_budget (scope) VALUES ($1) ON CONFLICT (scope) DO NOTHING", {scope}));
  auto now = spend(scope);
  SLUICE_TRY(now);
  if (to_nusd(now->usd) + to_nusd(usd) > to_nusd(cap)) return false;
  SLUICE_TRY(m_c.query("UPDATE llm_budget SET reserved_nusd = reserved_nusd + $2 WHERE scope = $1",
                       {scope, num(to_nusd(usd))}));
  SLUICE_TRY(m_c.query("INSERT INTO llm_ledger (run_id, stage, provider, model, state, reserved_nusd, reserved_tokens, "
                       "day, created_ms, lease_until_ms) VALUES ('naive', 's', 'p', 'm', 'reserved', $1, 0, $2, 0, "
                       "9223372036854775807)",
                       {num(to_nusd(usd)), day}));
  return true;
}

}  // namespace sluice::store
