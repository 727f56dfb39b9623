#include "llm/response_cache.h"

#include <fmt/format.h>

#include "base/hash.h"

namespace sluice::llm {

std::string response_cache_key(ProviderKind kind, std::string_view base_url, const LlmRequest& r) {
  base::Sha256 h;
  h.update_field("sluice-llm-response-v1");
  h.update_field(to_string(kind));
  h.update_field(base_url);
  h.update_field(r.model);
  h.update_field(r.system);
  h.update_field(r.prompt);
  h.update_field(std::to_string(r.max_output_tokens));
  h.update_field(fmt::format("{}", r.temperature));
  h.update_field(r.top_p ? fmt::format("{}", *r.top_p) : "-");
  h.update_field(std::to_string(r.stop.size()));
  for (const auto& s : r.stop) h.update_field(s);
  // Only when set, so entries stored before these existed keep their keys.
  if (r.sample > 0) h.update_field(fmt::format("sample:{}", r.sample));
  if (!r.schema_json.empty()) h.update_field("schema:" + base::sha256_hex(r.schema_json));
  return h.hex_digest();
}

Expected<std::optional<CachedResponse>> ResponseCache::lookup(const std::string& key, int64_t now_ms) {
  auto q = m_db.prepare(
      "UPDATE llm_response_cache SET hits = hits + 1, last_used_ms = ?2 WHERE key = ?1 "
      "RETURNING response, model, finish_reason, tokens_in, tokens_out, cost_usd");
  if (!q) return tl::unexpected(q.error());
  q->bind(1, key).bind(2, now_ms);
  auto row = q->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<CachedResponse>();
  CachedResponse c{q->column_text(0), q->column_text(1), q->column_text(2), q->column_int(3), q->column_int(4),
                   q->column_double(5)};
  // RETURNING rows are produced before the UPDATE commits; finish the statement.
  while (true) {
    auto more = q->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
  }
  return std::optional<CachedResponse>(std::move(c));
}

Expected<void> ResponseCache::put(const std::string& key, ProviderKind kind, std::string_view base_url,
                                  const CachedResponse& c, int64_t now_ms) {
  auto q = m_db.prepare(
      "INSERT OR REPLACE INTO llm_response_cache (key, provider_kind, base_url, model, response, finish_reason, "
      "tokens_in, tokens_out, cost_usd, created_ms, last_used_ms, hits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)");
  if (!q) return tl::unexpected(q.error());
  q->bind(1, key).bind(2, to_string(kind)).bind(3, base_url).bind(4, c.model).bind(5, c.text).bind(6, c.finish_reason)
      .bind(7, c.tokens_in).bind(8, c.tokens_out).bind(9, c.cost_usd).bind(10, now_ms).bind(11, now_ms);
  return q->run();
}

Expected<CacheStats> ResponseCache::stats() {
  auto q = m_db.prepare(
      "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(response AS BLOB))), 0), COALESCE(SUM(hits), 0), "
      "COALESCE(SUM(cost_usd * hits), 0), COALESCE(MIN(last_used_ms), 0), COALESCE(MAX(last_used_ms), 0) "
      "FROM llm_response_cache");
  if (!q) return tl::unexpected(q.error());
  auto row = q->step();
  if (!row) return tl::unexpected(row.error());
  return CacheStats{q->column_int(0), q->column_int(1), q->column_int(2), q->column_double(3), q->column_int(4),
                    q->column_int(5)};
}

Expected<int64_t> ResponseCache::prune_older_than(int64_t cutoff_ms) {
  auto q = m_db.prepare("DELETE FROM llm_response_cache WHERE last_used_ms < ?");
  if (!q) return tl::unexpected(q.error());
  q->bind(1, cutoff_ms);
  if (auto ok = q->run(); !ok) return tl::unexpected(ok.error());
  return static_cast<int64_t>(m_db.changes());
}

}  // namespace sluice::llm
