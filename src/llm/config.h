#pragma once
// The `llm:` configuration as plain data: the top-level section (providers, budget,
// max_concurrency) and a stage's `llm:` block. Parsers collect every problem as a Diagnostic
// ("file:line:col: message", unknown keys with "did you mean").

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "base/diagnostic.h"
#include "base/yaml.h"
#include "llm/interfaces.h"

namespace sluice::llm {

template <class T>
using Parsed = tl::expected<T, base::Diagnostics>;

enum class ProviderKind { openai, anthropic, replay };
[[nodiscard]] std::string_view to_string(ProviderKind kind);

struct Price {
  double input_per_mtok = 0;   // USD per million input tokens
  double output_per_mtok = 0;  // USD per million output tokens
  // Input tokens read from the provider's prompt cache (OpenAI cached_tokens, Anthropic
  // cache_read_input_tokens) and written to it (Anthropic cache_creation_input_tokens); absent:
  // billed as input.
  std::optional<double> cached_input_per_mtok;
  std::optional<double> cache_write_per_mtok;
};

struct ProviderConfig {
  std::string name;            // key under `providers:`
  ProviderKind kind = ProviderKind::openai;
  std::string base_url;        // default per kind; replay: unused
  std::string api_key_env;     // name of the env var holding the key (never the key)
  std::string model;
  std::optional<Price> price;  // absent: the default table (llm/prices.h)
  std::string cassettes;       // replay: directory, relative to the workspace
  base::yaml::Mark mark;
};

struct BudgetConfig {
  std::optional<double> per_run_usd;
  std::optional<double> per_day_usd;
  std::optional<int64_t> max_calls_per_run;
  std::optional<int64_t> max_tokens_per_run;  // input + output, reserved worst case
};

struct LlmConfig {
  std::vector<ProviderConfig> providers;  // file order
  BudgetConfig budget;
  int max_concurrency = 4;
  // `cache: shared`: response-cache entries also go to (and come from) the remote cache
  // (`cache.remote`, docs/scale-out.md), so another runner with the same redacted prompt does
  // not pay again. `local` (default): the workspace's state database only.
  bool shared_cache = false;

  // nullptr when absent.
  [[nodiscard]] const ProviderConfig* find_provider(std::string_view name) const;
};

enum class OutputFormat { text, yaml, json };
enum class CacheMode { automatic, on, off };  // automatic: on when temperature is 0
// A reply the provider cut at max_output_tokens (finish_reason "length" / stop_reason
// "max_tokens"): fail (not written, not cached) or warn (written, reported as truncated).
enum class TruncationPolicy { fail, warn };

struct OutputSpec {
  std::string path;  // relative to the workspace
  OutputFormat format = OutputFormat::text;
  std::string schema_path;  // JSON schema file (workspace-relative), or
  std::string schema_json;  // an inline schema, serialised; both empty: none
  // format json with a schema: ask the provider for structured output with it (OpenAI
  // response_format json_schema strict, Anthropic output_config json_schema); false: only the
  // local check (for a schema the strict modes cannot take).
  bool send_schema = true;
  base::yaml::Mark schema_mark;
};

// Whether the stage sends its output schema to the provider (format json, a schema, send_schema).
[[nodiscard]] bool sends_schema(const OutputSpec& output);

struct LlmStageSpec {
  std::string provider = "default";
  std::string system;
  std::string prompt;       // inline template, or
  std::string prompt_file;  // template file, relative to the workspace
  std::vector<std::string> context;  // globs, relative to the workspace
  std::optional<int64_t> max_input_tokens;
  bool truncate_context = false;  // over max_input_tokens: cut context instead of failing
  int64_t max_output_tokens = 1024;
  double temperature = 0;
  std::optional<double> top_p;
  std::vector<std::string> stop;
  std::optional<OutputSpec> output;
  CacheMode cache = CacheMode::automatic;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};       // whole stage: queue, retries, transfer
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};  // no byte for this long
  int retries = 3;
  bool prompt_cache = false;
  int repair = 1;  // 0..3: re-asks with the guard's error when the output guard refuses a reply
  // Providers tried in order once the stage's own has spent its retries on 429, 5xx or
  // connection failures (never after another 4xx, a broken reply or a guard failure).
  std::vector<std::string> fallback;
  std::vector<base::yaml::Mark> fallback_marks;  // Anthropic: cache_control on the system prompt and the context
  TruncationPolicy on_truncation = TruncationPolicy::fail;
  // Unresolved imports, includes, packages and images in the output fail the stage (run after
  // the output guard, before the write). Unset: on when output.path has a code extension.
  std::optional<bool> check_references;
  ReferencePolicy references;  // the `references:` block
  // The reply is an AI verdict: JSON {"verdict": "pass"|"fail", "findings": [...]}, checked by
  // the output guard; "fail" fails the stage. (The loader may default `advisory` from this.)
  bool verdict = false;
  // Verdict stages: ask `samples` times (sample index in the cache key); pass or fail only when
  // `agree` samples say so, else the stage is `unstable`.
  int samples = 1;
  int agree = 1;
  base::yaml::Mark mark;           // the block
  base::yaml::Mark provider_mark;  // the provider: value, when given
};

// Whether the stage's output goes through the reference check: check_references when written,
// else true when output.path has a code extension (.py, .js/.ts, .go, C/C++, shell, Dockerfile).
[[nodiscard]] bool checks_references(const LlmStageSpec& stage);

// Parses the top-level `llm:` mapping.
[[nodiscard]] Parsed<LlmConfig> parse_llm_config(const base::yaml::Node& llm_section, std::string_view file);

// Parses a stage's `llm:` mapping (provider existence is checked by validate_llm_stage).
[[nodiscard]] Parsed<LlmStageSpec> parse_llm_stage(const base::yaml::Node& stage_llm, std::string_view file);

// Cross-checks a stage against the config: the provider exists (with "did you mean"). Empty
// when fine.
[[nodiscard]] base::Diagnostics validate_llm_stage(const LlmStageSpec& stage, const LlmConfig& config,
                                                   std::string_view file);

}  // namespace sluice::llm
