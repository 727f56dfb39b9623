#pragma once
// The seam other modules (llm) use to count and cut prompts, without knowing about BPE.

#include <cstddef>
#include <string_view>

namespace sluice::tokenize {

// A prefix of some text and its exact token count.
struct Truncated {
  std::string_view text;  // borrows from the input
  std::size_t tokens = 0;
};

// Counts tokens of text exactly as one model's tokenizer does. Implementations are thread-safe.
class TokenCounter {
 public:
  virtual ~TokenCounter() = default;
  [[nodiscard]] virtual std::size_t count(std::string_view text) const = 0;
  // The longest prefix (see the implementation for its exact rule) of at most max_tokens tokens,
  // ending on a UTF-8 character boundary.
  [[nodiscard]] virtual Truncated truncate(std::string_view text, std::size_t max_tokens) const = 0;
};

}  // namespace sluice::tokenize
