#include "store/pg_state_store.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "store/pg_ledger.h"
#include "store/run_lease.h"

namespace sluice::store {

namespace fs = std::filesystem;

namespace {

// PostgreSQL's clock in ms: every heartbeat and every judgement of one use the same clock.
constexpr const char* k_db_now = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

constexpr const char* k_run_cols =
    "run_id, seq, pipeline, status, pid, jobs, started_ms, ended_ms, duration_ms, options, boot_id, pid_start, "
    "pid_ns, heartbeat_ms, origin";

constexpr const char* k_stage_cols =
    "run_id, name, idx, kind, status, exit_code, attempts, started_ms, ended_ms, duration_ms, cache_hit, "
    "cache_key, log_path, reason, needs, details, pgid, pgid_start";

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PgParam num(int64_t v) { return std::to_string(v); }
PgParam opt_num(const std::optional<int64_t>& v) { return v ? num(*v) : PgParam{}; }

// A text[] literal: {"a","b"} with quotes and backslashes escaped.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// Row `i` of a query over k_run_cols followed by the server's clock. The heartbeat is moved onto
// this process's clock by its age on the server's, so run_alive() judges it without trusting
// that the two clocks agree.
RunRecord read_run(const PgRows& rows, size_t i, int64_t local_now) {
  RunRecord r;
  r.id = rows.text(i, 0);
  r.seq = rows.integer(i, 1);
  r.pipeline = rows.text(i, 2);
  r.status = run_status_from(rows.text(i, 3)).value_or(RunStatus::interrupted);
  r.pid = rows.integer(i, 4);
  r.jobs = static_cast<int>(rows.integer(i, 5));
  r.started_ms = rows.integer(i, 6);
  if (!rows.is_null(i, 7)) r.ended_ms = rows.integer(i, 7);
  if (!rows.is_null(i, 8)) r.duration_ms = rows.integer(i, 8);
  r.options = rows.text(i, 9);
  r.boot_id = rows.text(i, 10);
  if (!rows.is_null(i, 11)) r.pid_start = rows.integer(i, 11);
  r.pid_ns = rows.text(i, 12);
  if (!rows.is_null(i, 13)) r.heartbeat_ms = local_now - (rows.integer(i, 15) - rows.integer(i, 13));
  r.origin = rows.text(i, 14);
  return r;
}

StageRecord read_stage(const PgRows& rows, size_t i) {
  StageRecord s;
  s.run_id = rows.text(i, 0);
  s.name = rows.text(i, 1);
  s.index = static_cast<int>(rows.integer(i, 2));
  s.kind = rows.text(i, 3);
  s.status = stage_status_from(rows.text(i, 4)).value_or(StageStatus::failed);
  if (!rows.is_null(i, 5)) s.exit_code = static_cast<int>(rows.integer(i, 5));
  s.attempts = static_cast<int>(rows.integer(i, 6));
  if (!rows.is_null(i, 7)) s.started_ms = rows.integer(i, 7);
  if (!rows.is_null(i, 8)) s.ended_ms = rows.integer(i, 8);
  if (!rows.is_null(i, 9)) s.duration_ms = rows.integer(i, 9);
  s.cache_hit = rows.text(i, 10) == "t";
  if (!rows.is_null(i, 11)) s.cache_key = rows.text(i, 11);
  if (!rows.is_null(i, 12)) s.log_path = rows.text(i, 12);
  if (!rows.is_null(i, 13)) s.reason = rows.text(i, 13);
  s.needs = rows.text(i, 14);
  if (!rows.is_null(i, 15)) s.details = rows.text(i, 15);
  if (!rows.is_null(i, 16)) s.pgid = rows.integer(i, 16);
  if (!rows.is_null(i, 17)) s.pgid_start = rows.integer(i, 17);
  return s;
}

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

Expected<std::unique_ptr<PgStateStore>> PgStateStore::open(std::unique_ptr<Database> local, const std::string& url,
                                                           const fs::path& dir) {
  auto c = PgConnection::connect(url);
  if (!c) return tl::unexpected(c.error());
  std::error_code ec;
  const fs::path abs = fs::absolute(dir, ec).lexically_normal();
  return std::unique_ptr<PgStateStore>(
      new PgStateStore(std::move(local), std::move(*c), url, host_name() + ":" + abs.string()));
}

Expected<PgConnection*> PgStateStore::index_connection() {
  if (!m_index) {
    auto c = PgConnection::connect(m_url);
    if (!c) return tl::unexpected(c.error());
    m_index = std::move(*c);
  }
  return m_index.get();
}

Expected<std::vector<RunRecord>> PgStateStore::runs_where(const std::string& where,
                                                          const std::vector<PgParam>& params) {
  auto rows = m_c->query(fmt::format("SELECT {}, {} FROM sluice_runs {}", k_run_cols, k_db_now, where), params);
  SLUICE_TRY(rows);
  const int64_t now = wall_now_ms();
  const HostView host = this_host(now);
  std::vector<RunRecord> out;
  out.reserve(rows->rows.size());
  for (size_t i = 0; i < rows->rows.size(); ++i) {
    RunRecord r = read_run(*rows, i, now);
    // A run shown as running whose lease has expired is shown as interrupted.
    if (r.status == RunStatus::running &&
        !lease_alive_shared({r.pid, r.boot_id, r.pid_start, r.pid_ns, r.heartbeat_ms}, host))
      r.status = RunStatus::interrupted;
    out.push_back(std::move(r));
  }
  return out;
}

Expected<RunRecord> PgStateStore::begin_run(const std::string& pipeline, int jobs, int64_t pid, int64_t now_ms,
                                            const std::string& options) {
  SLUICE_TRY(mark_dead_runs_interrupted(now_ms));
  auto seq = m_c->query("SELECT nextval('sluice_run_seq')");
  SLUICE_TRY(seq);
  RunRecord rec = new_run_record(seq->integer(0, 0), pipeline, jobs, pid, now_ms, options);
  rec.origin = m_origin;
  auto ins = m_c->query(
      fmt::format("INSERT INTO sluice_runs (run_id, seq, pipeline, host, status, started_ms, heartbeat_ms, pid, jobs, "
                  "options, boot_id, pid_start, pid_ns, origin) "
                  "VALUES ($1, $2, $3, $4, 'running', $5, {}, $6, $7, $8, $9, $10, $11, $12)",
                  k_db_now),
      {rec.id, num(rec.seq), pipeline, host_name(), num(now_ms), num(pid), num(jobs), options, rec.boot_id,
       opt_num(rec.pid_start), rec.pid_ns, m_origin});
  SLUICE_TRY(ins);
  return rec;
}

Expected<void> PgStateStore::finish_run(const std::string& run_id, RunStatus status, int64_t ended_ms,
                                        int64_t duration_ms) {
  return m_c
      ->query("UPDATE sluice_runs SET status = $2, ended_ms = $3, duration_ms = $4 WHERE run_id = $1",
              {run_id, std::string(to_string(status)), num(ended_ms), num(duration_ms)})
      .map([](PgRows) {});
}

Expected<void> PgStateStore::put_stage(const StageRecord& s) {
  std::optional<int64_t> exit_code;
  if (s.exit_code) exit_code = *s.exit_code;
  return m_c
      ->query_prepared(
          "sluice_put_stage",
          fmt::format("INSERT INTO sluice_stages ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                      "$14, $15, $16, $17, $18) ON CONFLICT (run_id, name) DO UPDATE SET idx = EXCLUDED.idx, "
                      "kind = EXCLUDED.kind, status = EXCLUDED.status, exit_code = EXCLUDED.exit_code, "
                      "attempts = EXCLUDED.attempts, started_ms = EXCLUDED.started_ms, ended_ms = EXCLUDED.ended_ms, "
                      "duration_ms = EXCLUDED.duration_ms, cache_hit = EXCLUDED.cache_hit, "
                      "cache_key = EXCLUDED.cache_key, log_path = EXCLUDED.log_path, reason = EXCLUDED.reason, "
                      "needs = EXCLUDED.needs, details = EXCLUDED.details, pgid = EXCLUDED.pgid, "
                      "pgid_start = EXCLUDED.pgid_start",
                      k_stage_cols),
          {s.run_id, s.name, num(s.index), s.kind, std::string(to_string(s.status)), opt_num(exit_code),
           num(s.attempts), opt_num(s.started_ms), opt_num(s.ended_ms), opt_num(s.duration_ms),
           std::string(s.cache_hit ? "t" : "f"), s.cache_key, s.log_path, s.reason, s.needs, s.details,
           opt_num(s.pgid), opt_num(s.pgid_start)})
      .map([](PgRows) {});
}

Expected<void> PgStateStore::put_stages(const std::vector<StageRecord>& stages) {
  return transaction([&]() -> Expected<void> {
    for (const auto& s : stages) SLUICE_TRY(put_stage(s));
    return {};
  });
}

Expected<void> PgStateStore::heartbeat(const std::string& run_id, int64_t) {
  return m_c
      ->query_prepared("sluice_state_heartbeat",
                       fmt::format("UPDATE sluice_runs SET heartbeat_ms = {} WHERE run_id = $1", k_db_now), {run_id})
      .map([](PgRows) {});
}

Expected<int> PgStateStore::mark_dead_runs_interrupted(int64_t now_ms) {
  // Rows without seq were recorded by a sluice that shared only the ledger (pg_runs.h judges them).
  auto running = runs_where("WHERE status = 'running' AND seq IS NOT NULL", {});
  SLUICE_TRY(running);
  std::vector<std::string> dead;
  for (const auto& r : *running) {
    if (r.status != RunStatus::running) dead.push_back(r.id);  // runs_where() judged it by its lease
  }
  (void)now_ms;
  if (dead.empty()) return 0;
  const std::string ids = text_array(dead);
  SLUICE_TRY(m_c->query("UPDATE sluice_runs SET status = 'interrupted' WHERE run_id = ANY($1::text[]) AND "
                        "status = 'running'",
                        {ids}));
  SLUICE_TRY(m_c->query("UPDATE sluice_stages SET status = 'interrupted', reason = 'sluice was killed while this "
                        "stage ran' WHERE run_id = ANY($1::text[]) AND status = 'running'",
                        {ids}));
  // Their live LLM reservations stop counting at once (the ledger lives in the same database).
  SLUICE_TRY(m_c->query("UPDATE llm_ledger SET lease_until_ms = 0 WHERE state = 'reserved' AND "
                        "run_id = ANY($1::text[])",
                        {ids}));
  SLUICE_TRY(PgLedger(*m_c).release_expired(wall_now_ms()));
  return static_cast<int>(dead.size());
}

Expected<std::vector<LeftoverGroup>> PgStateStore::leftover_groups() {
  const HostView host = this_host(wall_now_ms());
  auto rows = m_c->query(
      "SELECT s.run_id, s.name, s.pgid, s.pgid_start, r.boot_id FROM sluice_stages s "
      "JOIN sluice_runs r ON r.run_id = s.run_id WHERE s.pgid IS NOT NULL AND r.status <> 'running' "
      "AND r.boot_id = $1 AND r.pid_ns = $2 ORDER BY r.seq, s.idx",
      {host.boot_id, host.pid_ns});
  SLUICE_TRY(rows);
  std::vector<LeftoverGroup> out;
  for (size_t i = 0; i < rows->rows.size(); ++i) {
    LeftoverGroup g{rows->text(i, 0), rows->text(i, 1), rows->integer(i, 2), std::nullopt, rows->text(i, 4)};
    if (!rows->is_null(i, 3)) g.pgid_start = rows->integer(i, 3);
    out.push_back(std::move(g));
  }
  return out;
}

Expected<void> PgStateStore::forget_group(const std::string& run_id, const std::string& stage) {
  return m_c
      ->query("UPDATE sluice_stages SET pgid = NULL, pgid_start = NULL WHERE run_id = $1 AND name = $2",
              {run_id, stage})
      .map([](PgRows) {});
}

Expected<std::vector<RunRecord>> PgStateStore::list_runs(int limit) {
  return runs_where("WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT $1", {num(limit)});
}

Expected<std::optional<RunRecord>> PgStateStore::find_run(const std::string& selector) {
  Expected<std::vector<RunRecord>> runs;
  if (selector.empty() || selector == "last") {
    runs = runs_where("WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1", {});
  } else if (selector.find_first_not_of("0123456789") == std::string::npos && selector.size() < 10) {
    runs = runs_where("WHERE seq = $1::bigint", {selector});
  } else {
    runs = runs_where("WHERE seq IS NOT NULL AND starts_with(run_id, $1) ORDER BY seq DESC LIMIT 2", {selector});
  }
  SLUICE_TRY(runs);
  if (runs->empty()) return std::optional<RunRecord>{};
  if (runs->size() > 1)
    return make_error(ErrorCode::invalid_input, fmt::format("run selector \"{}\" is ambiguous", selector));
  return std::optional<RunRecord>(std::move(runs->front()));
}

Expected<std::vector<StageRecord>> PgStateStore::stages_of(const std::string& run_id) {
  auto rows = m_c->query(fmt::format("SELECT {} FROM sluice_stages WHERE run_id = $1 ORDER BY idx", k_stage_cols),
                         {run_id});
  SLUICE_TRY(rows);
  std::vector<StageRecord> out;
  out.reserve(rows->rows.size());
  for (size_t i = 0; i < rows->rows.size(); ++i) out.push_back(read_stage(*rows, i));
  return out;
}

Expected<std::optional<CacheEntry>> PgStateStore::cache_lookup(const std::string& key, int64_t now_ms) {
  auto c = index_connection();
  SLUICE_TRY(c);
  // A hit is read and touched in one statement; last use never goes back (runners' clocks differ).
  auto rows = now_ms <= 0
                  ? (*c)->query_prepared("sluice_cache_peek",
                                        "SELECT key, stage, outputs, created_ms, last_used_ms, duration_ms "
                                        "FROM sluice_step_cache WHERE key = $1",
                                        {key})
                  : (*c)->query_prepared("sluice_cache_get",
                                        "UPDATE sluice_step_cache SET last_used_ms = GREATEST(last_used_ms, $2) "
                                        "WHERE key = $1 RETURNING key, stage, outputs, created_ms, last_used_ms, "
                                        "duration_ms",
                                        {key, num(now_ms)});
  SLUICE_TRY(rows);
  if (rows->empty()) return std::optional<CacheEntry>{};
  return std::optional<CacheEntry>(CacheEntry{rows->text(0, 0), rows->text(0, 1), rows->text(0, 2),
                                              rows->integer(0, 3), rows->integer(0, 4), rows->integer(0, 5)});
}

Expected<void> PgStateStore::cache_put(const CacheEntry& e) {
  auto c = index_connection();
  SLUICE_TRY(c);
  return (*c)
      ->query_prepared("sluice_cache_put",
                       "INSERT INTO sluice_step_cache (key, stage, outputs, created_ms, last_used_ms, duration_ms, "
                       "origin) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO UPDATE SET "
                       "stage = EXCLUDED.stage, outputs = EXCLUDED.outputs, created_ms = EXCLUDED.created_ms, "
                       "last_used_ms = EXCLUDED.last_used_ms, duration_ms = EXCLUDED.duration_ms, "
                       "origin = EXCLUDED.origin",
                       {e.key, e.stage, e.outputs_json, num(e.created_ms), num(e.last_used_ms), num(e.duration_ms),
                        m_origin})
      .map([](PgRows) {});
}

Expected<std::vector<CacheIndexRow>> PgStateStore::cache_index() {
  auto rows = m_c->query("SELECT key, last_used_ms, outputs, origin = $1 FROM sluice_step_cache", {m_origin});
  SLUICE_TRY(rows);
  std::vector<CacheIndexRow> out;
  out.reserve(rows->rows.size());
  for (size_t i = 0; i < rows->rows.size(); ++i)
    out.push_back({rows->text(i, 0), rows->integer(i, 1), rows->text(i, 2), rows->text(i, 3) == "t"});
  return out;
}

Expected<std::vector<std::pair<std::string, std::string>>> PgStateStore::stage_cache_keys() {
  auto rows = m_c->query(
      "SELECT s.run_id, s.cache_key FROM sluice_stages s JOIN sluice_runs r ON r.run_id = s.run_id "
      "WHERE s.cache_key IS NOT NULL AND r.origin = $1",
      {m_origin});
  SLUICE_TRY(rows);
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < rows->rows.size(); ++i) out.emplace_back(rows->text(i, 0), rows->text(i, 1));
  return out;
}

Expected<void> PgStateStore::delete_cache_entries(const std::vector<std::string>& keys) {
  if (keys.empty()) return {};
  return m_c
      ->query("DELETE FROM sluice_step_cache WHERE key = ANY($1::text[]) AND origin = $2", {text_array(keys), m_origin})
      .map([](PgRows) {});
}

Expected<void> PgStateStore::delete_runs(const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  // Stages go with their run (ON DELETE CASCADE).
  return m_c
      ->query("DELETE FROM sluice_runs WHERE run_id = ANY($1::text[]) AND origin = $2", {text_array(ids), m_origin})
      .map([](PgRows) {});
}

Expected<void> PgStateStore::begin_transaction() { return m_c->exec("BEGIN"); }

Expected<void> PgStateStore::commit_transaction() {
  if (auto c = m_c->exec("COMMIT"); !c) {
    (void)m_c->exec("ROLLBACK");
    return c;
  }
  return {};
}

Expected<void> PgStateStore::transaction(const std::function<Expected<void>()>& body) {
  SLUICE_TRY(begin_transaction());
  auto r = body();
  if (!r) {
    (void)m_c->exec("ROLLBACK");
    return r;
  }
  return commit_transaction();
}

}  // namespace sluice::store
