#include "base/glob.h"

#include <algorithm>

#include <fmt/format.h>

namespace sluice::base {
namespace {

bool match_class(std::string_view pat, size_t& i, char c) {
  // pat[i] == '['
  size_t j = i + 1;
  bool negate = j < pat.size() && (pat[j] == '!' || pat[j] == '^');
  if (negate) ++j;
  bool matched = false;
  bool first = true;
  while (j < pat.size() && (first || pat[j] != ']')) {
    first = false;
    char lo = pat[j];
    if (j + 2 < pat.size() && pat[j + 1] == '-' && pat[j + 2] != ']') {
      char hi = pat[j + 2];
      if (c >= lo && c <= hi) matched = true;
      j += 3;
    } else {
      if (c == lo) matched = true;
      ++j;
    }
  }
  i = j;  // at ']' (or end)
  return matched != negate;
}

// Matches one path component (no '/').
bool match_component(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0, star_p = std::string_view::npos, star_i = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star_p = p++;
      star_i = i;
    } else if (p < pat.size() && pat[p] == '?') {
      ++p;
      ++i;
    } else if (p < pat.size() && pat[p] == '[') {
      size_t q = p;
      if (match_class(pat, q, s[i])) {
        p = q + 1;
        ++i;
      } else if (star_p != std::string_view::npos) {
        p = star_p + 1;
        i = ++star_i;
      } else {
        return false;
      }
    } else if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool match_parts(const std::vector<std::string_view>& pat, size_t pi, const std::vector<std::string_view>& path,
                 size_t si) {
  while (pi < pat.size()) {
    if (pat[pi] == "**") {
      for (size_t k = si; k <= path.size(); ++k) {
        if (match_parts(pat, pi + 1, path, k)) return true;
      }
      return false;
    }
    if (si >= path.size() || !match_component(pat[pi], path[si])) return false;
    ++pi;
    ++si;
  }
  return si == path.size();
}

std::vector<std::string_view> components(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t pos = s.find('/', start);
    if (pos == std::string_view::npos) pos = s.size();
    if (pos > start) {
      std::string_view c = s.substr(start, pos - start);
      if (c != ".") out.push_back(c);
    }
    start = pos + 1;
  }
  return out;
}

}  // namespace

bool has_glob_chars(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

bool glob_match(std::string_view pattern, std::string_view path) {
  return match_parts(components(pattern), 0, components(path), 0);
}

Expected<std::vector<std::string>> glob_expand(const std::filesystem::path& root, std::string_view pattern) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  if (!has_glob_chars(pattern)) {
    std::error_code ec;
    if (fs::is_regular_file(root / std::string(pattern), ec)) {
      std::string p;
      for (auto c : components(pattern)) {
        if (!p.empty()) p += '/';
        p += c;
      }
      out.push_back(p);
    }
    return out;
  }
  // Walk from the longest literal directory prefix.
  auto parts = components(pattern);
  std::string prefix;
  size_t k = 0;
  for (; k + 1 < parts.size() && !has_glob_chars(parts[k]); ++k) {
    if (!prefix.empty()) prefix += '/';
    prefix += parts[k];
  }
  fs::path start = prefix.empty() ? root : root / prefix;
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return out;
  bool deep = std::find(parts.begin() + static_cast<long>(k), parts.end(), std::string_view("**")) != parts.end() ||
              parts.size() - k > 1;
  fs::recursive_directory_iterator it(start, fs::directory_options::skip_permission_denied, ec);
  if (ec) return make_error(ErrorCode::io, fmt::format("{}: {}", start.string(), ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return make_error(ErrorCode::io, fmt::format("{}: {}", start.string(), ec.message()));
    const auto& entry = *it;
    std::string name = entry.path().filename().string();
    if (entry.is_directory(ec)) {
      if (name == ".git" || name == ".sluice" || !deep) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    std::string rel = entry.path().lexically_relative(root).generic_string();
    if (glob_match(pattern, rel)) out.push_back(std::move(rel));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sluice::base
