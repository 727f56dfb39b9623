#include "llm/response_cache_pg.h"

#include <fmt/format.h>

#include <cstdlib>

namespace sluice::llm {

Expected<std::unique_ptr<PgResponseCache>> PgResponseCache::connect(const std::string& url) {
  auto c = store::PgConnection::connect(url);
  if (!c) return tl::unexpected(c.error());
  store::PgConnection* raw = c->get();
  auto cache = std::make_unique<PgResponseCache>([raw]() -> Expected<store::PgConnection*> { return raw; });
  cache->m_owned = std::move(*c);
  return cache;
}

Expected<std::optional<CachedResponse>> PgResponseCache::lookup(const std::string& key, int64_t now_ms) {
  auto c = m_connect();
  SLUICE_TRY(c);
  // cost_usd as text with every digit: the same double comes back that went in.
  auto r = (*c)->query(
      "UPDATE llm_response_cache SET hits = hits + 1, last_used_ms = $2 WHERE key = $1 "
      "RETURNING response, model, finish_reason, tokens_in, tokens_out, cost_usd::text",
      {key, std::to_string(now_ms)});
  SLUICE_TRY(r);
  if (r->empty()) return std::optional<CachedResponse>();
  return std::optional<CachedResponse>(CachedResponse{r->text(0, 0), r->text(0, 1), r->text(0, 2), r->integer(0, 3),
                                                      r->integer(0, 4), std::strtod(r->text(0, 5).c_str(), nullptr)});
}

Expected<void> PgResponseCache::put(const std::string& key, ProviderKind kind, std::string_view base_url,
                                    const CachedResponse& e, int64_t now_ms) {
  auto c = m_connect();
  SLUICE_TRY(c);
  return (*c)
      ->query("INSERT INTO llm_response_cache (key, provider_kind, base_url, model, response, finish_reason, "
              "tokens_in, tokens_out, cost_usd, created_ms, last_used_ms, hits) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0) "
              "ON CONFLICT (key) DO UPDATE SET provider_kind = EXCLUDED.provider_kind, base_url = EXCLUDED.base_url, "
              "model = EXCLUDED.model, response = EXCLUDED.response, finish_reason = EXCLUDED.finish_reason, "
              "tokens_in = EXCLUDED.tokens_in, tokens_out = EXCLUDED.tokens_out, cost_usd = EXCLUDED.cost_usd, "
              "created_ms = EXCLUDED.created_ms, last_used_ms = EXCLUDED.last_used_ms, hits = 0",
              {key, std::string(to_string(kind)), std::string(base_url), e.model, e.text, e.finish_reason,
               std::to_string(e.tokens_in), std::to_string(e.tokens_out), fmt::format("{}", e.cost_usd),
               std::to_string(now_ms)})
      .map([](store::PgRows) {});
}

Expected<CacheStats> PgResponseCache::stats() {
  auto c = m_connect();
  SLUICE_TRY(c);
  auto r = (*c)->query(
      "SELECT COUNT(*), COALESCE(SUM(octet_length(response)), 0), COALESCE(SUM(hits), 0), "
      "COALESCE(SUM(cost_usd * hits), 0)::text, COALESCE(MIN(last_used_ms), 0), COALESCE(MAX(last_used_ms), 0) "
      "FROM llm_response_cache");
  SLUICE_TRY(r);
  return CacheStats{r->integer(0, 0), r->integer(0, 1), r->integer(0, 2), std::strtod(r->text(0, 3).c_str(), nullptr),
                    r->integer(0, 4), r->integer(0, 5)};
}

Expected<int64_t> PgResponseCache::prune_older_than(int64_t cutoff_ms) {
  auto c = m_connect();
  SLUICE_TRY(c);
  auto r = (*c)->query("WITH d AS (DELETE FROM llm_response_cache WHERE last_used_ms < $1 RETURNING 1) "
                       "SELECT COUNT(*) FROM d",
                       {std::to_string(cutoff_ms)});
  SLUICE_TRY(r);
  return r->integer(0, 0);
}

}  // namespace sluice::llm
