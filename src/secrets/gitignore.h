#pragma once
// The common subset of .gitignore: globs (* ? [..]), "**", negation (!), directory-only (/ at
// the end), anchoring (a / at the start or in the middle), comments and escapes. Last match
// wins; patterns of deeper .gitignore files come later and so win over shallower ones.

#include <string>
#include <string_view>
#include <vector>

namespace sluice::secrets {

// Glob match of a '/'-separated path: * and ? stay within one segment, ** crosses segments.
[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view path);

class IgnoreRules {
 public:
  // Adds the patterns of the .gitignore found in `dir` ('/'-separated, relative to the walk
  // root, "" for the root itself).
  void add(std::string_view dir, std::string_view gitignore_text);

  enum class Kind { file, directory };
  // Whether `path` (relative to the walk root) is ignored.
  [[nodiscard]] bool ignored(std::string_view path, Kind kind) const;

  [[nodiscard]] size_t size() const { return m_patterns.size(); }

 private:
  struct Pattern {
    std::string dir;   // where the .gitignore lives
    std::string glob;
    bool negate = false;
    bool dir_only = false;
    bool anchored = false;  // matched against the path from `dir`, else against the basename
  };
  std::vector<Pattern> m_patterns;
};

}  // namespace sluice::secrets
