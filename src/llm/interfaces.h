#pragma once
// The two engines llm borrows without including them: a token counter and a secret redactor.
// The engine adapts sluice's real tokenizer and redactor to these; tests use the stand-ins in
// llm/standins.h. Implementations must be safe to call from several threads at once (stages
// run in parallel and share one instance).

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::llm {

class TokenCounter {
 public:
  virtual ~TokenCounter() = default;
  // Number of tokens `text` encodes to.
  [[nodiscard]] virtual size_t count(std::string_view text) const = 0;
  // Length in bytes of the longest prefix of `text` holding at most `max_tokens` tokens
  // (used to truncate context). Must return a valid UTF-8 boundary when `text` is UTF-8.
  [[nodiscard]] virtual size_t prefix_bytes(std::string_view text, size_t max_tokens) const = 0;
  // "o200k_base", "approx-4-bytes", ... shown in reports.
  [[nodiscard]] virtual std::string name() const = 0;
  // True when counts equal the provider's; false for an approximation.
  [[nodiscard]] virtual bool exact() const = 0;
};

class Redactor {
 public:
  virtual ~Redactor() = default;
  // `text` with every secret replaced by a placeholder. Must be deterministic (cache keys and
  // cassette keys hash its output).
  [[nodiscard]] virtual std::string redact(std::string_view text) const = 0;
};

// The approximation used for providers whose tokenizer is not public (Anthropic): one token per
// 4 bytes, rounded up, never exact. Thread-safe.
class ApproximateTokenCounter final : public TokenCounter {
 public:
  [[nodiscard]] size_t count(std::string_view text) const override { return (text.size() + 3) / 4; }
  [[nodiscard]] size_t prefix_bytes(std::string_view text, size_t max_tokens) const override;
  [[nodiscard]] std::string name() const override { return "approx-4-bytes"; }
  [[nodiscard]] bool exact() const override { return false; }
};

}  // namespace sluice::llm
