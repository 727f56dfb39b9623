#pragma once
// The LLM response cache in the shared PostgreSQL state (table llm_response_cache there,
// docs/scale-out.md): with `state: postgres://...`, a reply one runner paid for answers the same
// redacted request on every other runner. The key and the entry are the SQLite cache's
// (response_cache.h); the API key is never part of either.
//
// Thread-safety: one PgResponseCache per thread (its connection is the caller's, one per thread).

#include <functional>
#include <memory>
#include <string>

#include "llm/response_cache.h"
#include "store/pg.h"

namespace sluice::llm {

class PgResponseCache final : public ResponseStore {
 public:
  // Gets the connection when first needed (the LLM stage's budget ledger shares its own, so a
  // stage holds one connection); errors are that call's errors.
  using Connect = std::function<Expected<store::PgConnection*>()>;
  explicit PgResponseCache(Connect connect) : m_connect(std::move(connect)) {}
  // Connects now (and migrates), owning the connection.
  [[nodiscard]] static Expected<std::unique_ptr<PgResponseCache>> connect(const std::string& url);

  [[nodiscard]] Expected<std::optional<CachedResponse>> lookup(const std::string& key, int64_t now_ms) override;
  [[nodiscard]] Expected<void> put(const std::string& key, ProviderKind kind, std::string_view base_url,
                                   const CachedResponse& response, int64_t now_ms) override;
  [[nodiscard]] Expected<CacheStats> stats() override;
  [[nodiscard]] Expected<int64_t> prune_older_than(int64_t cutoff_ms) override;

 private:
  Connect m_connect;
  std::unique_ptr<store::PgConnection> m_owned;
};

}  // namespace sluice::llm
