#include "base/yaml_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/duration.h"
#include "base/strings.h"

namespace sluice::base::yaml {

void Checker::error(const Mark& at, std::string message) {
  m_diags.push_back({m_file, at.line, at.column, std::move(message)});
}

void Checker::check_keys(const Node& map, std::span<const std::string_view> allowed, std::string_view where) {
  for (const auto& e : map.entries) {
    if (!e.key.is_scalar()) {
      error(e.key, fmt::format("{} keys must be strings", where));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), e.key.scalar) != allowed.end()) continue;
    if (auto hint = closest_match(e.key.scalar, allowed)) {
      error(e.key, fmt::format("unknown key {} (did you mean {}?)", quote(e.key.scalar), quote(*hint)));
    } else {
      error(e.key, fmt::format("unknown key {} in {} (allowed: {})", quote(e.key.scalar), where,
                               fmt::join(allowed, ", ")));
    }
  }
}

bool Checker::expect_map(const Node& n, std::string_view what) {
  if (n.is_map()) return true;
  error(n, fmt::format("{} must be a mapping, not a {}", what, n.type_name()));
  return false;
}

std::optional<std::string> Checker::string(const Node& n, std::string_view key) {
  if (n.is_scalar() && !n.is_null()) return n.scalar;
  error(n, fmt::format("{} must be a string, not a {}", quote(key), n.type_name()));
  return std::nullopt;
}

std::vector<std::string> Checker::strings(const Node& n, std::string_view key) {
  std::vector<std::string> out;
  if (n.is_scalar() && !n.is_null()) {
    out.push_back(n.scalar);
  } else if (n.is_seq()) {
    for (const auto& item : n.items) {
      if (!item.is_scalar() || item.is_null()) {
        error(item, fmt::format("items of {} must be strings, not a {}", quote(key), item.type_name()));
        continue;
      }
      out.push_back(item.scalar);
    }
  } else if (!n.is_null()) {
    error(n, fmt::format("{} must be a list of strings, not a {}", quote(key), n.type_name()));
  }
  return out;
}

std::optional<bool> Checker::boolean(const Node& n, std::string_view key) {
  if (n.is_bool()) return n.as_bool();
  error(n, fmt::format("{} must be true or false, not {}", quote(key), quote(n.scalar)));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> Checker::duration(const Node& n, std::string_view key) {
  if (!n.is_scalar() || n.is_null()) {
    error(n, fmt::format("{} must be a duration such as 30s or 10m", quote(key)));
    return std::nullopt;
  }
  auto d = parse_duration(n.scalar);
  if (!d) {
    error(n, fmt::format("{}: {}", quote(key), d.error().message));
    return std::nullopt;
  }
  return *d;
}

std::optional<double> Checker::number(const Node& n, std::string_view key, double min) {
  double v = 0;
  if (n.is_scalar() && (n.is_int() || n.is_float())) {
    auto [p, ec] = std::from_chars(n.scalar.data(), n.scalar.data() + n.scalar.size(), v);
    if (ec == std::errc() && std::isfinite(v) && v >= min) return v;
  }
  error(n, fmt::format("{} must be a number >= {}, not {}", quote(key), min, quote(n.scalar)));
  return std::nullopt;
}

std::optional<int64_t> Checker::integer(const Node& n, std::string_view key, int64_t min) {
  int64_t v = 0;
  if (n.is_scalar() && n.is_int()) {
    auto [p, ec] = std::from_chars(n.scalar.data(), n.scalar.data() + n.scalar.size(), v);
    if (ec == std::errc() && p == n.scalar.data() + n.scalar.size() && v >= min) return v;
  }
  error(n, fmt::format("{} must be an integer >= {}, not {}", quote(key), min, quote(n.scalar)));
  return std::nullopt;
}

}  // namespace sluice::base::yaml
