#include "store/pg.h"

#include <libpq-fe.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "store/remote_cache.h"

namespace sluice::store {

int64_t PgRows::integer(size_t row, size_t col) const {
  const auto& v = rows.at(row).at(col);
  return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}

std::string PgRows::text(size_t row, size_t col) const { return rows.at(row).at(col).value_or(""); }

bool is_postgres_url(std::string_view url) {
  return url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
}

namespace {
// The PostgreSQL dialect of the shared tables. Amounts are integer nano-dollars, so adding and
// removing a reservation is exact.
struct PgMigration {
  int version;
  const char* sql;
};
const std::vector<PgMigration>& pg_migrations() {
  static const std::vector<PgMigration> k{
      {1, R"sql(
CREATE TABLE llm_budget (
  scope text PRIMARY KEY,            -- 'day:2026-11-28' or 'run:<run id>'
  spent_nusd bigint NOT NULL DEFAULT 0,
  reserved_nusd bigint NOT NULL DEFAULT 0,
  calls bigint NOT NULL DEFAULT 0,   -- live reservations plus settled calls
  tokens bigint NOT NULL DEFAULT 0   -- reserved worst case of live ones plus settled tokens
);
CREATE TABLE llm_ledger (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL, stage text NOT NULL, provider text NOT NULL, model text NOT NULL,
  state text NOT NULL,               -- reserved | settled | released | expired
  reserved_nusd bigint NOT NULL, reserved_tokens bigint NOT NULL,
  tokens_in bigint, tokens_out bigint, cost_nusd bigint,
  day text NOT NULL, created_ms bigint NOT NULL, settled_ms bigint,
  lease_until_ms bigint NOT NULL     -- a reservation still live then is released by anyone
);
CREATE INDEX llm_ledger_live ON llm_ledger (lease_until_ms) WHERE state = 'reserved';
)sql"},
      // Who holds a reservation (run_lease.h's identity), so a sluice on the same machine and
      // PID namespace can release a dead holder's reservations at once, before its lease ends.
      {2, R"sql(
ALTER TABLE llm_ledger ADD COLUMN holder_boot text, ADD COLUMN holder_ns text,
  ADD COLUMN holder_pid bigint, ADD COLUMN holder_start bigint;
)sql"},
      // Runs using the shared ledger and their heartbeats (store/pg_runs.h); times are the
      // server's clock.
      {3, R"sql(
CREATE TABLE sluice_runs (
  run_id text PRIMARY KEY, pipeline text NOT NULL, host text NOT NULL,
  status text NOT NULL, started_ms bigint NOT NULL, ended_ms bigint, heartbeat_ms bigint NOT NULL
);
CREATE INDEX sluice_runs_running ON sluice_runs (heartbeat_ms) WHERE status = 'running';
)sql"},
      // Review gates (store/pg_review_store.h): the SQLite schema v5 tables in this dialect. The
      // head row is created here, so the first two appenders lock the same row; the triggers make
      // the event log append-only (a deliberate edit drops them first, and the chain shows it).
      {4, R"sql(
CREATE TABLE review_requests (
  run_id text NOT NULL, stage text NOT NULL, hash text NOT NULL, manifest text NOT NULL, files text NOT NULL,
  why text NOT NULL, requested_by text NOT NULL, state text NOT NULL, created_ms bigint NOT NULL,
  PRIMARY KEY (run_id, stage)
);
CREATE INDEX review_requests_hash ON review_requests (stage, hash);
CREATE TABLE review_blobs (sha256 text PRIMARY KEY, content bytea NOT NULL);
CREATE TABLE review_events (
  id bigint PRIMARY KEY, at_ms bigint NOT NULL, kind text NOT NULL, run_id text NOT NULL, stage text NOT NULL,
  hash text NOT NULL, actor text NOT NULL, message text NOT NULL DEFAULT '', signature text NOT NULL DEFAULT '',
  prev_hash text NOT NULL, row_hash text NOT NULL
);
CREATE INDEX review_events_decision ON review_events (hash, kind);
CREATE FUNCTION review_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'review_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER review_events_no_update BEFORE UPDATE OR DELETE ON review_events
  FOR EACH ROW EXECUTE FUNCTION review_events_append_only();
CREATE TRIGGER review_events_no_truncate BEFORE TRUNCATE ON review_events
  FOR EACH STATEMENT EXECUTE FUNCTION review_events_append_only();
CREATE TABLE review_chain_head (
  one integer PRIMARY KEY CHECK (one = 1), last_id bigint NOT NULL, last_hash text NOT NULL
);
INSERT INTO review_chain_head (one, last_id, last_hash) VALUES (1, 0, repeat('0', 64));
)sql"},
      // The LLM response cache shared by every runner (llm/response_cache.h, PgResponseCache).
      {5, R"sql(
CREATE TABLE llm_response_cache (
  key text PRIMARY KEY, provider_kind text NOT NULL, base_url text NOT NULL, model text NOT NULL,
  response text NOT NULL, finish_reason text NOT NULL DEFAULT '', tokens_in bigint NOT NULL,
  tokens_out bigint NOT NULL, cost_usd double precision NOT NULL, created_ms bigint NOT NULL,
  last_used_ms bigint NOT NULL, hits bigint NOT NULL DEFAULT 0
);
CREATE INDEX llm_response_cache_used ON llm_response_cache (last_used_ms);
)sql"},
      // Runs, stages and the step-cache index behind StateStore (store/pg_state_store.h): the
      // PostgreSQL dialect of the SQLite tables runs, stages and step_cache (migrations.cpp v1 and
      // v3). sluice_runs gains the columns of `runs`; a row without seq was recorded by a sluice
      // that shared only the ledger. Run numbers come from one sequence, shared by every runner.
      {6, R"sql(
CREATE SEQUENCE sluice_run_seq;
ALTER TABLE sluice_runs
  ADD COLUMN seq bigint UNIQUE,
  ADD COLUMN pid bigint NOT NULL DEFAULT 0,
  ADD COLUMN jobs integer NOT NULL DEFAULT 0,
  ADD COLUMN duration_ms bigint,
  ADD COLUMN options text NOT NULL DEFAULT '',
  ADD COLUMN boot_id text,
  ADD COLUMN pid_start bigint,
  ADD COLUMN pid_ns text,
  ADD COLUMN origin text NOT NULL DEFAULT '';   -- "host:/workspace/.sluice" that recorded it
CREATE TABLE sluice_stages (
  run_id text NOT NULL REFERENCES sluice_runs (run_id) ON DELETE CASCADE,
  name text NOT NULL, idx integer NOT NULL, kind text NOT NULL, status text NOT NULL,
  exit_code integer, attempts integer NOT NULL DEFAULT 0,
  started_ms bigint, ended_ms bigint, duration_ms bigint,
  cache_hit boolean NOT NULL DEFAULT false, cache_key text, log_path text, reason text,
  needs text NOT NULL DEFAULT '', details text,
  pgid bigint, pgid_start bigint,
  PRIMARY KEY (run_id, name)
);
CREATE INDEX sluice_stages_groups ON sluice_stages (run_id) WHERE pgid IS NOT NULL;
CREATE TABLE sluice_step_cache (
  key text PRIMARY KEY, stage text NOT NULL, outputs text NOT NULL,
  created_ms bigint NOT NULL, last_used_ms bigint NOT NULL, duration_ms bigint NOT NULL,
  origin text NOT NULL DEFAULT ''              -- the workspace that wrote it (prune deletes only its own)
);
)sql"},
  };
  return k;
}
}  // namespace

Expected<std::unique_ptr<PgConnection>> PgConnection::connect(const std::string& url) {
  // An unreachable server must not hold a run (or its end) for TCP's minutes-long timeout.
  std::string full = url;
  if (full.find("connect_timeout=") == std::string::npos)
    full += (full.find('?') == std::string::npos ? "?" : "&") + std::string("connect_timeout=5");
  PGconn* c = PQconnectdb(full.c_str());
  std::string secret;
  if (c != nullptr && PQpass(c) != nullptr) secret = PQpass(c);
  auto conn = std::unique_ptr<PgConnection>(new PgConnection(c, mask_url(url), secret));
  if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
    std::string msg = c != nullptr ? PQerrorMessage(c) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return make_error(ErrorCode::network,
                      fmt::format("state {}: cannot connect: {}", conn->m_display, conn->scrub(msg)));
  }
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  if (auto m = conn->migrate(); !m) return tl::unexpected(m.error());
  return conn;
}

