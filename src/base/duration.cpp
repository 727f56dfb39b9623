#include "base/duration.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "base/strings.h"

namespace sluice::base {

Expected<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::string_view s = trim(text);
  const auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("invalid duration {}: {} (use e.g. 500ms, 30s, 10m, 1h30m)", quote(text), why));
  };
  if (s.empty()) return bad("empty");
  double total_ms = 0;
  while (!s.empty()) {
    size_t i = 0;
    bool digits = false;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) {
      digits = digits || s[i] != '.';
      ++i;
    }
    if (!digits) return bad("expected a number");
    std::string num(s.substr(0, i));
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && ((s[u] >= 'a' && s[u] <= 'z') || (s[u] >= 'A' && s[u] <= 'Z'))) ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    char* end = nullptr;
    double v = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size()) return bad("malformed number");
    double scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    else if (unit == "d") scale = 86'400'000;
    else if (unit.empty()) return bad("missing unit");
    else return bad(fmt::format("unknown unit {}", quote(unit)));
    total_ms += v * scale;
  }
  if (total_ms > 1e15) return bad("too large");
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(total_ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms < 0) return fmt::format("-{}", format_duration(std::chrono::milliseconds(-ms)));
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m{:02}s", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace sluice::base
