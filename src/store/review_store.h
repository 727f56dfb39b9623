#pragma once
// The review part of the state database (docs/review.md): approval requests of gated stages,
// the bytes of the files they cover, and the append-only, hash-chained event table.
//
// The chain: each event row stores prev_hash (the row_hash of the row before it; 64 zeros for
// the first) and row_hash = SHA-256 over its own fields and prev_hash (event_row_hash()).
// review_chain_head holds the last id and hash, written in the same transaction, so a deleted
// last row is found too. verify_chain() checks all of it.
//
// Thread-safety: as the Database it borrows (one thread at a time).

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

class ReviewStore {
 public:
  explicit ReviewStore(Database& db) : m_db(db) {}

  // Inserts or replaces the request of (run, stage), and marks the pending requests of the same
  // stage in other runs with another hash `outdated` (they can no longer be approved). Returns
  // how many it marked.
  [[nodiscard]] Expected<int> put_request(const ReviewRequest& r);
  [[nodiscard]] Expected<std::optional<ReviewRequest>> request(const std::string& run_id,
                                                               const std::string& stage);
  // Newest first; `run_id` empty: every run.
  [[nodiscard]] Expected<std::vector<ReviewRequest>> requests(const std::string& run_id);
  // The newest approved request of `stage` whose hash is not `hash` (what a reviewer saw last).
  [[nodiscard]] Expected<std::optional<ReviewRequest>> last_approved_other(const std::string& stage,
                                                                           const std::string& hash);
  // Sets the state of every pending or approved request of a content hash: a decision holds for
  // the content, whichever run and gate produced it. Outdated requests stay outdated.
  [[nodiscard]] Expected<void> set_state(const std::string& hash, ReviewState s);

  // Appends one event in its own IMMEDIATE transaction (the chain link needs the last row).
  [[nodiscard]] Expected<ReviewEvent> append_event(ReviewEvent e);
  // In id order; `run_id` empty: all.
  [[nodiscard]] Expected<std::vector<ReviewEvent>> events(const std::string& run_id);
  // The approved, rejected and timed_out events of a content hash, in id order: a decision is
  // about the content, so it holds for every gate over the same bytes.
  [[nodiscard]] Expected<std::vector<ReviewEvent>> decisions(const std::string& hash);
  [[nodiscard]] Expected<std::optional<std::pair<int64_t, std::string>>> chain_head();

  [[nodiscard]] Expected<void> put_blob(const std::string& sha256, std::string_view content);
  [[nodiscard]] Expected<std::optional<std::string>> blob(const std::string& sha256);

 private:
  Database& m_db;
};

}  // namespace sluice::store
