#pragma once
// The review record in the shared PostgreSQL state (docs/review.md, docs/scale-out.md): the same
// requests, blobs and hash-chained event log as the SQLite backend (review_store.h), so an
// approval given with `sluice approve` on one machine releases the gate a runner on another
// machine waits on.
//
// The chain stays one line however many runners append at once: append_event locks the chain
// head row (`SELECT ... FOR UPDATE` on review_chain_head, which the migration creates), derives
// the new id and prev_hash from it, inserts the event and moves the head, all in one
// transaction; a concurrent appender waits for the lock and then reads the head just written.
// PL/pgSQL triggers refuse UPDATE, DELETE and TRUNCATE of review_events.
//
// Thread-safety: one PgReviewStore (one connection) per thread.

#include <functional>
#include <memory>
#include <string>

#include "store/pg.h"
#include "store/review_store.h"

namespace sluice::store {

class PgReviewStore final : public ReviewStore {
 public:
  // Connects (and migrates, pg.h) now.
  [[nodiscard]] static Expected<std::unique_ptr<PgReviewStore>> connect(const std::string& url);
  explicit PgReviewStore(std::unique_ptr<PgConnection> c) : m_c(std::move(c)) {}

  [[nodiscard]] Expected<int> put_request(const ReviewRequest& r) override;
  [[nodiscard]] Expected<std::optional<ReviewRequest>> request(const std::string& run_id,
                                                               const std::string& stage) override;
  [[nodiscard]] Expected<std::vector<ReviewRequest>> requests(const std::string& run_id) override;
  [[nodiscard]] Expected<std::optional<ReviewRequest>> last_approved_other(const std::string& stage,
                                                                           const std::string& hash) override;
  [[nodiscard]] Expected<void> set_state(const std::string& hash, ReviewState s) override;
  [[nodiscard]] Expected<ReviewEvent> append_event(ReviewEvent e) override;
  [[nodiscard]] Expected<std::vector<ReviewEvent>> events(const std::string& run_id) override;
  [[nodiscard]] Expected<std::vector<ReviewEvent>> decisions(const std::string& hash) override;
  [[nodiscard]] Expected<std::optional<std::pair<int64_t, std::string>>> chain_head() override;
  [[nodiscard]] Expected<void> put_blob(const std::string& sha256, std::string_view content) override;
  [[nodiscard]] Expected<std::optional<std::string>> blob(const std::string& sha256) override;
  [[nodiscard]] std::string where() const override { return m_c->display(); }

  // The connection, for tests that try to tamper with the log.
  [[nodiscard]] PgConnection& connection() { return *m_c; }

 private:
  // Runs `body` between BEGIN and COMMIT (ROLLBACK on error), retrying deadlocks and
  // serialisation failures.
  [[nodiscard]] Expected<void> transaction(const std::function<Expected<void>()>& body);
  std::unique_ptr<PgConnection> m_c;
};

}  // namespace sluice::store
