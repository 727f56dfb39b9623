#pragma once
// Stand-ins for the real tokenizer and redactor (src/tokenize, src/secrets), for llm's own tests
// and benchmarks only: llm must not include those modules. They are simple but real: the
// counter really counts whitespace-separated words, the redactor really replaces known values.
// Thread-safe (immutable after construction).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llm/interfaces.h"

namespace sluice::llm::standin {

// One token per maximal run of non-whitespace bytes. Not any provider's tokenizer: exact()
// is false.
class WhitespaceTokenCounter final : public TokenCounter {
 public:
  [[nodiscard]] size_t count(std::string_view text) const override {
    size_t n = 0;
    bool in_word = false;
    for (char c : text) {
      bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
      if (!space && !in_word) ++n;
      in_word = !space;
    }
    return n;
  }
  [[nodiscard]] size_t prefix_bytes(std::string_view text, size_t max_tokens) const override {
    size_t n = 0;
    bool in_word = false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
      if (!space && !in_word) {
        if (n == max_tokens) return i;
        ++n;
      }
      in_word = !space;
    }
    return text.size();
  }
  [[nodiscard]] std::string name() const override { return "standin-whitespace"; }
  [[nodiscard]] bool exact() const override { return false; }
};

// Replaces every occurrence of each known secret value with "[REDACTED:<name>]".
class KnownValueRedactor final : public Redactor {
 public:
  explicit KnownValueRedactor(std::vector<std::pair<std::string, std::string>> name_value)
      : m_secrets(std::move(name_value)) {}
  [[nodiscard]] std::string redact(std::string_view text) const override {
    std::string out(text);
    for (const auto& [name, value] : m_secrets) {
      if (value.empty()) continue;
      std::string repl = "[REDACTED:" + name + "]";
      for (size_t pos = out.find(value); pos != std::string::npos; pos = out.find(value, pos + repl.size()))
        out.replace(pos, value.size(), repl);
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> m_secrets;
};

}  // namespace sluice::llm::standin
