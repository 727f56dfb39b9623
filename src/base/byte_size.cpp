#include "base/byte_size.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "base/strings.h"

namespace sluice::base {

Expected<int64_t> parse_byte_size(std::string_view text) {
  std::string_view s = trim(text);
  const auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("invalid size {}: {} (use e.g. 500M, 2G, 1.5GiB, 4096)", quote(text), why));
  };
  if (s.empty()) return bad("empty");
  size_t i = 0;
  bool digits = false;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) {
    digits = digits || s[i] != '.';
    ++i;
  }
  if (!digits) return bad("expected a number");
  std::string num(s.substr(0, i));
  std::string unit;
  for (char c : trim(s.substr(i))) unit += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  char* end = nullptr;
  const double v = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size()) return bad("malformed number");
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K" || unit == "KB" || unit == "KIB") scale = 1024.0;
  else if (unit == "M" || unit == "MB" || unit == "MIB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GB" || unit == "GIB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TB" || unit == "TIB") scale = 1024.0 * 1024 * 1024 * 1024;
  else return bad(fmt::format("unknown unit \"{}\"", trim(s.substr(i))));
  const double bytes = v * scale;
  if (bytes >= 9.0e18) return bad("too large");
  return static_cast<int64_t>(std::llround(bytes));
}

std::string format_byte_size(int64_t bytes) {
  static constexpr const char* k_units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, k_units[u]);
}

}  // namespace sluice::base
