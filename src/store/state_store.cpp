#include "store/state_store.h"
#include "store/state_layout.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "store/pg.h"
#include "store/pg_state_store.h"
#include "store/remote_cache.h"
#include "store/run_lease.h"

namespace sluice::store {

bool process_alive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool run_alive(const RunRecord& run, int64_t now_ms) {
  return lease_alive({run.pid, run.boot_id, run.pid_start, run.pid_ns, run.heartbeat_ms}, this_host(now_ms));
}

Expected<std::unique_ptr<StateStore>> StateStore::open(const std::filesystem::path& dir) {
  auto db = Database::open(StateLayout(dir).database(), all_migrations());
  if (!db) return tl::unexpected(db.error());
  return std::unique_ptr<StateStore>(std::make_unique<SqliteStateStore>(std::move(*db)));
}

Expected<std::unique_ptr<StateStore>> StateStore::open(const std::filesystem::path& dir, const std::string& url) {
  if (url.empty() || url == "sqlite") return open(dir);
  if (!is_postgres_url(url))
    return make_error(ErrorCode::invalid_input,
                      fmt::format("state \"{}\" is neither sqlite nor a postgres:// URL", mask_url(url)));
  auto db = Database::open(StateLayout(dir).database(), all_migrations());
  if (!db) return tl::unexpected(db.error());
  auto pg = PgStateStore::open(std::move(*db), url, dir);
  if (!pg) return tl::unexpected(pg.error());
  return std::unique_ptr<StateStore>(std::move(*pg));
}

std::string StateStore::where() const { return m_db->path().string(); }

bool StateStore::recorded_here(const RunRecord&) const { return true; }

std::string new_run_id(int64_t now_ms, int64_t seq) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::random_device rd;
  return fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}-{}-{:04x}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, seq, rd() & 0xffff);
}

RunRecord new_run_record(int64_t seq, const std::string& pipeline, int jobs, int64_t pid, int64_t now_ms,
                         const std::string& options) {
  const RunLease lease = lease_of_process(pid, now_ms);
  RunRecord rec;
  rec.seq = seq;
  rec.id = new_run_id(now_ms, seq);
  rec.pipeline = pipeline;
  rec.status = RunStatus::running;
  rec.pid = pid;
  rec.jobs = jobs;
  rec.started_ms = now_ms;
  rec.options = options;
  rec.boot_id = lease.boot_id;
  rec.pid_start = lease.pid_start;
  rec.pid_ns = lease.pid_ns;
  rec.heartbeat_ms = now_ms;
  return rec;
}

namespace {

RunRecord read_run(const Statement& st) {
  RunRecord r;
  r.id = st.column_text(0);
  r.seq = st.column_int(1);
  r.pipeline = st.column_text(2);
  // A status this version does not know (none should exist: a newer schema is refused) reads as
  // the state that claims least.
  r.status = run_status_from(st.column_text(3)).value_or(RunStatus::interrupted);
  r.pid = st.column_int(4);
  r.jobs = static_cast<int>(st.column_int(5));
  r.started_ms = st.column_int(6);
  if (!st.column_is_null(7)) r.ended_ms = st.column_int(7);
  if (!st.column_is_null(8)) r.duration_ms = st.column_int(8);
  r.options = st.column_text(9);
  if (!st.column_is_null(10)) r.boot_id = st.column_text(10);
  if (!st.column_is_null(11)) r.pid_start = st.column_int(11);
  if (!st.column_is_null(12)) r.pid_ns = st.column_text(12);
  if (!st.column_is_null(13)) r.heartbeat_ms = st.column_int(13);
  return r;
}

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A run shown as running whose lease has expired is shown as interrupted.
RunRecord read_run_judged(const Statement& st) {
  RunRecord r = read_run(st);
  if (r.status == RunStatus::running && !run_alive(r, wall_now_ms())) r.status = RunStatus::interrupted;
  return r;
}

constexpr const char* k_run_cols =
    "id, seq, pipeline, status, pid, jobs, started_ms, ended_ms, duration_ms, options, boot_id, pid_start, "
    "pid_ns, heartbeat_ms";
}  // namespace

