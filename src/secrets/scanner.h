#pragma once
// The secret scanner: every rule compiled into one Hyperscan database (prefilter mode) for a
// single pass over the input, then RE2 (linear time, no backtracking) confirms each candidate in
// a window around the hit and applies secret group, entropy, keywords and allowlists.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "secrets/rule.h"

namespace sluice::secrets {

struct Finding {
  std::string rule_id;
  std::string path;
  size_t line = 0;      // 1-based line of the secret's first byte
  size_t column = 0;    // 1-based byte column of the secret's first byte
  size_t start = 0;     // byte range of the secret in the scanned input
  size_t end = 0;
  size_t match_start = 0;  // byte range of the whole rule match
  size_t match_end = 0;
  std::string secret;
  std::string secret_sha256;  // hex
  std::string fingerprint;    // hex sha256 of (rule id, secret, path): stable across line moves
  double entropy = 0;         // Shannon bits per byte of the secret
  // Set for findings in git history (git_history.h): the commit that added the line (empty for
  // staged changes), its author, author e-mail and author date (ISO 8601).
  std::string commit;
  std::string author;
  std::string email;
  std::string date;
};

// Whether a "sluice:allow" (or "gitleaks:allow") comment on the secret's line suppresses it.
enum class InlineAllow { honor, ignore };

// Shannon entropy in bits per byte.
[[nodiscard]] double shannon_entropy(std::string_view s);

// Fingerprint used by baselines: hex sha256 over length-prefixed (rule id, sha256(secret), path),
// so it survives line moves and a baseline never stores the secret itself.
[[nodiscard]] std::string finding_fingerprint(std::string_view rule_id, std::string_view secret,
                                              std::string_view path);
[[nodiscard]] std::string fingerprint_from_hash(std::string_view rule_id, std::string_view secret_sha256,
                                                std::string_view path);

// Immutable after create(); scan() is thread-safe (each thread uses its own Hyperscan scratch).
class Scanner {
 public:
  struct Options {
    // Bytes searched before a hit for a rule whose match length is unbounded.
    size_t unbounded_window = 16 * 1024;
    // When set, compiled Hyperscan databases are cached here, keyed by the patterns and the
    // Hyperscan version (a stale or foreign file is ignored and rewritten).
    std::filesystem::path cache_dir;
    // Compile each rule's RE2 confirmer on its first use instead of in create(), which then
    // does not check the rule regexes (RE2 syntax, secret group): most confirmers are never
    // needed for a given input, and compiling ~280 costs ~20 ms. Only for rule sets verified
    // elsewhere: the built-in rules, which the test suite compiles eagerly.
    bool lazy_confirmers = false;
  };

  // Compiles the rules. Fails, naming the rule and the construct, when a regex is invalid.
  [[nodiscard]] static Expected<std::shared_ptr<const Scanner>> create(RuleSet rules, Options options);
  [[nodiscard]] static Expected<std::shared_ptr<const Scanner>> create(RuleSet rules) {
    return create(std::move(rules), Options{});
  }
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // All findings in `text`, ordered by position. `path` ('/'-separated) feeds path rules, path
  // allowlists and fingerprints; it may be empty. `commit` (lowercase hex, git history scans)
  // feeds commit allowlists. Findings own their strings.
  [[nodiscard]] std::vector<Finding> scan(std::string_view text, std::string_view path = {},
                                          InlineAllow inline_allow = InlineAllow::honor,
                                          std::string_view commit = {}) const;

  // True when a global allowlist excludes the whole file.
  [[nodiscard]] bool path_excluded(std::string_view path) const;

  [[nodiscard]] const RuleSet& rules() const;
  // Ids of rules Hyperscan could not prefilter; they are confirmed by RE2 over the whole input
  // whenever one of their keywords occurs (slower, still linear).
  [[nodiscard]] const std::vector<std::string>& fallback_rules() const;
  // The longest match any bounded rule can produce (streaming hold-back uses it).
  [[nodiscard]] size_t max_bounded_match() const;

  struct Impl;

 private:
  explicit Scanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace sluice::secrets
