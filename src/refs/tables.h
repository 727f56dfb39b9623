#pragma once
// Data shipped with sluice (embedded at build time from src/refs/data/, cmake/embed_files.cmake):
// standard-library tables used when the machine has no toolchain to ask, and the pipreqs
// import-name -> distribution mapping (Apache-2.0, data/pipreqs/NOTICE).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/embedded.h"

namespace sluice::refs {

// Every embedded file (generated source).
[[nodiscard]] std::span<const base::EmbeddedFile> embedded_files();

// The embedded file `name` ("python_stdlib.txt", "node_builtins.txt", "c_headers.txt",
// "pipreqs/mapping"); empty when there is none. The view is static.
[[nodiscard]] std::string_view embedded_data(std::string_view name);

// Non-empty lines of a data file, trimmed, without # comments. Views into `text`.
[[nodiscard]] std::vector<std::string_view> data_lines(std::string_view text);

// PEP 503 normalisation of a Python distribution name: lowercase, runs of -_. become "-".
[[nodiscard]] std::string normalize_dist(std::string_view name);

}  // namespace sluice::refs
