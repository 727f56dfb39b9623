#pragma once
// Sizes as users write them: "500M", "2G", "1.5GiB", "4096" (bytes). Suffixes are binary
// (K = 1024), as du -h and docker show them.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sluice::base {

// Parses a size; the error message quotes the input and gives examples.
[[nodiscard]] Expected<int64_t> parse_byte_size(std::string_view text);

// "512 B", "3.4 KiB", "1.2 GiB".
[[nodiscard]] std::string format_byte_size(int64_t bytes);

}  // namespace sluice::base