Expected<int> SqliteStateStore::mark_dead_runs_interrupted(int64_t now_ms) {
  auto st = m_db->prepare(fmt::format("SELECT {} FROM runs WHERE status = 'running'", k_run_cols));
  if (!st) return tl::unexpected(st.error());
  std::vector<std::string> dead;
  for (;;) {
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    RunRecord r = read_run(*st);
    if (!run_alive(r, now_ms)) dead.push_back(r.id);
  }
  for (const auto& id : dead) {
    auto up = m_db->prepare("UPDATE runs SET status = 'interrupted' WHERE id = ?1 AND status = 'running'");
    if (!up) return tl::unexpected(up.error());
    SLUICE_TRY(up->bind(1, id).run());
    auto st2 = m_db->prepare(
        "UPDATE stages SET status = 'interrupted', reason = 'sluice was killed while this stage ran' "
        "WHERE run_id = ?1 AND status = 'running'");
    if (!st2) return tl::unexpected(st2.error());
    SLUICE_TRY(st2->bind(1, id).run());
  }
  return static_cast<int>(dead.size());
}

Expected<void> SqliteStateStore::heartbeat(const std::string& run_id, int64_t now_ms) {
  if (!m_heartbeat) {
    auto st = m_db->prepare("UPDATE runs SET heartbeat_ms = ?2 WHERE id = ?1");
    if (!st) return tl::unexpected(st.error());
    m_heartbeat.emplace(std::move(*st));
  }
  m_heartbeat->reset();
  return m_heartbeat->bind(1, run_id).bind(2, now_ms).run();
}

Expected<std::vector<LeftoverGroup>> SqliteStateStore::leftover_groups() {
  auto st = m_db->prepare(
      "SELECT s.run_id, s.name, s.pgid, s.pgid_start, r.boot_id FROM stages s JOIN runs r ON r.id = s.run_id "
      "WHERE s.pgid IS NOT NULL AND r.status != 'running' ORDER BY r.seq, s.idx");
  if (!st) return tl::unexpected(st.error());
  std::vector<LeftoverGroup> out;
  for (;;) {
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    LeftoverGroup g{st->column_text(0), st->column_text(1), st->column_int(2), std::nullopt,
                    st->column_is_null(4) ? std::string() : st->column_text(4)};
    if (!st->column_is_null(3)) g.pgid_start = st->column_int(3);
    out.push_back(std::move(g));
  }
  return out;
}

Expected<void> SqliteStateStore::forget_group(const std::string& run_id, const std::string& stage) {
  auto st = m_db->prepare("UPDATE stages SET pgid = NULL, pgid_start = NULL WHERE run_id = ?1 AND name = ?2");
  if (!st) return tl::unexpected(st.error());
  return st->bind(1, run_id).bind(2, stage).run();
}

Expected<RunRecord> SqliteStateStore::begin_run(const std::string& pipeline, int jobs, int64_t pid, int64_t now_ms,
                                          const std::string& options) {
  SLUICE_TRY(mark_dead_runs_interrupted(now_ms));
  RunRecord rec;
  auto r = m_db->transaction([&]() -> Expected<void> {
    auto seq = m_db->prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM runs");
    if (!seq) return tl::unexpected(seq.error());
    SLUICE_TRY(seq->step());
    rec = new_run_record(seq->column_int(0), pipeline, jobs, pid, now_ms, options);
    auto ins = m_db->prepare(
        "INSERT INTO runs (id, seq, pipeline, status, pid, jobs, started_ms, options, boot_id, pid_start, pid_ns, "
        "heartbeat_ms) VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?6)");
    if (!ins) return tl::unexpected(ins.error());
    ins->bind(1, rec.id).bind(2, rec.seq).bind(3, pipeline).bind(4, pid).bind(5, jobs).bind(6, now_ms).bind(7, options);
    ins->bind(8, rec.boot_id).bind(10, rec.pid_ns);
    if (rec.pid_start) ins->bind(9, *rec.pid_start); else ins->bind_null(9);
    return ins->run();
  });
  if (!r) return tl::unexpected(r.error());
  return rec;
}

