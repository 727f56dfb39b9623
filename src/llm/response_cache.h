#pragma once
// The response cache in the state database (table llm_response_cache): a completion keyed by a
// hash of provider kind, base URL, model, every request parameter and the redacted prompt.
// Never holds the API key (it is not part of the request). Thread-safety: as store::Database.

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "llm/provider.h"
#include "store/database.h"

namespace sluice::llm {

struct CachedResponse {
  std::string text;
  std::string model;
  std::string finish_reason;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double cost_usd = 0;  // what the original call cost
};

struct CacheStats {
  int64_t entries = 0;
  int64_t bytes = 0;      // response text
  int64_t hits = 0;       // over all entries' lifetime
  double saved_usd = 0;   // sum of cost_usd * hits
  int64_t oldest_used_ms = 0;
  int64_t newest_used_ms = 0;
};

[[nodiscard]] std::string response_cache_key(ProviderKind kind, std::string_view base_url, const LlmRequest& request);

// Where response-cache entries live: the workspace's SQLite table (ResponseCache) or the shared
// PostgreSQL one (PgResponseCache, llm/response_cache_pg.h). Thread-safety: as the connection
// beneath (one thread at a time).
class ResponseStore {
 public:
  virtual ~ResponseStore() = default;
  // A hit also bumps hits and last_used_ms.
  [[nodiscard]] virtual Expected<std::optional<CachedResponse>> lookup(const std::string& key, int64_t now_ms) = 0;
  // Inserts or replaces the entry of `key` (hits start at 0).
  [[nodiscard]] virtual Expected<void> put(const std::string& key, ProviderKind kind, std::string_view base_url,
                                           const CachedResponse& response, int64_t now_ms) = 0;
  [[nodiscard]] virtual Expected<CacheStats> stats() = 0;
  // Deletes entries last used before `cutoff_ms`; returns how many.
  [[nodiscard]] virtual Expected<int64_t> prune_older_than(int64_t cutoff_ms) = 0;
};

// The workspace's table llm_response_cache (state.db).
class ResponseCache final : public ResponseStore {
 public:
  explicit ResponseCache(store::Database& db) : m_db(db) {}
  [[nodiscard]] Expected<std::optional<CachedResponse>> lookup(const std::string& key, int64_t now_ms) override;
  [[nodiscard]] Expected<void> put(const std::string& key, ProviderKind kind, std::string_view base_url,
                                   const CachedResponse& response, int64_t now_ms) override;
  [[nodiscard]] Expected<CacheStats> stats() override;
  [[nodiscard]] Expected<int64_t> prune_older_than(int64_t cutoff_ms) override;

 private:
  store::Database& m_db;
};

}  // namespace sluice::llm
