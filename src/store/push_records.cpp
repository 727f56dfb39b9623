#include "store/push_records.h"

namespace sluice::store {

Expected<void> record_push(Database& db, const PushRecord& r) {
  auto st = db.prepare(
      "INSERT INTO registry_pushes (registry, repo, tag, digest, pushed_ms, run_id) VALUES (?, ?, ?, ?, ?, ?)");
  if (!st) return tl::unexpected(st.error());
  st->bind(1, r.registry).bind(2, r.repo).bind(3, r.tag).bind(4, r.digest).bind(5, r.pushed_ms);
  if (r.run_id.empty()) {
    st->bind_null(6);
  } else {
    st->bind(6, r.run_id);
  }
  return st->run();
}

Expected<std::map<std::string, int64_t>> push_times(Database& db, const std::string& registry,
                                                    const std::string& repo) {
  // The latest push: a digest pushed again is in use again, and a later time only ever keeps
  // an image longer under an older_than / younger_than rule.
  auto st = db.prepare(
      "SELECT digest, MAX(pushed_ms) FROM registry_pushes WHERE registry = ? AND repo = ? GROUP BY digest");
  if (!st) return tl::unexpected(st.error());
  st->bind(1, registry).bind(2, repo);
  std::map<std::string, int64_t> out;
  for (;;) {
    auto row = st->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out[st->column_text(0)] = st->column_int(1);
  }
  return out;
}

}  // namespace sluice::store
