#pragma once
// What a run shares with other runners (docs/scale-out.md): the remote step cache and the
// state backend. Reads the environment (cli is the only module that does) and the pipeline's
// `cache:`/`state:` sections; messages never show a password (URLs are masked).

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/events.h"

#include "pipeline/spec.h"
#include "report/report.h"
#include "store/remote_cache.h"
#include "store/state_store.h"

namespace sluice::cli {

// The remote cache the pipeline names (`cache.remote`, or SLUICE_CACHE_REMOTE), with write
// access from `cache.remote_write` or SLUICE_CACHE_WRITE=1 (SLUICE_CACHE_WRITE=0 forbids it),
// auth from SLUICE_CACHE_TOKEN (bearer) or SLUICE_CACHE_USER/SLUICE_CACHE_PASSWORD (basic) and
// the HMAC key from SLUICE_CACHE_HMAC_KEY. Null when none is configured; `bad` is set (and the
// problem printed on `err`) when one is configured wrongly.
[[nodiscard]] std::unique_ptr<store::RemoteCache> open_remote_cache(const pipeline::Pipeline& p, std::FILE* err,
                                                                    bool& bad);

// Flushes the upload queue (bounded by SLUICE_CACHE_FLUSH_TIMEOUT seconds, default 10) and prints
// one line of what the remote cache did on `err`.
void finish_remote_cache(store::RemoteCache& remote, std::FILE* err);

// The state backend URL: --state, else SLUICE_STATE_URL, else the pipeline's `state:`. Returns
// "" for the workspace's SQLite database ("sqlite" or nothing set), the postgres:// URL with
// any ${NAME} in it expanded from the environment, or nullopt (after printing why on `err`)
// for a URL that is neither, a reference to an unset variable, or a password written literally
// in sluice.yml (it would be committed: use PGPASSWORD, ~/.pgpass or ${NAME}).
[[nodiscard]] std::optional<std::string> resolve_shared_state(const pipeline::Pipeline& p, const std::string& flag,
                                                              std::FILE* err);

// With the shared ledger at `url`: the run's and its UTC day's settled spend and the run's live
// reservations come from PostgreSQL (every runner's), and `rep` names the ledger. Returns what
// went wrong, if anything (the workspace's figures then stay).
std::optional<std::string> add_shared_spend(report::RunReport& rep, const std::string& url);

// As resolve_shared_state() for commands that read the state without running the pipeline
// (runs, report, prune): the `state:` of `pipeline_file` is read when neither the flag nor
// SLUICE_STATE_URL is set and the file exists (a file that does not load counts as no `state:`).
[[nodiscard]] std::optional<std::string> resolve_state_of_file(const std::filesystem::path& pipeline_file,
                                                               const std::string& flag, std::FILE* err);

// Opens the state backend `url` names ("" the workspace's SQLite database in `state_dir`),
// printing why on `err` and returning null when it cannot.
[[nodiscard]] std::unique_ptr<store::StateStore> open_state_or_report(const std::filesystem::path& state_dir,
                                                                       const std::string& url, std::FILE* err);

// While a run uses the shared PostgreSQL ledger: when the run starts, marks runs whose heartbeat
// went stale interrupted (releasing their reservations), records this run in sluice_runs and
// renews its heartbeat every 5 s from a thread of its own (so a slow database never slows the
// scheduler); finish() records the final status. Forwards every event to `inner` unchanged.
class SharedRunSink final : public engine::EventSink {
 public:
  SharedRunSink(engine::EventSink& inner, std::string url, std::string pipeline);
  ~SharedRunSink() override;
  SharedRunSink(const SharedRunSink&) = delete;
  SharedRunSink& operator=(const SharedRunSink&) = delete;
  // Stops the heartbeat and records `status`. Returns what went wrong with the shared record, if
  // anything (for one warning line); the run's result never depends on it.
  std::optional<std::string> finish(const std::string& status);

  void run_started(const store::RunRecord& run, const std::vector<int>& selected) override;
  void stage_started(const pipeline::Stage& s, int attempt) override { m_inner.stage_started(s, attempt); }
  void stage_output(const pipeline::Stage& s, std::string_view chunk) override { m_inner.stage_output(s, chunk); }
  void stage_retrying(const pipeline::Stage& s, int next, std::string_view why) override {
    m_inner.stage_retrying(s, next, why);
  }
  void stage_finished(const pipeline::Stage& s, const store::StageRecord& r) override { m_inner.stage_finished(s, r); }
  void stage_warning(const pipeline::Stage& s, std::string_view text) override { m_inner.stage_warning(s, text); }

 private:
  void beat(std::string run_id);
  engine::EventSink& m_inner;
  std::string m_url, m_pipeline;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_stop = false;
  std::string m_status;  // set by finish()
  std::optional<std::string> m_error;
  std::thread m_thread;
};

}  // namespace sluice::cli
