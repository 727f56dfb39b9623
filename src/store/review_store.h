#pragma once
// The review part of the state database (docs/review.md): approval requests of gated stages,
// the bytes of the files they cover, and the append-only, hash-chained event table.
//
// The chain: each event row stores prev_hash (the row_hash of the row before it; 64 zeros for
// the first) and row_hash = SHA-256 over its own fields and prev_hash (event_row_hash()).
// review_chain_head holds the last id and hash, written in the same transaction, so a deleted
// last row is found too. verify_chain() checks all of it.
//
// Thread-safety: one thread at a time per object (as the Database or PgConnection beneath).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/database.h"

namespace sluice::store {

enum class ReviewState { pending, approved, rejected, outdated };
[[nodiscard]] std::string_view to_string(ReviewState s);
[[nodiscard]] std::optional<ReviewState> review_state_from(std::string_view text);

enum class ReviewEventKind { requested, approved, rejected, outdated, timed_out };
[[nodiscard]] std::string_view to_string(ReviewEventKind k);
[[nodiscard]] std::optional<ReviewEventKind> review_event_kind_from(std::string_view text);

struct ReviewRequest {
  std::string run_id;
  std::string stage;
  std::string hash;
  std::string manifest;
  std::string files_json;  // [{"ai_stage","path","mode","sha256"}], manifest order
  std::string why;
  std::string requested_by;
  ReviewState state = ReviewState::pending;
  int64_t created_ms = 0;
};

struct ReviewEvent {
  int64_t id = 0;  // assigned by append_event
  int64_t at_ms = 0;
  ReviewEventKind kind = ReviewEventKind::requested;
  std::string run_id;
  std::string stage;
  std::string hash;
  std::string actor;
  std::string message;
  std::string signature;
  std::string prev_hash;  // assigned by append_event
  std::string row_hash;   // assigned by append_event
};

// SHA-256 (hex) over the event's id, time, kind, run, stage, hash, actor, message, signature
// and prev_hash, each length-prefixed.
[[nodiscard]] std::string event_row_hash(const ReviewEvent& e);

struct ChainProblem {
  int64_t id = 0;  // the row at fault (or the first missing id)
  std::string what;
};
// Problems of a chain read in id order (`events`) against the recorded head; empty when intact.
[[nodiscard]] std::vector<ChainProblem> verify_chain(
    const std::vector<ReviewEvent>& events, std::optional<std::pair<int64_t, std::string>> head);

// The review record: one interface, two backends. SqliteReviewStore keeps it in the workspace's
// state database (per runner); PgReviewStore (store/pg_review_store.h) in the shared PostgreSQL
// state, so an approval given on one machine releases the gate on another runner.
class ReviewStore {
 public:
  virtual ~ReviewStore() = default;

  // Inserts or replaces the request of (run, stage), and marks the pending requests of the same
  // stage in other runs with another hash `outdated` (they can no longer be approved). Returns
  // how many it marked.
  [[nodiscard]] virtual Expected<int> put_request(const ReviewRequest& r) = 0;
  [[nodiscard]] virtual Expected<std::optional<ReviewRequest>> request(const std::string& run_id,
                                                                       const std::string& stage) = 0;
  // Newest first; `run_id` empty: every run.
  [[nodiscard]] virtual Expected<std::vector<ReviewRequest>> requests(const std::string& run_id) = 0;
  // The newest approved request of `stage` whose hash is not `hash` (what a reviewer saw last).
  [[nodiscard]] virtual Expected<std::optional<ReviewRequest>> last_approved_other(
      const std::string& stage, const std::string& hash) = 0;
  // Sets the state of every pending or approved request of a content hash: a decision holds for
  // the content, whichever run and gate produced it. Outdated requests stay outdated.
  [[nodiscard]] virtual Expected<void> set_state(const std::string& hash, ReviewState s) = 0;

  // Appends one event and moves the chain head in one transaction; concurrent appenders (other
  // threads, processes or machines) are serialised, so the chain stays one line. Assigns id,
  // prev_hash and row_hash.
  [[nodiscard]] virtual Expected<ReviewEvent> append_event(ReviewEvent e) = 0;
  // In id order; `run_id` empty: all.
  [[nodiscard]] virtual Expected<std::vector<ReviewEvent>> events(const std::string& run_id) = 0;
  // The approved, rejected and timed_out events of a content hash, in id order: a decision is
  // about the content, so it holds for every gate over the same bytes.
  [[nodiscard]] virtual Expected<std::vector<ReviewEvent>> decisions(const std::string& hash) = 0;
  // The last id and hash; nullopt while the chain is empty.
  [[nodiscard]] virtual Expected<std::optional<std::pair<int64_t, std::string>>> chain_head() = 0;

  [[nodiscard]] virtual Expected<void> put_blob(const std::string& sha256, std::string_view content) = 0;
  [[nodiscard]] virtual Expected<std::optional<std::string>> blob(const std::string& sha256) = 0;

  // Where the record is, for messages: "this workspace" or the masked PostgreSQL URL.
  [[nodiscard]] virtual std::string where() const = 0;
};

// The workspace's SQLite state database (schema v5). Joins the transaction already open on the
// connection (the scheduler's group commit), or opens an IMMEDIATE one of its own.
class SqliteReviewStore final : public ReviewStore {
 public:
  explicit SqliteReviewStore(Database& db) : m_db(db) {}

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
  [[nodiscard]] std::string where() const override { return "this workspace"; }

 private:
  Database& m_db;
};

}  // namespace sluice::store
