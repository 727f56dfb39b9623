#include "store/review_store.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "base/hash.h"

namespace sluice::store {
namespace {

constexpr std::array<std::pair<ReviewState, std::string_view>, 4> k_states{{
    {ReviewState::pending, "pending"},
    {ReviewState::approved, "approved"},
    {ReviewState::rejected, "rejected"},
    {ReviewState::outdated, "outdated"},
}};
constexpr std::array<std::pair<ReviewEventKind, std::string_view>, 5> k_kinds{{
    {ReviewEventKind::requested, "requested"},
    {ReviewEventKind::approved, "approved"},
    {ReviewEventKind::rejected, "rejected"},
    {ReviewEventKind::outdated, "outdated"},
    {ReviewEventKind::timed_out, "timed_out"},
}};
const std::string k_genesis(64, '0');

// Runs `body` in the transaction already open on the connection (the scheduler's group), or
// in an IMMEDIATE one of its own.
Expected<void> in_transaction(Database& db, const std::function<Expected<void>()>& body) {
  return db.in_transaction() ? body() : db.transaction(body);
}

constexpr const char* k_request_columns =
    "run_id, stage, hash, manifest, files, why, requested_by, state, created_ms";

ReviewRequest read_request(const Statement& st) {
  ReviewRequest r;
  r.run_id = st.column_text(0);
  r.stage = st.column_text(1);
  r.hash = st.column_text(2);
  r.manifest = st.column_text(3);
  r.files_json = st.column_text(4);
  r.why = st.column_text(5);
  r.requested_by = st.column_text(6);
  r.state = review_state_from(st.column_text(7)).value_or(ReviewState::pending);
  r.created_ms = st.column_int(8);
  return r;
}

Expected<std::vector<ReviewRequest>> read_requests(Statement& st) {
  std::vector<ReviewRequest> out;
  while (true) {
    auto row = st.step();
    SLUICE_TRY(row);
    if (!*row) break;
    out.push_back(read_request(st));
  }
  return out;
}

constexpr const char* k_event_columns =
    "id, at_ms, kind, run_id, stage, hash, actor, message, signature, prev_hash, row_hash";

Expected<std::vector<ReviewEvent>> read_events(Statement& st) {
  std::vector<ReviewEvent> out;
  while (true) {
    auto row = st.step();
    SLUICE_TRY(row);
    if (!*row) break;
    ReviewEvent e;
    e.id = st.column_int(0);
    e.at_ms = st.column_int(1);
    // An unknown kind is kept as "requested" for reading, but its hash no longer matches.
    e.kind = review_event_kind_from(st.column_text(2)).value_or(ReviewEventKind::requested);
    e.run_id = st.column_text(3);
    e.stage = st.column_text(4);
    e.hash = st.column_text(5);
    e.actor = st.column_text(6);
    e.message = st.column_text(7);
    e.signature = st.column_text(8);
    e.prev_hash = st.column_text(9);
    e.row_hash = st.column_text(10);
    if (!review_event_kind_from(st.column_text(2)))
      e.row_hash = "unknown kind " + st.column_text(2);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::string_view to_string(ReviewState s) {
  for (const auto& [v, n] : k_states) {
    if (v == s) return n;
  }
  return "pending";
}
std::optional<ReviewState> review_state_from(std::string_view text) {
  for (const auto& [v, n] : k_states) {
    if (n == text) return v;
  }
  return std::nullopt;
}
std::string_view to_string(ReviewEventKind k) {
  for (const auto& [v, n] : k_kinds) {
    if (v == k) return n;
  }
  return "requested";
}
std::optional<ReviewEventKind> review_event_kind_from(std::string_view text) {
  for (const auto& [v, n] : k_kinds) {
    if (n == text) return v;
  }
  return std::nullopt;
}

std::string event_row_hash(const ReviewEvent& e) {
  base::Sha256 h;
  h.update_field("sluice-review-event-v1");
  h.update_field(std::to_string(e.id));
  h.update_field(std::to_string(e.at_ms));
  h.update_field(to_string(e.kind));
  h.update_field(e.run_id);
  h.update_field(e.stage);
  h.update_field(e.hash);
  h.update_field(e.actor);
  h.update_field(e.message);
  h.update_field(e.signature);
  h.update_field(e.prev_hash);
  return h.hex_digest();
}

std::vector<ChainProblem> verify_chain(const std::vector<ReviewEvent>& events,
                                       std::optional<std::pair<int64_t, std::string>> head) {
  std::vector<ChainProblem> out;
  std::string prev = k_genesis;
  int64_t prev_id = 0;
  for (const auto& e : events) {
    // AUTOINCREMENT never reuses an id: a gap is a deleted row.
    if (e.id != prev_id + 1) {
      out.push_back(
          {prev_id + 1, fmt::format("rows {}..{} are missing (deleted)", prev_id + 1, e.id - 1)});
    }
    if (e.prev_hash != prev) {
      out.push_back({e.id,
                     "its prev_hash does not match the row before it (a row before it was edited "
                     "or deleted)"});
    }
    if (event_row_hash(e) != e.row_hash) {
      out.push_back({e.id, "its contents do not match its row_hash (the row was edited)"});
    }
    prev = e.row_hash;
    prev_id = e.id;
  }
  if (head) {
    if (head->first != prev_id) {
      out.push_back(
          {head->first, fmt::format("the chain head names row {} but the last row is {} (rows were "
                                    "deleted or the head was edited)",
                                    head->first, prev_id)});
    } else if (head->second != prev) {
      out.push_back({prev_id, "the chain head's hash does not match the last row"});
    }
  } else if (!events.empty()) {
    out.push_back({prev_id, "the chain head is missing"});
  }
  return out;
}

Expected<int> SqliteReviewStore::put_request(const ReviewRequest& r) {
  int marked = 0;
  auto body = [&]() -> Expected<void> {
    auto ins = m_db.prepare(
        fmt::format("INSERT OR REPLACE INTO review_requests ({}) VALUES (?,?,?,?,?,?,?,?,?)",
                    k_request_columns));
    SLUICE_TRY(ins);
    ins->bind(1, r.run_id)
        .bind(2, r.stage)
        .bind(3, r.hash)
        .bind(4, r.manifest)
        .bind(5, r.files_json);
    ins->bind(6, r.why).bind(7, r.requested_by).bind(8, to_string(r.state)).bind(9, r.created_ms);
    SLUICE_TRY(ins->run());
    auto up = m_db.prepare(
        "UPDATE review_requests SET state = 'outdated' WHERE stage = ? AND hash <> ? AND state = "
        "'pending'");
    SLUICE_TRY(up);
    up->bind(1, r.stage).bind(2, r.hash);
    SLUICE_TRY(up->run());
    marked = m_db.changes();
    return {};
  };
  SLUICE_TRY(in_transaction(m_db, body));
  return marked;
}

Expected<std::optional<ReviewRequest>> SqliteReviewStore::request(const std::string& run_id,
                                                            const std::string& stage) {
  auto st = m_db.prepare(fmt::format(
      "SELECT {} FROM review_requests WHERE run_id = ? AND stage = ?", k_request_columns));
  SLUICE_TRY(st);
  st->bind(1, run_id).bind(2, stage);
  auto rows = read_requests(*st);
  SLUICE_TRY(rows);
  if (rows->empty()) return std::optional<ReviewRequest>();
  return std::optional<ReviewRequest>(std::move(rows->front()));
}

Expected<std::vector<ReviewRequest>> SqliteReviewStore::requests(const std::string& run_id) {
  auto st =
      m_db.prepare(fmt::format("SELECT {} FROM review_requests WHERE (?1 = '' OR run_id = ?1) "
                               "ORDER BY created_ms DESC, run_id DESC, stage",
                               k_request_columns));
  SLUICE_TRY(st);
  st->bind(1, run_id);
  return read_requests(*st);
}

Expected<std::optional<ReviewRequest>> SqliteReviewStore::last_approved_other(const std::string& stage,
                                                                        const std::string& hash) {
  auto st =
      m_db.prepare(fmt::format("SELECT {} FROM review_requests WHERE stage = ? AND hash <> ? AND "
                               "state = 'approved' ORDER BY created_ms DESC LIMIT 1",
                               k_request_columns));
  SLUICE_TRY(st);
  st->bind(1, stage).bind(2, hash);
  auto rows = read_requests(*st);
  SLUICE_TRY(rows);
  if (rows->empty()) return std::optional<ReviewRequest>();
  return std::optional<ReviewRequest>(std::move(rows->front()));
}

Expected<void> SqliteReviewStore::set_state(const std::string& hash, ReviewState s) {
  return in_transaction(m_db, [&]() -> Expected<void> {
    auto st =
        m_db.prepare("UPDATE review_requests SET state = ? WHERE hash = ? AND state <> 'outdated'");
    SLUICE_TRY(st);
    st->bind(1, to_string(s)).bind(2, hash);
    return st->run();
  });
}

Expected<ReviewEvent> SqliteReviewStore::append_event(ReviewEvent e) {
  auto body = [&]() -> Expected<void> {
    auto head = chain_head();
    SLUICE_TRY(head);
    // The next id is AUTOINCREMENT's; read it so the hash can cover it before the insert.
    auto seq = m_db.prepare(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'review_events'), 0)");
    SLUICE_TRY(seq);
    auto row = seq->step();
    SLUICE_TRY(row);
    e.id = seq->column_int(0) + 1;
    e.prev_hash = *head ? (*head)->second : k_genesis;
    e.row_hash = event_row_hash(e);
    auto ins = m_db.prepare(fmt::format(
        "INSERT INTO review_events ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", k_event_columns));
    SLUICE_TRY(ins);
    ins->bind(1, e.id)
        .bind(2, e.at_ms)
        .bind(3, to_string(e.kind))
        .bind(4, e.run_id)
        .bind(5, e.stage);
    ins->bind(6, e.hash)
        .bind(7, e.actor)
        .bind(8, e.message)
        .bind(9, e.signature)
        .bind(10, e.prev_hash);
    ins->bind(11, e.row_hash);
    SLUICE_TRY(ins->run());
    auto h = m_db.prepare(
        "INSERT OR REPLACE INTO review_chain_head (one, last_id, last_hash) VALUES (1, ?, ?)");
    SLUICE_TRY(h);
    h->bind(1, e.id).bind(2, e.row_hash);
    return h->run();
  };
  SLUICE_TRY(in_transaction(m_db, body));
  return e;
}

Expected<std::vector<ReviewEvent>> SqliteReviewStore::events(const std::string& run_id) {
  auto st = m_db.prepare(fmt::format(
      "SELECT {} FROM review_events WHERE (?1 = '' OR run_id = ?1) ORDER BY id", k_event_columns));
  SLUICE_TRY(st);
  st->bind(1, run_id);
  return read_events(*st);
}

Expected<std::vector<ReviewEvent>> SqliteReviewStore::decisions(const std::string& hash) {
  auto st =
      m_db.prepare(fmt::format("SELECT {} FROM review_events WHERE hash = ? AND "
                               "kind IN ('approved', 'rejected', 'timed_out') ORDER BY id",
                               k_event_columns));
  SLUICE_TRY(st);
  st->bind(1, hash);
  return read_events(*st);
}

Expected<std::optional<std::pair<int64_t, std::string>>> SqliteReviewStore::chain_head() {
  using Head = std::optional<std::pair<int64_t, std::string>>;
  auto st = m_db.prepare("SELECT last_id, last_hash FROM review_chain_head WHERE one = 1");
  SLUICE_TRY(st);
  auto row = st->step();
  SLUICE_TRY(row);
  if (!*row) return Head();
  return Head(std::pair(st->column_int(0), st->column_text(1)));
}

Expected<void> SqliteReviewStore::put_blob(const std::string& sha256, std::string_view content) {
  auto st = m_db.prepare("INSERT OR IGNORE INTO review_blobs (sha256, content) VALUES (?, ?)");
  SLUICE_TRY(st);
  st->bind(1, sha256).bind(2, content);
  return st->run();
}

Expected<std::optional<std::string>> SqliteReviewStore::blob(const std::string& sha256) {
  auto st = m_db.prepare("SELECT content FROM review_blobs WHERE sha256 = ?");
  SLUICE_TRY(st);
  st->bind(1, sha256);
  auto row = st->step();
  SLUICE_TRY(row);
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(st->column_text(0));
}

}  // namespace sluice::store
