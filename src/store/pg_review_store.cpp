#include "store/pg_review_store.h"

#include <fmt/format.h>

namespace sluice::store {
namespace {

const std::string k_genesis(64, '0');

// COLLATE "C": the same order as SQLite's byte-wise comparison, whatever the database's locale.
constexpr const char* k_request_columns =
    "run_id, stage, hash, manifest, files, why, requested_by, state, created_ms";
constexpr const char* k_event_columns =
    "id, at_ms, kind, run_id, stage, hash, actor, message, signature, prev_hash, row_hash";

std::vector<ReviewRequest> read_requests(const PgRows& rows) {
  std::vector<ReviewRequest> out;
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    ReviewRequest r;
    r.run_id = rows.text(i, 0);
    r.stage = rows.text(i, 1);
    r.hash = rows.text(i, 2);
    r.manifest = rows.text(i, 3);
    r.files_json = rows.text(i, 4);
    r.why = rows.text(i, 5);
    r.requested_by = rows.text(i, 6);
    r.state = review_state_from(rows.text(i, 7)).value_or(ReviewState::pending);
    r.created_ms = rows.integer(i, 8);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ReviewEvent> read_events(const PgRows& rows) {
  std::vector<ReviewEvent> out;
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    ReviewEvent e;
    e.id = rows.integer(i, 0);
    e.at_ms = rows.integer(i, 1);
    const std::string kind = rows.text(i, 2);
    e.kind = review_event_kind_from(kind).value_or(ReviewEventKind::requested);
    e.run_id = rows.text(i, 3);
    e.stage = rows.text(i, 4);
    e.hash = rows.text(i, 5);
    e.actor = rows.text(i, 6);
    e.message = rows.text(i, 7);
    e.signature = rows.text(i, 8);
    e.prev_hash = rows.text(i, 9);
    e.row_hash = rows.text(i, 10);
    // As in SQLite: an unknown kind reads as "requested", and its hash no longer matches.
    if (!review_event_kind_from(kind)) e.row_hash = "unknown kind " + kind;
    out.push_back(std::move(e));
  }
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out += k_digits[c >> 4];
    out += k_digits[c & 15];
  }
  return out;
}

std::string unhex(std::string_view text) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i + 1 < text.size(); i += 2)
    out += static_cast<char>((nibble(text[i]) << 4) | nibble(text[i + 1]));
  return out;
}

}  // namespace

Expected<std::unique_ptr<PgReviewStore>> PgReviewStore::connect(const std::string& url) {
  auto c = PgConnection::connect(url);
  if (!c) return tl::unexpected(c.error());
  return std::make_unique<PgReviewStore>(std::move(*c));
}

Expected<void> PgReviewStore::transaction(const std::function<Expected<void>()>& body) {
  for (int attempt = 0;; ++attempt) {
    SLUICE_TRY(m_c->exec("BEGIN"));
    auto done = body();
    if (done) {
      done = m_c->exec("COMMIT");
      if (done) return {};
    } else {
      (void)m_c->exec("ROLLBACK");
    }
    // PostgreSQL rolled the loser of a deadlock or serialisation conflict back: run it again.
    if (m_c->last_sqlstate().rfind("40", 0) != 0 || attempt >= 20) return done;
  }
}

Expected<int> PgReviewStore::put_request(const ReviewRequest& r) {
  int marked = 0;
  auto done = transaction([&]() -> Expected<void> {
    SLUICE_TRY(m_c->query(
        fmt::format("INSERT INTO review_requests ({}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) "
                    "ON CONFLICT (run_id, stage) DO UPDATE SET hash = EXCLUDED.hash, manifest = EXCLUDED.manifest, "
                    "files = EXCLUDED.files, why = EXCLUDED.why, requested_by = EXCLUDED.requested_by, "
                    "state = EXCLUDED.state, created_ms = EXCLUDED.created_ms",
                    k_request_columns),
        {r.run_id, r.stage, r.hash, r.manifest, r.files_json, r.why, r.requested_by, std::string(to_string(r.state)),
         std::to_string(r.created_ms)}));
    auto up = m_c->query(
        "UPDATE review_requests SET state = 'outdated' WHERE stage = $1 AND hash <> $2 AND state = 'pending' "
        "RETURNING 1",
        {r.stage, r.hash});
    SLUICE_TRY(up);
    marked = static_cast<int>(up->rows.size());
    return {};
  });
  SLUICE_TRY(done);
  return marked;
}

Expected<std::optional<ReviewRequest>> PgReviewStore::request(const std::string& run_id, const std::string& stage) {
  auto rows = m_c->query(
      fmt::format("SELECT {} FROM review_requests WHERE run_id = $1 AND stage = $2", k_request_columns),
      {run_id, stage});
  SLUICE_TRY(rows);
  auto out = read_requests(*rows);
  if (out.empty()) return std::optional<ReviewRequest>();
  return std::optional<ReviewRequest>(std::move(out.front()));
}

