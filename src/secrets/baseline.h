#pragma once
// Baselines: accepted findings recorded by fingerprint (rule id, sha256 of the secret, path; no
// line numbers, so edits elsewhere in a file keep them valid). JSON on disk, format in
// docs/secrets.md. The secret itself is never written.

#include <set>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "secrets/scanner.h"

namespace sluice::secrets {

class Baseline {
 public:
  [[nodiscard]] static Expected<Baseline> parse(std::string_view json, std::string_view origin);
  // The baseline file content accepting every given finding (sorted, stable output).
  [[nodiscard]] static std::string serialize(std::span<const Finding> findings);

  [[nodiscard]] bool contains(const Finding& f) const { return m_fingerprints.count(f.fingerprint) != 0; }
  [[nodiscard]] size_t size() const { return m_fingerprints.size(); }

 private:
  std::set<std::string> m_fingerprints;
};

}  // namespace sluice::secrets
