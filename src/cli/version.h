#pragma once
// The text of `sluice --version`: version, commit, build type and the versions of the libraries
// sluice was built with.

#include <string>

namespace sluice::cli {

[[nodiscard]] std::string version_text();

}  // namespace sluice::cli
