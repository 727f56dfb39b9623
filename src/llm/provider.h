#pragma once
// The provider seam: one request in, one completed response out. Real implementations speak
// OpenAI Chat Completions and Anthropic Messages over libcurl with streaming; `replay` answers
// from cassettes; `RecordingProvider` wraps a real one and writes cassettes.
//
// Thread-safety: complete() may be called from several threads at once on one provider object.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "llm/config.h"
#include "llm/interfaces.h"
#include "llm/pacer.h"

namespace sluice::llm {

// What leaves the machine (already rendered and redacted). Never holds the API key.
struct LlmRequest {
  std::string model;
  std::string system;
  std::string prompt;
  int64_t max_output_tokens = 1024;
  double temperature = 0;
  std::optional<double> top_p;
  std::vector<std::string> stop;
  // Anthropic: mark the system prompt and the first `cache_prefix_bytes` of the prompt (the
  // text before the context and the context) with cache_control. OpenAI caches by itself.
  bool prompt_cache = false;
  size_t cache_prefix_bytes = 0;
  // Verdict samples: which of the stage's N asks this is (0 for the first or only one). Not
  // sent; part of the cache and cassette keys when above 0, so each sample is its own entry.
  int sample = 0;
  // Structured output: the JSON schema the reply must match (serialised; empty: none), sent as
  // OpenAI response_format json_schema (strict) or Anthropic output_format json_schema.
  std::string schema_json;
};

// Limits of one complete() call, retries included.
struct CallOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  // When set, the call ends here instead of `timeout` after it starts: the stage's deadline,
  // so that time spent before the call (rendering, queueing) counts. `timeout` is then only
  // named in the error message.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
  int max_retries = 3;
  std::chrono::milliseconds backoff_base{500};  // attempt n waits up to base * 2^n (full jitter)
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
  const std::atomic<bool>* cancel = nullptr;  // set it to abort promptly (Ctrl-C)
  ProviderPacer* pacer = nullptr;  // the provider's, shared by the run's stages; nullptr: no pacing
};

struct LlmResponse {
  std::string text;
  std::string model;          // as the provider reported it (else the requested one)
  std::string finish_reason;  // "stop", "length", "end_turn", ...
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  bool usage_reported = false;  // false: counts are ours, not the provider's
  int64_t cached_in = 0;        // of tokens_in, read from the provider's prompt cache
  int64_t cache_write_in = 0;   // of tokens_in, written to it
  int retries = 0;
  double ttft_ms = 0;        // request sent (last attempt) -> first text byte
  double generation_ms = 0;  // first text byte -> end of stream
};

class LlmProvider {
 public:
  virtual ~LlmProvider() = default;
  // Errors: network when retries on 429, 5xx, connection failures or stalls are spent (or the
  // deadline passed, or cancelled); integrity when the provider refused (other 4xx) or its reply
  // was broken (malformed, an error event, past the size caps): not worth another provider.
  [[nodiscard]] virtual Expected<LlmResponse> complete(const LlmRequest& request, const CallOptions& options) = 0;
  [[nodiscard]] virtual ProviderKind kind() const = 0;
};

// The HTTP providers. `api_key` is the key's value (the caller read it from the environment);
// it is sent only in the auth header and never appears in errors.
[[nodiscard]] std::unique_ptr<LlmProvider> make_openai_provider(std::string base_url, std::string api_key,
                                                                const base::Clock& clock);
[[nodiscard]] std::unique_ptr<LlmProvider> make_anthropic_provider(std::string base_url, std::string api_key,
                                                                   const base::Clock& clock);

// The key a cassette is stored under: SHA-256 of the request's model and every parameter and
// text. Stable across runs and machines.
[[nodiscard]] std::string cassette_key(const LlmRequest& request);

// Answers from `<dir>/<key>.json`; a missing cassette is a not_found error naming the key, the
// file and a summary of the request.
[[nodiscard]] std::unique_ptr<LlmProvider> make_replay_provider(std::filesystem::path dir);

// Forwards to `inner` and writes each successful exchange as a cassette in `dir` (the request
// as sent, which is already redacted; no headers, so never the key). With `redactor` (borrowed,
// must outlive the provider), the reply's text and model are redacted before they are written
// and returned: a model can quote a secret it saw elsewhere.
[[nodiscard]] std::unique_ptr<LlmProvider> make_recording_provider(std::unique_ptr<LlmProvider> inner,
                                                                   std::filesystem::path dir,
                                                                   const base::Clock& clock,
                                                                   const Redactor* redactor = nullptr);

}  // namespace sluice::llm
