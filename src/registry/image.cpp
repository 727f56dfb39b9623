#include "registry/image.h"

#include <charconv>
#include <ctime>

namespace sluice::registry {

std::string_view to_string(AgeSource s) {
  switch (s) {
    case AgeSource::push_record: return "push_record";
    case AgeSource::annotation: return "annotation";
    case AgeSource::label: return "label";
    case AgeSource::config_created: return "config_created";
    case AgeSource::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<int64_t> parse_rfc3339_ms(std::string_view s) {
  auto num = [&](size_t pos, size_t len, int& out) {
    if (pos + len > s.size()) return false;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return ec == std::errc() && p == s.data() + pos + len;
  };
  int year, mon, day, hour, min, sec;
  if (s.size() < 20 || !num(0, 4, year) || s[4] != '-' || !num(5, 2, mon) || s[7] != '-' || !num(8, 2, day) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, hour) || s[13] != ':' || !num(14, 2, min) ||
      s[16] != ':' || !num(17, 2, sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 3; ++d) ms *= 10;
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!num(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, om)) return std::nullopt;
    offset_s = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t t = timegm(&tm);
  return (t - offset_s) * 1000 + ms;
}

}  // namespace sluice::registry
