#pragma once
// The reference check of `llm:` stages (check_references, docs/references.md): the llm
// engine's ReferenceChecker interface implemented with the refs engine, so that llm never
// includes refs.

#include <functional>
#include <mutex>

#include "llm/interfaces.h"
#include "refs/checker.h"

namespace sluice::engine {

class RefsReferenceChecker final : public llm::ReferenceChecker {
 public:
  // `toolchain` says what this machine has (builtin and installed names); called on the first
  // check only (probing starts python3, node, cc), so runs without such stages never pay for it.
  // Must be safe to call from several threads (it is called under a once flag here).
  explicit RefsReferenceChecker(std::function<refs::Toolchain()> toolchain);

  // Builds a refs::Checker over the workspace as it is now (so files written by earlier stages
  // resolve as local) with the stage's allow list and image policy, and checks `text` as the
  // content of `path`. Thread-safe.
  [[nodiscard]] Expected<std::vector<std::string>> check(const std::filesystem::path& workspace,
                                                         std::string_view path, std::string_view text,
                                                         const llm::ReferencePolicy& policy) const override;

 private:
  const refs::Toolchain& toolchain() const;
  std::function<refs::Toolchain()> m_probe;
  mutable std::once_flag m_once;
  mutable refs::Toolchain m_toolchain;
};

}  // namespace sluice::engine