PgConnection::~PgConnection() {
  if (m_conn != nullptr) PQfinish(m_conn);
}

std::string PgConnection::scrub(std::string message) const {
  if (m_secret.empty()) return message;
  for (size_t at = message.find(m_secret); at != std::string::npos; at = message.find(m_secret, at + 3))
    message.replace(at, m_secret.size(), "***");
  return message;
}

Expected<PgRows> PgConnection::query(const std::string& sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  m_sqlstate.clear();
  // Without parameters the simple protocol, which also runs several statements (migrations).
  return result(params.empty() ? PQexec(m_conn, sql.c_str())
                               : PQexecParams(m_conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                              values.data(), nullptr, nullptr, 0));
}

Expected<PgRows> PgConnection::query_prepared(const std::string& name, const std::string& sql,
                                              const std::vector<PgParam>& params) {
  if (std::find(m_prepared.begin(), m_prepared.end(), name) == m_prepared.end()) {
    auto prepared = result(PQprepare(m_conn, name.c_str(), sql.c_str(), 0, nullptr));
    if (!prepared) return prepared;
    m_prepared.push_back(name);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  m_sqlstate.clear();
  return result(PQexecPrepared(m_conn, name.c_str(), static_cast<int>(params.size()), values.data(), nullptr,
                               nullptr, 0));
}

Expected<PgRows> PgConnection::result(PGresult* r) {
  const auto status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string msg = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(m_conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    m_sqlstate = state != nullptr ? state : "";
    PQclear(r);
    const bool lost = PQstatus(m_conn) != CONNECTION_OK;
    return make_error(lost ? ErrorCode::network : ErrorCode::io, fmt::format("state {}: {}", m_display, scrub(msg)));
  }
  PgRows out;
  const int n = PQntuples(r), cols = PQnfields(r);
  out.rows.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& row = out.rows[static_cast<size_t>(i)];
    row.reserve(static_cast<size_t>(cols));
    for (int j = 0; j < cols; ++j) {
      if (PQgetisnull(r, i, j)) row.emplace_back(std::nullopt);
      else row.emplace_back(std::string(PQgetvalue(r, i, j), static_cast<size_t>(PQgetlength(r, i, j))));
    }
  }
  PQclear(r);
  return out;
}

