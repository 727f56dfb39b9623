#pragma once
// The engines llm borrows without including them: a token counter, a secret redactor and a
// reference checker. The engine adapts sluice's real tokenizer, redactor and refs checker to
// these; tests use the stand-ins in llm/standins.h. Implementations must be safe to call from several threads at once (stages
// run in parallel and share one instance).

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

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

// A stage's `references:` block: names or globs that resolve as allowed ("requests",
// "python:internal_*", "image:registry.example.com/*"), and the images policy.
struct ReferencePolicy {
  std::vector<std::string> allow;
  std::vector<std::string> image_allow;  // registry/repo globs an image must match; empty: any
  bool require_digest = false;           // images must be pinned by @sha256:...
};

class ReferenceChecker {
 public:
  virtual ~ReferenceChecker() = default;
  // One "path:line:col: message" per import, include, installed package or image in `text` that
  // does not resolve, `text` being the content the stage is about to write to workspace-relative
  // `path` (not written yet). An error: the checker could not run (e.g. unreadable workspace).
  [[nodiscard]] virtual Expected<std::vector<std::string>> check(const std::filesystem::path& workspace,
                                                                 std::string_view path, std::string_view text,
                                                                 const ReferencePolicy& policy) const = 0;
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
