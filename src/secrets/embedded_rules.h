#pragma once
// The default rule files, embedded at build time by cmake/embed_files.cmake (generated source).

#include <span>

#include "base/embedded.h"

namespace sluice::secrets {

using base::EmbeddedFile;

// Static storage; valid for the program's lifetime.
[[nodiscard]] std::span<const EmbeddedFile> embedded_rule_files();

}  // namespace sluice::secrets
