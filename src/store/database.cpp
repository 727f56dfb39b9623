#include "store/database.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace sluice::store {
namespace {
tl::unexpected<Error> sql_error(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  ErrorCode ec = (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? ErrorCode::integrity : ErrorCode::io;
  return make_error(ec, fmt::format("state database: {}: {}", what, sqlite3_errmsg(db)));
}
}  // namespace

Statement::~Statement() {
  if (m_stmt) sqlite3_finalize(m_stmt);
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(m_stmt, index, value);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_stmt, index);
  return *this;
}
Statement& Statement::bind(int index, const std::optional<std::string>& v) {
  return v ? bind(index, std::string_view(*v)) : bind_null(index);
}

Expected<bool> Statement::step() {
  int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sql_error(m_db, sqlite3_sql(m_stmt) ? sqlite3_sql(m_stmt) : "step");
}

Expected<void> Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return tl::unexpected(r.error());
    if (!*r) break;
  }
  sqlite3_reset(m_stmt);
  return {};
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(m_stmt, col); }
double Statement::column_double(int col) const { return sqlite3_column_double(m_stmt, col); }
std::string Statement::column_text(int col) const {
  const unsigned char* t = sqlite3_column_text(m_stmt, col);
  int n = sqlite3_column_bytes(m_stmt, col);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(n)) : std::string();
}
bool Statement::column_is_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }

Expected<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path,
                                                   const std::vector<Migration>& migrations) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return make_error(ErrorCode::io, fmt::format("{}: cannot open state database: {}", path.string(), msg));
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_busy_timeout(raw, 10'000);
  // Leave checkpointing to SQLite's automatic checkpoints instead of forcing one (two fsyncs and
  // an unlink) at every close: short-lived commands like a fully cached run would pay it each time.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  int persist = 1;
  sqlite3_file_control(raw, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (auto r = db->exec(pragma); !r) {
      return make_error(r.error().code, fmt::format("{}: {}", path.string(), r.error().message));
    }
  }
  if (auto r = db->migrate(migrations); !r) {
    return make_error(r.error().code, fmt::format("{}: {}", path.string(), r.error().message));
  }
  return db;
}

Expected<std::unique_ptr<Database>> Database::open_memory(const std::vector<Migration>& migrations) {
  sqlite3* raw = nullptr;
  if (sqlite3_open(":memory:", &raw) != SQLITE_OK) {
    sqlite3_close(raw);
    return make_error(ErrorCode::io, "cannot open in-memory database");
  }
  std::unique_ptr<Database> db(new Database(raw, ":memory:"));
  if (auto r = db->migrate(migrations); !r) return tl::unexpected(r.error());
  return db;
}

Database::~Database() { sqlite3_close_v2(m_db); }

Expected<void> Database::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(m_db, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    int code = sqlite3_extended_errcode(m_db);
    ErrorCode ec = (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? ErrorCode::integrity : ErrorCode::io;
    return make_error(ec, fmt::format("state database: {}", msg));
  }
  return {};
}

Expected<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return sql_error(m_db, sql);
  }
  return Statement(m_db, stmt);
}

bool Database::in_transaction() const { return sqlite3_get_autocommit(m_db) == 0; }

Expected<void> Database::transaction(const std::function<Expected<void>()>& body) {
  if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
  auto r = body();
  if (!r) {
    (void)exec("ROLLBACK");
    return r;
  }
  if (auto c = exec("COMMIT"); !c) {
    (void)exec("ROLLBACK");
    return c;
  }
  return {};
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }
int Database::changes() const { return sqlite3_changes(m_db); }

Expected<void> Database::migrate(const std::vector<Migration>& migrations) {
  int newest = migrations.empty() ? 0 : migrations.back().version;
  {
    // Fast path without the write lock: an up-to-date database (the common case, and every
    // connection an LLM stage opens during a run) needs no transaction at all.
    auto st = prepare("PRAGMA user_version");
    if (!st) return tl::unexpected(st.error());
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    if (st->column_int(0) == newest) return {};
  }
  // The version is read inside the IMMEDIATE transaction so that several connections opening a
  // new database at once apply each migration exactly once.
  return transaction([&]() -> Expected<void> {
    auto st = prepare("PRAGMA user_version");
    if (!st) return tl::unexpected(st.error());
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    int current = static_cast<int>(st->column_int(0));
    if (current > newest) {
      return make_error(ErrorCode::integrity,
                        fmt::format("schema version {} is newer than this sluice understands ({}); "
                                    "upgrade sluice or remove the .sluice directory",
                                    current, newest));
    }
    for (const Migration& m : migrations) {
      if (m.version <= current) continue;
      if (auto e = exec(m.sql); !e) {
        return make_error(e.error().code,
                          fmt::format("migration to schema version {} failed: {}", m.version, e.error().message));
      }
    }
    if (newest > current) return exec(fmt::format("PRAGMA user_version = {}", newest));
    return {};
  });
}

}  // namespace sluice::store
