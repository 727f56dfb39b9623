#pragma once
// Path globs as pipeline files use them: `*` and `?` within one path component, `[abc]`
// classes, and `**` for any number of directories ("src/**/*.cc" matches "src/a.cc" too).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::base {

[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view path);
[[nodiscard]] bool has_glob_chars(std::string_view pattern);

// Regular files under `root` matching `pattern` (relative to root), as sorted relative paths
// with '/' separators. A pattern without glob characters yields the file if it exists.
// Directories named .git and .sluice are never entered.
[[nodiscard]] Expected<std::vector<std::string>> glob_expand(const std::filesystem::path& root,
                                                             std::string_view pattern);

}  // namespace sluice::base
