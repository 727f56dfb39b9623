#include "engine/llm_references.h"

#include <mutex>

#include "refs/output.h"

namespace sluice::engine {

RefsReferenceChecker::RefsReferenceChecker(std::function<refs::Toolchain()> toolchain)
    : m_probe(std::move(toolchain)) {}

const refs::Toolchain& RefsReferenceChecker::toolchain() const {
  std::call_once(m_once, [this] {
    if (m_probe) m_toolchain = m_probe();
  });
  return m_toolchain;
}

Expected<std::vector<std::string>> RefsReferenceChecker::check(const std::filesystem::path& workspace,
                                                               std::string_view path, std::string_view text,
                                                               const llm::ReferencePolicy& policy) const {
  refs::CheckOptions opts;
  opts.base = workspace;
  opts.allow = policy.allow;
  opts.images.allow = policy.image_allow;
  opts.images.require_digest = policy.require_digest;
  opts.toolchain = toolchain();
  auto checker = refs::Checker::create(std::move(opts));
  if (!checker) return tl::unexpected(checker.error());
  std::vector<std::string> out;
  for (const auto& f : (*checker)->check_text(path, text, std::string(path))) out.push_back(refs::to_text(f));
  return out;
}

}  // namespace sluice::engine
