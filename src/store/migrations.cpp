// The state database schema. Each entry is applied once, in order, in its own transaction;
// PRAGMA user_version records the newest applied. Never edit a shipped migration: add one.
#include "store/database.h"

namespace sluice::store {

namespace {
// v1: runs and their stages, the step cache index, and the stat fast path for input hashing.
constexpr const char* k_v1_core = R"sql(
CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  seq           INTEGER NOT NULL UNIQUE,
  pipeline      TEXT NOT NULL,
  status        TEXT NOT NULL,           -- running | success | failed | interrupted
  pid           INTEGER NOT NULL,
  jobs          INTEGER NOT NULL,
  started_ms    INTEGER NOT NULL,
  ended_ms      INTEGER,
  duration_ms   INTEGER,
  options       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE stages (
  run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  idx           INTEGER NOT NULL,        -- position in the pipeline file
  kind          TEXT NOT NULL,           -- run | llm | validate | ...
  status        TEXT NOT NULL,           -- pending | running | success | failed | skipped | cancelled | timeout
  exit_code     INTEGER,
  attempts      INTEGER NOT NULL DEFAULT 0,
  started_ms    INTEGER,
  ended_ms      INTEGER,
  duration_ms   INTEGER,
  cache_hit     INTEGER NOT NULL DEFAULT 0,
  cache_key     TEXT,
  log_path      TEXT,
  reason        TEXT,                    -- why skipped/failed, in words
  needs         TEXT NOT NULL DEFAULT '',-- comma-separated, for the critical path
  details       TEXT,                    -- JSON owned by the stage kind (e.g. llm phases)
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;                         -- one b-tree: a transition rewrites one page, not table + index
CREATE TABLE step_cache (
  key           TEXT PRIMARY KEY,        -- sha256 of the stage's resolved definition and inputs
  stage         TEXT NOT NULL,
  outputs       TEXT NOT NULL,           -- JSON [{"path","blob","mode"}]
  created_ms    INTEGER NOT NULL,
  last_used_ms  INTEGER NOT NULL,
  duration_ms   INTEGER NOT NULL         -- how long the real run took (time saved by a hit)
) WITHOUT ROWID;
CREATE TABLE file_stats (
  path          TEXT PRIMARY KEY,
  size          INTEGER NOT NULL,
  mtime_ns      INTEGER NOT NULL,
  ctime_ns      INTEGER NOT NULL,
  inode         INTEGER NOT NULL,
  sha256        TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// v2: LLM calls, the spend ledger and the response cache (owned by the llm engine, see
// src/llm/budget.h and src/llm/response_cache.h).
constexpr const char* k_v2_llm = R"sql(
CREATE TABLE llm_ledger (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id          TEXT NOT NULL,
  stage           TEXT NOT NULL,
  provider        TEXT NOT NULL,
  model           TEXT NOT NULL,
  state           TEXT NOT NULL,         -- reserved | settled | released
  reserved_usd    REAL NOT NULL,         -- worst case: input tokens + max_output_tokens at price
  reserved_tokens INTEGER NOT NULL,
  cost_usd        REAL NOT NULL DEFAULT 0,
  tokens_in       INTEGER NOT NULL DEFAULT 0,
  tokens_out      INTEGER NOT NULL DEFAULT 0,
  created_ms      INTEGER NOT NULL,
  settled_ms      INTEGER,
  day             TEXT NOT NULL          -- UTC date (YYYY-MM-DD) of the reservation, for per_day limits
);
CREATE INDEX llm_ledger_run ON llm_ledger(run_id, state);
CREATE INDEX llm_ledger_day ON llm_ledger(day, state);
CREATE TABLE llm_response_cache (
  key           TEXT PRIMARY KEY,        -- sha256 of kind, base URL, model, parameters, redacted prompt
  provider_kind TEXT NOT NULL,
  base_url      TEXT NOT NULL,
  model         TEXT NOT NULL,
  response      TEXT NOT NULL,           -- the raw completion text
  finish_reason TEXT NOT NULL DEFAULT '',
  tokens_in     INTEGER NOT NULL,
  tokens_out    INTEGER NOT NULL,
  cost_usd      REAL NOT NULL,           -- what the original call cost (saved by each hit)
  created_ms    INTEGER NOT NULL,
  last_used_ms  INTEGER NOT NULL,
  hits          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX llm_response_cache_used ON llm_response_cache(last_used_ms);
CREATE TABLE llm_calls (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id        TEXT NOT NULL,
  stage         TEXT NOT NULL,
  provider      TEXT NOT NULL,           -- the name under llm.providers
  provider_kind TEXT NOT NULL,
  model         TEXT NOT NULL,
  status        TEXT NOT NULL,           -- ok | failed
  error         TEXT,
  cache_hit     INTEGER NOT NULL,
  tokens_in     INTEGER NOT NULL,
  tokens_out    INTEGER NOT NULL,
  cost_usd      REAL NOT NULL,
  retries       INTEGER NOT NULL,
  tokenizer     TEXT NOT NULL,
  tokenizer_exact INTEGER NOT NULL,
  phases        TEXT NOT NULL,           -- JSON {"render": ms, ...}
  created_ms    INTEGER NOT NULL
);
CREATE INDEX llm_calls_run ON llm_calls(run_id);
)sql";

// v3: process identity. A run's lease (src/store/run_lease.h): the boot, its process's start
// time and PID namespace, and a heartbeat, so liveness does not rest on a PID alone. A stage's
// attempt in flight: its process group and the leader's start time, so the leftovers of a
// SIGKILLed sluice can be found and stopped without ever signalling a reused PID.
constexpr const char* k_v3_process_identity = R"sql(
ALTER TABLE runs ADD COLUMN boot_id TEXT;        -- /proc/sys/kernel/random/boot_id; NULL: before v3
ALTER TABLE runs ADD COLUMN pid_start INTEGER;   -- start time of pid, clock ticks after boot
ALTER TABLE runs ADD COLUMN pid_ns TEXT;         -- PID namespace of pid, "pid:[inode]"
ALTER TABLE runs ADD COLUMN heartbeat_ms INTEGER;-- renewed every few seconds while running
ALTER TABLE stages ADD COLUMN pgid INTEGER;      -- process group of the attempt in flight; NULL when none
ALTER TABLE stages ADD COLUMN pgid_start INTEGER;-- start time of its leader (pid = pgid), clock ticks
)sql";

// v4: the outcome of each notification a run sent (src/notify/sender.h), shown in its reports.
// `target` is the environment variable that named the URL, never the URL (it may hold a token).
constexpr const char* k_v4_notifications = R"sql(
CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      TEXT NOT NULL,
  channel     TEXT NOT NULL,           -- slack | webhook | otlp
  event       TEXT NOT NULL,           -- success | failure | awaiting_approval | budget_exceeded | export
  target      TEXT NOT NULL,
  outcome     TEXT NOT NULL,           -- delivered | failed | gone | abandoned
  attempts    INTEGER NOT NULL,
  http_status INTEGER NOT NULL,        -- the last response's status, 0 when none came
  error       TEXT NOT NULL,
  elapsed_ms  INTEGER NOT NULL,
  created_ms  INTEGER NOT NULL
);
CREATE INDEX notifications_run ON notifications(run_id);
)sql";

// v5: review gates (docs/review.md). A request per gated stage of a run, bound to a content
// hash; the bytes of the files it covers (for `sluice review`'s diff against what was approved
// before); and the append-only event chain: each row carries the hash of the row before it and
// its own, and review_chain_head the last id and hash, so an edited, deleted or truncated row
// is found by `sluice approvals --verify` (store/review_store.h).
constexpr const char* k_v5_review = R"sql(
CREATE TABLE review_requests (
  run_id        TEXT NOT NULL,
  stage         TEXT NOT NULL,           -- the gated stage
  hash          TEXT NOT NULL,           -- SHA-256 of the canonical manifest
  manifest      TEXT NOT NULL,           -- the canonical manifest itself
  files         TEXT NOT NULL,           -- JSON [{"ai_stage","path","mode","sha256"}]
  why           TEXT NOT NULL,           -- why the stage is gated, in words
  requested_by  TEXT NOT NULL,           -- the actor who started the run
  state         TEXT NOT NULL,           -- pending | approved | rejected | outdated
  created_ms    INTEGER NOT NULL,
  PRIMARY KEY (run_id, stage)
) WITHOUT ROWID;
CREATE INDEX review_requests_hash ON review_requests(stage, hash);
CREATE TABLE review_blobs (
  sha256        TEXT PRIMARY KEY,
  content       BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE review_events (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms         INTEGER NOT NULL,
  kind          TEXT NOT NULL,           -- requested | approved | rejected | outdated | timed_out
  run_id        TEXT NOT NULL,
  stage         TEXT NOT NULL,
  hash          TEXT NOT NULL,
  actor         TEXT NOT NULL,
  message       TEXT NOT NULL DEFAULT '',
  signature     TEXT NOT NULL DEFAULT '',-- ssh-keygen -Y sign output (namespace sluice-approval)
  prev_hash     TEXT NOT NULL,           -- row_hash of the row before (64 zeros for the first)
  row_hash      TEXT NOT NULL            -- SHA-256 over this row's fields and prev_hash
);
CREATE INDEX review_events_decision ON review_events(hash, kind);
-- Append-only: sluice never updates or deletes an event; these refuse it by accident too (a
-- deliberate edit drops them first, and the chain then shows it).
CREATE TRIGGER review_events_no_update BEFORE UPDATE ON review_events
  BEGIN SELECT RAISE(ABORT, 'review_events is append-only'); END;
CREATE TRIGGER review_events_no_delete BEFORE DELETE ON review_events
  BEGIN SELECT RAISE(ABORT, 'review_events is append-only'); END;
CREATE TABLE review_chain_head (
  one           INTEGER PRIMARY KEY CHECK (one = 1),
  last_id       INTEGER NOT NULL,
  last_hash     TEXT NOT NULL
);
)sql";

// v6: images pushed from a sluice stage or `sluice registry push` (src/store/push_records.h),
// the first of the age sources `sluice registry prune` reads (docs/prune.md, "Image age").
constexpr const char* k_v6_registry_pushes = R"sql(
CREATE TABLE registry_pushes (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  registry      TEXT NOT NULL,           -- host[:port], as the push named it
  repo          TEXT NOT NULL,           -- repository path, e.g. team/app
  tag           TEXT NOT NULL,
  digest        TEXT NOT NULL,           -- the manifest (or index) digest pushed
  pushed_ms     INTEGER NOT NULL,
  run_id        TEXT                     -- the run whose stage pushed; NULL from the command line
);
CREATE INDEX registry_pushes_repo ON registry_pushes(registry, repo, digest);
)sql";
}  // namespace

const std::vector<Migration>& all_migrations() {
  static const std::vector<Migration> k_all = {
      {1, k_v1_core},
      {2, k_v2_llm},
      {3, k_v3_process_identity},
      {4, k_v4_notifications},
      {5, k_v5_review},
      {6, k_v6_registry_pushes},
  };
  return k_all;
}

}  // namespace sluice::store