Expected<void> PgConnection::migrate() {
  // Every client runs this at connect; the advisory lock makes the first one apply and the
  // others wait and find the schema current. A schema newer than this binary is refused.
  constexpr const char* k_lock = "SELECT pg_advisory_xact_lock(7235846183)";
  SLUICE_TRY(exec("BEGIN"));
  auto body = [&]() -> Expected<void> {
    SLUICE_TRY(exec(k_lock));
    SLUICE_TRY(exec("CREATE TABLE IF NOT EXISTS sluice_schema (version integer NOT NULL)"));
    auto v = query("SELECT COALESCE(MAX(version), 0) FROM sluice_schema");
    SLUICE_TRY(v);
    const int64_t have = v->integer(0, 0);
    const int known = pg_migrations().back().version;
    if (have > known)
      return make_error(ErrorCode::integrity,
                        fmt::format("state {}: schema version {} is newer than this sluice knows ({}); upgrade sluice",
                                    m_display, have, known));
    for (const auto& m : pg_migrations()) {
      if (m.version <= have) continue;
      SLUICE_TRY(exec(m.sql));
      SLUICE_TRY(query("INSERT INTO sluice_schema (version) VALUES ($1)", {std::to_string(m.version)}));
    }
    return {};
  };
  auto done = body();
  if (!done) {
    (void)exec("ROLLBACK");
    return done;
  }
  return exec("COMMIT");
}

}  // namespace sluice::store
