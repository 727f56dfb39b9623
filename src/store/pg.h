#pragma once
// A thin layer over libpq for the shared PostgreSQL state (docs/scale-out.md): one connection,
// parameterised statements (text values), the PostgreSQL dialect of sluice's migrations.
// Passwords never come from this layer's messages: errors are scrubbed of the connection's
// password and URLs are shown masked (store::mask_url).
//
// Thread-safety: one PgConnection per thread.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

struct pg_conn;
struct pg_result;

namespace sluice::store {

using PgParam = std::optional<std::string>;  // nullopt: SQL NULL

struct PgRows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  [[nodiscard]] bool empty() const { return rows.empty(); }
  [[nodiscard]] int64_t integer(size_t row, size_t col) const;
  [[nodiscard]] std::string text(size_t row, size_t col) const;
  [[nodiscard]] bool is_null(size_t row, size_t col) const { return !rows.at(row).at(col).has_value(); }
};

// Whether `url` names PostgreSQL (postgres:// or postgresql://).
[[nodiscard]] bool is_postgres_url(std::string_view url);

class PgConnection {
 public:
  // Connects (libpq: the password from the URL, PGPASSWORD or ~/.pgpass; connect_timeout=5
  // unless the URL sets one) and applies the
  // PostgreSQL migrations not yet applied (serialised across clients by an advisory lock).
  [[nodiscard]] static Expected<std::unique_ptr<PgConnection>> connect(const std::string& url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with $1..$n bound to `params`; returns its rows (empty for none).
  [[nodiscard]] Expected<PgRows> query(const std::string& sql, const std::vector<PgParam>& params = {});
  // As query(), through a statement prepared once per connection under `name` (planned once:
  // the budget statements are run for every LLM call).
  [[nodiscard]] Expected<PgRows> query_prepared(const std::string& name, const std::string& sql,
                                                const std::vector<PgParam>& params);
  [[nodiscard]] Expected<void> exec(const std::string& sql) {
    auto r = query(sql);
    if (!r) return tl::unexpected(r.error());
    return {};
  }
  // The SQLSTATE of the last failed statement ("40P01": deadlock, "40001": serialisation).
  [[nodiscard]] const std::string& last_sqlstate() const { return m_sqlstate; }
  // The URL with its password masked, for messages.
  [[nodiscard]] const std::string& display() const { return m_display; }

 private:
  PgConnection(pg_conn* c, std::string display, std::string secret)
      : m_conn(c), m_display(std::move(display)), m_secret(std::move(secret)) {}
  [[nodiscard]] std::string scrub(std::string message) const;
  [[nodiscard]] Expected<void> migrate();
  pg_conn* m_conn;
  std::string m_display;
  [[nodiscard]] Expected<PgRows> result(pg_result* r);
  std::vector<std::string> m_prepared;
  std::string m_sqlstate;
  std::string m_secret;  // the password, only to scrub it from libpq's messages
};

}  // namespace sluice::store
