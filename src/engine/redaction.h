#pragma once
// The secret redactor as the scheduler and the LLM engine see it: a stream filter per stage
// (known secret values in every encoding CI runners mask, plus the secret rules) and a block
// redactor for messages and prompts. Built once per run.

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "engine/runner.h"
#include "llm/interfaces.h"

namespace sluice::engine {

struct SecretValue {
  std::string name;   // the environment variable, for messages
  std::string value;  // never printed
};

class SecretRedaction final : public StreamFilterFactory, public llm::Redactor {
 public:
  struct Built {
    std::unique_ptr<SecretRedaction> redaction;
    std::vector<std::string> ignored;  // names whose values are too short to mask safely
  };
  // `rules_cache_dir`: where the compiled rule database is cached between runs.
  [[nodiscard]] static Expected<Built> create(const std::vector<SecretValue>& values,
                                              const std::filesystem::path& rules_cache_dir);
  ~SecretRedaction() override;

  [[nodiscard]] std::unique_ptr<StreamFilter> make() const override;
  [[nodiscard]] std::string redact(std::string_view text) const override;
  // Starts building the rule scanner on a background thread (joined by the destructor), for a
  // run that will certainly need it (LLM stages redact every prompt): its first user then does
  // not wait for it.
  void prefetch();

 private:
  struct Impl;
  explicit SecretRedaction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
  std::thread m_prefetch;
};

}  // namespace sluice::engine