Expected<void> SqliteStateStore::begin_transaction() { return m_db->exec("BEGIN IMMEDIATE"); }

Expected<void> SqliteStateStore::commit_transaction() {
  if (auto c = m_db->exec("COMMIT"); !c) {
    (void)m_db->exec("ROLLBACK");
    return c;
  }
  return {};
}

Expected<void> SqliteStateStore::transaction(const std::function<Expected<void>()>& body) {
  return m_db->transaction(body);
}

Expected<void> SqliteStateStore::finish_run(const std::string& run_id, RunStatus status, int64_t ended_ms,
                                      int64_t duration_ms) {
  auto st = m_db->prepare("UPDATE runs SET status = ?2, ended_ms = ?3, duration_ms = ?4 WHERE id = ?1");
  if (!st) return tl::unexpected(st.error());
  return st->bind(1, run_id).bind(2, to_string(status)).bind(3, ended_ms).bind(4, duration_ms).run();
}

namespace {
Expected<void> insert_stage(Statement& st, const StageRecord& s) {
  st.reset();
  st.bind(1, s.run_id).bind(2, s.name).bind(3, s.index).bind(4, s.kind).bind(5, to_string(s.status));
  if (s.exit_code) st.bind(6, *s.exit_code); else st.bind_null(6);
  st.bind(7, s.attempts);
  if (s.started_ms) st.bind(8, *s.started_ms); else st.bind_null(8);
  if (s.ended_ms) st.bind(9, *s.ended_ms); else st.bind_null(9);
  if (s.duration_ms) st.bind(10, *s.duration_ms); else st.bind_null(10);
  st.bind(11, s.cache_hit ? 1 : 0).bind(12, s.cache_key).bind(13, s.log_path).bind(14, s.reason).bind(15, s.needs)
      .bind(16, s.details);
  if (s.pgid) st.bind(17, *s.pgid); else st.bind_null(17);
  if (s.pgid_start) st.bind(18, *s.pgid_start); else st.bind_null(18);
  return st.run();
}
constexpr const char* k_put_stage =
    "INSERT OR REPLACE INTO stages (run_id, name, idx, kind, status, exit_code, attempts, started_ms, ended_ms, "
    "duration_ms, cache_hit, cache_key, log_path, reason, needs, details, pgid, pgid_start) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
}  // namespace

Expected<void> SqliteStateStore::put_stage(const StageRecord& stage) {
  if (!m_put_stage) {
    auto st = m_db->prepare(k_put_stage);
    if (!st) return tl::unexpected(st.error());
    m_put_stage.emplace(std::move(*st));
  }
  return insert_stage(*m_put_stage, stage);
}

Expected<void> SqliteStateStore::put_stages(const std::vector<StageRecord>& stages) {
  return m_db->transaction([&]() -> Expected<void> {
    auto st = m_db->prepare(k_put_stage);
    if (!st) return tl::unexpected(st.error());
    for (const auto& s : stages) SLUICE_TRY(insert_stage(*st, s));
    return {};
  });
}

Expected<std::vector<RunRecord>> SqliteStateStore::list_runs(int limit) {
  auto st = m_db->prepare(fmt::format("SELECT {} FROM runs ORDER BY seq DESC LIMIT ?1", k_run_cols));
  if (!st) return tl::unexpected(st.error());
  st->bind(1, limit);
  std::vector<RunRecord> out;
  for (;;) {
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_run_judged(*st));
  }
  return out;
}

