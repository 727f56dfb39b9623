#pragma once
// A thin RAII layer over SQLite: one connection, prepared statements, IMMEDIATE transactions,
// and numbered schema migrations. The state database lives at .sluice/state.db in WAL mode so
// every committed transition survives a SIGKILL of the writer.
//
// Thread-safety: a Database (connection) is used by one thread at a time. Open one connection
// per thread that writes; SQLite's locking (busy timeout) serialises them, also across processes.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::store {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
  ~Statement();
  Statement(Statement&& o) noexcept : m_db(o.m_db), m_stmt(o.m_stmt) { o.m_stmt = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // Binds are 1-based, as in SQLite. Return *this for chaining.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<std::string>& v);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }

  // Steps once: true when a row is available, false when done.
  [[nodiscard]] Expected<bool> step();
  // Steps to completion (for INSERT/UPDATE/DELETE).
  [[nodiscard]] Expected<void> run();
  void reset();

  [[nodiscard]] int64_t column_int(int col) const;
  [[nodiscard]] double column_double(int col) const;
  [[nodiscard]] std::string column_text(int col) const;
  [[nodiscard]] bool column_is_null(int col) const;

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt;
};

struct Migration {
  int version;
  const char* sql;
};

class Database {
 public:
  // Opens (creating if needed) the database at `path`, enables WAL, foreign keys and a busy
  // timeout, and applies `migrations` whose version is above the stored user_version, each in
  // its own transaction. A database newer than the migrations known is refused.
  [[nodiscard]] static Expected<std::unique_ptr<Database>> open(const std::filesystem::path& path,
                                                                const std::vector<Migration>& migrations);
  // An in-memory database (tests).
  [[nodiscard]] static Expected<std::unique_ptr<Database>> open_memory(const std::vector<Migration>& migrations);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] Expected<void> exec(std::string_view sql);
  [[nodiscard]] Expected<Statement> prepare(std::string_view sql);
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it returns an error).
  [[nodiscard]] Expected<void> transaction(const std::function<Expected<void>()>& body);
  [[nodiscard]] int64_t last_insert_rowid() const;
  // Whether a transaction is open on this connection (the scheduler's group commit, say).
  [[nodiscard]] bool in_transaction() const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  Database(sqlite3* db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}
  [[nodiscard]] Expected<void> migrate(const std::vector<Migration>& migrations);
  sqlite3* m_db;
  std::filesystem::path m_path;
};

// Every migration sluice knows, in order: the core tables (runs, stages, step cache, file stats)
// and those of the engines that persist state (LLM ledger, response cache, calls).
[[nodiscard]] const std::vector<Migration>& all_migrations();

}  // namespace sluice::store
