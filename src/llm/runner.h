#pragma once
// Runs one `llm:` stage: render -> redact -> count -> (cache lookup) -> reserve budget -> queue
// -> provider call -> settle -> output guard -> atomic write inside the workspace. Every phase
// is timed; the call is recorded in table llm_calls.
//
// Threading: run_llm_stage may run on many threads at once, one LlmStageContext each, all
// sharing one ConcurrencyGate per run. Each call opens its own connection to `state_db` (SQLite
// serialises writers; the ledger reserves inside BEGIN IMMEDIATE), so no connection is shared
// across threads. Cancellation: set *cancel (e.g. from SIGINT); queued, retrying and streaming
// calls return within ~20 ms with an error.

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/error.h"
#include "llm/config.h"
#include "llm/gate.h"
#include "llm/interfaces.h"
#include "llm/pacer.h"
#include "llm/verdict.h"
#include "llm/workspace.h"
#include "store/remote_cache.h"

namespace sluice::llm {

struct LlmStageContext {
  std::filesystem::path workspace;  // outputs, prompt files and context are confined to it
  std::string run_id;
  std::string stage;
  std::filesystem::path state_db;   // .sluice/state.db (all_migrations() applied on open)
  // A postgres:// URL: the budget ledger is the shared one there (llm/budget_pg.h), so every
  // runner on that database shares the limits, and the response cache is shared too
  // (llm/response_cache_pg.h: a local miss asks it; a reply is stored in both). Empty: the
  // ledger and the cache in state_db.
  std::string state_url;
  // The remote cache (borrowed, thread-safe; null: none). With `llm.cache: shared` a local
  // response-cache miss asks it, and a cached reply is also uploaded when it is writable.
  store::RemoteCache* remote_cache = nullptr;
  const TokenCounter* counter = nullptr;  // required; see ApproximateTokenCounter
  const Redactor* redactor = nullptr;     // required
  EnvLookup env;                          // API keys (api_key_env) and {{ env.NAME }}
  const std::atomic<bool>* cancel = nullptr;
  const base::Clock* clock = nullptr;     // required
  ConcurrencyGate* gate = nullptr;        // required; one per run, LlmConfig::max_concurrency slots
  Pacers* pacers = nullptr;               // one per run: a 429 slows every stage on that provider
  // Checks the output's imports, includes, packages and images (checks_references(spec)); null:
  // a stage that asks for the check explicitly fails, one that has it by default skips it.
  const ReferenceChecker* references = nullptr;
  // The provider to call, as the caller resolved it once (--provider / SLUICE_PROVIDER, or the
  // stage's own); empty: the stage's.
  std::string provider;
  std::optional<std::filesystem::path> record_dir;  // --record: write cassettes here
  std::chrono::milliseconds backoff_base{500};      // first retry waits up to this (jittered)
};

struct LlmPhases {
  double render_ms = 0;
  double redact_ms = 0;
  double tokenize_ms = 0;
  double cache_ms = 0;   // response cache lookup (and store)
  double budget_ms = 0;  // ledger reserve + settle
  double queue_ms = 0;   // waiting for a max_concurrency slot
  double ttft_ms = 0;    // time to first token (last attempt)
  double generation_ms = 0;
  double post_process_ms = 0;  // fences, parse, schema, atomic write
};

struct LlmStageResult {
  std::string provider;       // name under llm.providers
  std::string provider_used;  // the provider that answered: `provider`, or one of its fallbacks
  std::string provider_kind;  // openai | anthropic | replay (of provider_used)
  std::string model;           // as configured (the one requested)
  std::string model_served;    // as the provider reported it (the requested one when it did not)
  std::string model_changed_from;  // the model served at this stage's last call, when different
  int64_t tokens_in = 0;           // every input token, cached ones included
  int64_t tokens_out = 0;
  int64_t tokens_cached_in = 0;    // of tokens_in, read from the provider's prompt cache
  int64_t tokens_cache_write = 0;  // of tokens_in, written to it
  bool usage_from_provider = false;  // false: our counts (tokenizer below)
  double cost_usd = 0;
  bool priced = true;  // false: no price known for the model; cost_usd (0) is then no cost, and the JSON says null
  bool cache_hit = false;
  int retries = 0;
  int attempts = 1;  // calls made: 1, plus the repairs after guard failures (tokens and cost sum them)
  std::string tokenizer;
  bool tokenizer_exact = false;
  bool context_truncated = false;
  std::string finish_reason;
  bool truncated = false;  // cut at max_output_tokens (kept only with on_truncation: warn)
  bool reply_redacted = false;  // the reply quoted a secret; what was written and cached is redacted
  std::string cache_key;
  LlmPhases phases;
  std::optional<std::string> output_path;  // workspace-relative, when written
  std::string output;                      // the guarded text
  bool references_checked = false;         // the output passed the reference check
  bool schema_sent = false;                // output.schema went to the provider (structured output)
  // Verdict stages: the stage's verdict (fail or unstable when run_llm_stage returns it: the
  // caller fails the stage), each sample's verdict in order, and how many had to agree.
  std::optional<Verdict> verdict;
  std::vector<std::string> sample_verdicts;
  int agree = 0;

  // {"provider","model","tokens_in","tokens_out","cost_usd","cache_hit","retries",
  //  "tokenizer","tokenizer_exact","output","phases_ms":{render,redact,tokenize,cache,budget,
  //  queue,ttft,generation,post_process}} — the `llm:` object of the JSON summary. With
  // `limits`, also "budget": the limits that are set, so reports show spend against them.
  [[nodiscard]] std::string to_json(const BudgetConfig* limits = nullptr) const;
};

[[nodiscard]] Expected<LlmStageResult> run_llm_stage(const LlmStageSpec& spec, const LlmConfig& config,
                                                     LlmStageContext& ctx);

}  // namespace sluice::llm
