#pragma once
// Durations as users write them: "500ms", "30s", "2m", "1h30m", "1.5s".

#include <chrono>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sluice::base {

// Parses a Go-style duration. A bare number is rejected (units are required) so that "10" is
// never silently ten milliseconds or ten minutes. Error messages quote the input.
[[nodiscard]] Expected<std::chrono::milliseconds> parse_duration(std::string_view text);

// "1h02m03s", "2m30s", "4.2s", "350ms".
[[nodiscard]] std::string format_duration(std::chrono::milliseconds d);

}  // namespace sluice::base
