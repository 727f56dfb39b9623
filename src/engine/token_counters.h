#pragma once
// Token counters for LLM stages, chosen by model: OpenAI's gpt-4o/4.1/5 and o-series use
// o200k_base, gpt-4/3.5 and the v3 embeddings cl100k_base (exact, through the tokenize engine).
// Other models (Anthropic, open-weight models behind an OpenAI-compatible server) have no public
// tokenizer here: they get o200k_base counts marked approximate. When the rank files cannot be
// loaded, every count is the llm engine's approximation and load_error() says why.

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "llm/interfaces.h"

namespace sluice::engine {

// "o200k_base", "cl100k_base", or nothing when the model's tokenizer is not known to be one of them.
[[nodiscard]] std::optional<std::string> encoding_for_model(std::string_view model);

class ModelTokenCounters {
 public:
  // `markers_dir`: where the rank files' verified-markers go when not beside them (tokenize::RankDir).
  explicit ModelTokenCounters(std::filesystem::path ranks_dir, std::filesystem::path markers_dir = {});
  ~ModelTokenCounters();
  // Thread-safe; each encoding is loaded once, on first use. The reference lives as long as this.
  [[nodiscard]] const llm::TokenCounter& for_model(std::string_view model);
  [[nodiscard]] std::optional<std::string> load_error() const;
  // Starts loading the encodings of these models on a background thread, so the first LLM
  // stage does not wait for the rank files (joined by the destructor).
  void prefetch(std::vector<std::string> models);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::thread m_prefetch;
};

}  // namespace sluice::engine
