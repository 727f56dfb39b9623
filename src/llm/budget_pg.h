#pragma once
// The budget ledger shared by every runner, on PostgreSQL (store/pg_ledger.h holds the
// statements and the guarantee). Same limits and messages as the SQLite Ledger; the per-day
// limit is then global: every runner pointing at the same database shares it.
//
// Thread-safety: one PgBudgetLedger (one connection) per thread.

#include <memory>
#include <string>

#include "llm/budget.h"
#include "store/pg.h"

namespace sluice::llm {

class PgBudgetLedger final : public BudgetLedger {
 public:
  // Connects now (errors: unreachable server, refused password, a schema newer than this sluice).
  [[nodiscard]] static Expected<std::unique_ptr<PgBudgetLedger>> connect(const std::string& url);
  // Connects at the first reservation, so a stage answered from the response cache never
  // opens a connection; a connection error is then that reservation's error.
  [[nodiscard]] static std::unique_ptr<PgBudgetLedger> lazy(std::string url);
  [[nodiscard]] Expected<int64_t> reserve(const ReserveRequest& request, const BudgetConfig& budget) override;
  [[nodiscard]] Expected<void> settle(int64_t id, int64_t tokens_in, int64_t tokens_out, double cost_usd,
                                      int64_t now_ms) override;
  [[nodiscard]] Expected<void> release(int64_t id, int64_t now_ms) override;
  // The ledger's connection, made at the first call (so the stage's shared response cache,
  // PgResponseCache, uses the same one).
  [[nodiscard]] Expected<store::PgConnection*> conn();

 private:
  explicit PgBudgetLedger(std::unique_ptr<store::PgConnection> c) : m_conn(std::move(c)) {}
  explicit PgBudgetLedger(std::string url) : m_url(std::move(url)) {}
  std::string m_url;
  std::unique_ptr<store::PgConnection> m_conn;
};

}  // namespace sluice::llm
