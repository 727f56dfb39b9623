// What `sluice --version` prints: enough to reproduce a build or file a bug.
#include "cli/version.h"

#include <fmt/format.h>

#include "build_commit.h"  // generated at build time (cmake/build_commit.cmake)

namespace sluice::cli {

std::string version_text() {
  // The library versions are those of the headers and pkg-config files sluice was compiled
  // against (src/cli/CMakeLists.txt passes them), not a probe of what is loaded at run time.
  return fmt::format(
      "sluice {}\n"
      "commit:     {}\n"
      "build type: {}\n"
      "built with: Hyperscan {}, RE2 {}, SQLite {}, libcurl {}, libfyaml {}",
      SLUICE_VERSION, SLUICE_COMMIT, SLUICE_BUILD_TYPE, SLUICE_HYPERSCAN_VERSION, SLUICE_RE2_VERSION,
      SLUICE_SQLITE_VERSION, SLUICE_CURL_VERSION, SLUICE_FYAML_VERSION);
}

}  // namespace sluice::cli