Expected<std::optional<RunRecord>> SqliteStateStore::find_run(const std::string& selector) {
  std::string sql;
  if (selector.empty() || selector == "last") {
    sql = fmt::format("SELECT {} FROM runs ORDER BY seq DESC LIMIT 1", k_run_cols);
  } else if (selector.find_first_not_of("0123456789") == std::string::npos && selector.size() < 10) {
    sql = fmt::format("SELECT {} FROM runs WHERE seq = ?1", k_run_cols);
  } else {
    sql = fmt::format("SELECT {} FROM runs WHERE id = ?1 OR id LIKE ?1 || '%' ORDER BY seq DESC", k_run_cols);
  }
  auto st = m_db->prepare(sql);
  if (!st) return tl::unexpected(st.error());
  if (sql.find("?1") != std::string::npos) st->bind(1, selector);
  auto row = st->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<RunRecord>{};
  RunRecord rec = read_run_judged(*st);
  auto more = st->step();
  if (more && *more) {
    return make_error(ErrorCode::invalid_input, fmt::format("run selector \"{}\" is ambiguous", selector));
  }
  return std::optional<RunRecord>(std::move(rec));
}

Expected<std::vector<StageRecord>> SqliteStateStore::stages_of(const std::string& run_id) {
  auto st = m_db->prepare(
      "SELECT run_id, name, idx, kind, status, exit_code, attempts, started_ms, ended_ms, duration_ms, cache_hit, "
      "cache_key, log_path, reason, needs, details, pgid, pgid_start FROM stages WHERE run_id = ?1 ORDER BY idx");
  if (!st) return tl::unexpected(st.error());
  st->bind(1, run_id);
  std::vector<StageRecord> out;
  for (;;) {
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    StageRecord s;
    s.run_id = st->column_text(0);
    s.name = st->column_text(1);
    s.index = static_cast<int>(st->column_int(2));
    s.kind = st->column_text(3);
    s.status = stage_status_from(st->column_text(4)).value_or(StageStatus::failed);
    if (!st->column_is_null(5)) s.exit_code = static_cast<int>(st->column_int(5));
    s.attempts = static_cast<int>(st->column_int(6));
    if (!st->column_is_null(7)) s.started_ms = st->column_int(7);
    if (!st->column_is_null(8)) s.ended_ms = st->column_int(8);
    if (!st->column_is_null(9)) s.duration_ms = st->column_int(9);
    s.cache_hit = st->column_int(10) != 0;
    if (!st->column_is_null(11)) s.cache_key = st->column_text(11);
    if (!st->column_is_null(12)) s.log_path = st->column_text(12);
    if (!st->column_is_null(13)) s.reason = st->column_text(13);
    s.needs = st->column_text(14);
    if (!st->column_is_null(15)) s.details = st->column_text(15);
    if (!st->column_is_null(16)) s.pgid = st->column_int(16);
    if (!st->column_is_null(17)) s.pgid_start = st->column_int(17);
    out.push_back(std::move(s));
  }
  return out;
}

Expected<std::optional<CacheEntry>> SqliteStateStore::cache_lookup(const std::string& key, int64_t now_ms) {
  if (!m_cache_get) {
    auto st = m_db->prepare(
        "SELECT key, stage, outputs, created_ms, last_used_ms, duration_ms FROM step_cache WHERE key = ?1");
    if (!st) return tl::unexpected(st.error());
    m_cache_get.emplace(std::move(*st));
    auto up = m_db->prepare("UPDATE step_cache SET last_used_ms = ?2 WHERE key = ?1");
    if (!up) return tl::unexpected(up.error());
    m_cache_touch.emplace(std::move(*up));
  }
  Statement& st = *m_cache_get;
  st.reset();
  st.bind(1, key);
  auto row = st.step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<CacheEntry>{};
  CacheEntry e{st.column_text(0), st.column_text(1), st.column_text(2),
               st.column_int(3),  st.column_int(4),  st.column_int(5)};
  st.reset();
  if (now_ms <= 0) return std::optional<CacheEntry>(std::move(e));
  m_cache_touch->reset();
  SLUICE_TRY(m_cache_touch->bind(1, key).bind(2, now_ms).run());
  return std::optional<CacheEntry>(std::move(e));
}