Expected<std::vector<ReviewRequest>> PgReviewStore::requests(const std::string& run_id) {
  auto rows = m_c->query(fmt::format("SELECT {} FROM review_requests WHERE ($1 = '' OR run_id = $1) "
                                     "ORDER BY created_ms DESC, run_id COLLATE \"C\" DESC, stage COLLATE \"C\"",
                                     k_request_columns),
                         {run_id});
  SLUICE_TRY(rows);
  return read_requests(*rows);
}

Expected<std::optional<ReviewRequest>> PgReviewStore::last_approved_other(const std::string& stage,
                                                                          const std::string& hash) {
  auto rows = m_c->query(fmt::format("SELECT {} FROM review_requests WHERE stage = $1 AND hash <> $2 AND "
                                     "state = 'approved' ORDER BY created_ms DESC LIMIT 1",
                                     k_request_columns),
                         {stage, hash});
  SLUICE_TRY(rows);
  auto out = read_requests(*rows);
  if (out.empty()) return std::optional<ReviewRequest>();
  return std::optional<ReviewRequest>(std::move(out.front()));
}

Expected<void> PgReviewStore::set_state(const std::string& hash, ReviewState s) {
  return m_c->query("UPDATE review_requests SET state = $1 WHERE hash = $2 AND state <> 'outdated'",
                    {std::string(to_string(s)), hash})
      .map([](PgRows) {});
}

Expected<ReviewEvent> PgReviewStore::append_event(ReviewEvent e) {
  auto done = transaction([&]() -> Expected<void> {
    // The head row is the chain's lock: a second appender waits here, then reads this one's head.
    auto head = m_c->query("SELECT last_id, last_hash FROM review_chain_head WHERE one = 1 FOR UPDATE");
    SLUICE_TRY(head);
    if (head->empty())
      return make_error(ErrorCode::integrity,
                        fmt::format("state {}: review_chain_head is missing, so no event can be chained; see "
                                    "`sluice approvals --verify`",
                                    m_c->display()));
    e.id = head->integer(0, 0) + 1;
    e.prev_hash = head->text(0, 1);
    e.row_hash = event_row_hash(e);
    SLUICE_TRY(m_c->query(
        fmt::format("INSERT INTO review_events ({}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)", k_event_columns),
        {std::to_string(e.id), std::to_string(e.at_ms), std::string(to_string(e.kind)), e.run_id, e.stage, e.hash,
         e.actor, e.message, e.signature, e.prev_hash, e.row_hash}));
    return m_c->query("UPDATE review_chain_head SET last_id = $1, last_hash = $2 WHERE one = 1",
                      {std::to_string(e.id), e.row_hash})
        .map([](PgRows) {});
  });
  SLUICE_TRY(done);
  return e;
}

Expected<std::vector<ReviewEvent>> PgReviewStore::events(const std::string& run_id) {
  auto rows = m_c->query(
      fmt::format("SELECT {} FROM review_events WHERE ($1 = '' OR run_id = $1) ORDER BY id", k_event_columns),
      {run_id});
  SLUICE_TRY(rows);
  return read_events(*rows);
}

Expected<std::vector<ReviewEvent>> PgReviewStore::decisions(const std::string& hash) {
  auto rows = m_c->query(fmt::format("SELECT {} FROM review_events WHERE hash = $1 AND "
                                     "kind IN ('approved', 'rejected', 'timed_out') ORDER BY id",
                                     k_event_columns),
                         {hash});
  SLUICE_TRY(rows);
  return read_events(*rows);
}

Expected<std::optional<std::pair<int64_t, std::string>>> PgReviewStore::chain_head() {
  using Head = std::optional<std::pair<int64_t, std::string>>;
  auto rows = m_c->query("SELECT last_id, last_hash FROM review_chain_head WHERE one = 1 FOR UPDATE");
  SLUICE_TRY(rows);
  // The migration seeds the head at (0, genesis): that is an empty chain, as SQLite's missing row.
  if (rows->empty() || (rows->integer(0, 0) == 0 && rows->text(0, 1) == k_genesis)) return Head();
  return Head(std::pair(rows->integer(0, 0), rows->text(0, 1)));
}

Expected<void> PgReviewStore::put_blob(const std::string& sha256, std::string_view content) {
  // bytea through hex text: the connection sends text parameters, and a file may hold NUL bytes.
  return m_c->query("INSERT INTO review_blobs (sha256, content) VALUES ($1, decode($2, 'hex')) "
                    "ON CONFLICT (sha256) DO NOTHING",
                    {sha256, hex(content)})
      .map([](PgRows) {});
}

Expected<std::optional<std::string>> PgReviewStore::blob(const std::string& sha256) {
  auto rows = m_c->query("SELECT encode(content, 'hex') FROM review_blobs WHERE sha256 = $1", {sha256});
  SLUICE_TRY(rows);
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(unhex(rows->text(0, 0)));
}

}  // namespace sluice::store
