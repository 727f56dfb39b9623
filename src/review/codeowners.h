#pragma once
// Which paths are critical, with GitHub CODEOWNERS semantics (docs/review.md): gitignore-style
// patterns, the last matching line wins, and a matching line without owners makes the path not
// critical. `!` (negation) and `[ ]` (character ranges) are not CODEOWNERS syntax and are
// rejected with their file:line. The pattern rules follow hmarr/codeowners, which reproduces
// GitHub's matcher: a pattern of one segment matches at any depth, one with a slash is anchored
// at the root, a trailing slash means "everything below", a lone `*` segment matches exactly one
// segment, `**` any number.
//
// Thread-safety: a built CriticalPaths is immutable and safe to share.

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"

namespace sluice::review {

struct OwnerRule {
  std::string pattern;
  bool owned = true;                // false: a line with no owners (the path is then not critical)
  std::vector<std::string> owners;  // as written (CODEOWNERS files)
  std::string file;
  int line = 0;
  int column = 0;
};

class CompiledPattern {
 public:
  // Empty `error` when the pattern is valid.
  static CompiledPattern compile(std::string_view pattern, std::string& error);
  [[nodiscard]] bool matches(std::string_view path) const;

 private:
  std::regex m_re;
};

// Parses a CODEOWNERS file: "pattern owner...", `#` comments, blank lines, `\#` and `\ `
// escapes. Bad patterns are appended to `diags` as "file:line:col: ...".
[[nodiscard]] std::vector<OwnerRule> parse_codeowners(std::string_view text,
                                                      const std::string& file,
                                                      base::Diagnostics& diags);

// One ordered rule list (last match wins).
class RuleSet {
 public:
  // Compiles every rule; a bad one is reported in `diags` and left out.
  RuleSet(std::vector<OwnerRule> rules, base::Diagnostics& diags);
  RuleSet() = default;
  // The last matching rule, or null.
  [[nodiscard]] const OwnerRule* last_match(std::string_view path) const;
  [[nodiscard]] bool owned(std::string_view path) const {
    const OwnerRule* r = last_match(path);
    return r != nullptr && r->owned;
  }
  [[nodiscard]] bool empty() const { return m_rules.empty(); }

 private:
  std::vector<OwnerRule> m_rules;
  std::vector<CompiledPattern> m_patterns;
};

// The critical paths of a pipeline: `critical_paths:` (each entry a rule with an owner) and the
// owned paths of `critical_paths_file:`. A path is critical when either set owns it.
class CriticalPaths {
 public:
  CriticalPaths() = default;
  CriticalPaths(RuleSet inline_rules, RuleSet file_rules)
      : m_inline(std::move(inline_rules)), m_file(std::move(file_rules)) {}
  // `path`: relative to the workspace, '/' separated, no leading "./".
  [[nodiscard]] bool critical(std::string_view path) const {
    return m_inline.owned(path) || m_file.owned(path);
  }
  [[nodiscard]] bool empty() const { return m_inline.empty() && m_file.empty(); }

 private:
  RuleSet m_inline;
  RuleSet m_file;
};

}  // namespace sluice::review