Expected<void> SqliteStateStore::cache_put(const CacheEntry& e) {
  if (!m_cache_put) {
    auto st = m_db->prepare(
        "INSERT OR REPLACE INTO step_cache (key, stage, outputs, created_ms, last_used_ms, duration_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st) return tl::unexpected(st.error());
    m_cache_put.emplace(std::move(*st));
  }
  m_cache_put->reset();
  return m_cache_put->bind(1, e.key).bind(2, e.stage).bind(3, e.outputs_json).bind(4, e.created_ms)
      .bind(5, e.last_used_ms).bind(6, e.duration_ms).run();
}

Expected<std::vector<CacheIndexRow>> SqliteStateStore::cache_index() {
  auto q = m_db->prepare("SELECT key, last_used_ms, outputs FROM step_cache");
  if (!q) return tl::unexpected(q.error());
  std::vector<CacheIndexRow> out;
  for (;;) {
    auto row = q->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back({q->column_text(0), q->column_int(1), q->column_text(2), true});
  }
  return out;
}

Expected<std::vector<std::pair<std::string, std::string>>> SqliteStateStore::stage_cache_keys() {
  auto q = m_db->prepare("SELECT run_id, cache_key FROM stages WHERE cache_key IS NOT NULL");
  if (!q) return tl::unexpected(q.error());
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    auto row = q->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.emplace_back(q->column_text(0), q->column_text(1));
  }
  return out;
}

namespace {
Expected<void> delete_each(Database& db, const char* sql, const std::vector<std::string>& keys) {
  if (keys.empty()) return {};
  auto st = db.prepare(sql);
  if (!st) return tl::unexpected(st.error());
  for (const auto& k : keys) {
    st->reset();
    SLUICE_TRY(st->bind(1, k).run());
  }
  return {};
}
}  // namespace

Expected<void> SqliteStateStore::delete_cache_entries(const std::vector<std::string>& keys) {
  return delete_each(*m_db, "DELETE FROM step_cache WHERE key = ?1", keys);
}

Expected<void> SqliteStateStore::delete_runs(const std::vector<std::string>& ids) {
  SLUICE_TRY(delete_each(*m_db, "DELETE FROM stages WHERE run_id = ?1", ids));
  return delete_each(*m_db, "DELETE FROM runs WHERE id = ?1", ids);
}

Expected<std::unordered_map<std::string, FileStat>> StateStore::load_file_stats() {
  auto st = m_db->prepare("SELECT path, size, mtime_ns, ctime_ns, inode, sha256 FROM file_stats");
  if (!st) return tl::unexpected(st.error());
  std::unordered_map<std::string, FileStat> out;
  for (;;) {
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.emplace(st->column_text(0), FileStat{st->column_int(1), st->column_int(2), st->column_int(3),
                                             st->column_int(4), st->column_text(5)});
  }
  return out;
}

Expected<void> StateStore::save_file_stats(const std::unordered_map<std::string, FileStat>& changed) {
  if (changed.empty()) return {};
  return m_db->transaction([&]() -> Expected<void> {
    auto st = m_db->prepare(
        "INSERT OR REPLACE INTO file_stats (path, size, mtime_ns, ctime_ns, inode, sha256) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st) return tl::unexpected(st.error());
    for (const auto& [path, fs] : changed) {
      st->reset();
      st->bind(1, path).bind(2, fs.size).bind(3, fs.mtime_ns).bind(4, fs.ctime_ns).bind(5, fs.inode).bind(6, fs.sha256);
      SLUICE_TRY(st->run());
    }
    return {};
  });
}

}  // namespace sluice::store
