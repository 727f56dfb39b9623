#include "secrets/gitignore.h"

namespace sluice::secrets {
namespace {

// Matches a bracket expression at p[0] == '['; advances `p` past it. Returns -1 when malformed.
int match_class(std::string_view& p, char c) {
  size_t i = 1;
  bool negate = false;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  while (i < p.size() && (p[i] != ']' || first)) {
    first = false;
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      i += 2;
    }
    if (c >= lo && c <= hi) matched = true;
    ++i;
  }
  if (i >= p.size()) return -1;
  p.remove_prefix(i + 1);
  return matched != negate ? 1 : 0;
}

bool match_here(std::string_view p, std::string_view s, int depth) {
  if (depth > 64) return false;  // pathological patterns: give up rather than blow up
  while (!p.empty()) {
    if (p.substr(0, 2) == "**") {
      size_t n = 0;
      while (n < p.size() && p[n] == '*') ++n;
      std::string_view rest = p.substr(n);
      if (rest.empty()) return true;
      if (rest[0] == '/') {
        rest.remove_prefix(1);
        // "**/" matches zero or more whole segments.
        if (match_here(rest, s, depth + 1)) return true;
        for (size_t i = 0; i < s.size(); ++i) {
          if (s[i] == '/' && match_here(rest, s.substr(i + 1), depth + 1)) return true;
        }
        return false;
      }
      for (size_t i = 0; i <= s.size(); ++i) {
        if (match_here(rest, s.substr(i), depth + 1)) return true;
      }
      return false;
    }
    const char c = p[0];
    if (c == '*') {
      std::string_view rest = p.substr(1);
      for (size_t i = 0; i <= s.size(); ++i) {
        if (match_here(rest, s.substr(i), depth + 1)) return true;
        if (i < s.size() && s[i] == '/') break;
      }
      return false;
    }
    if (s.empty()) return false;
    if (c == '?') {
      if (s[0] == '/') return false;
      p.remove_prefix(1);
    } else if (c == '[') {
      std::string_view q = p;
      const int m = s[0] == '/' ? 0 : match_class(q, s[0]);
      if (m < 0) {
        if (s[0] != '[') return false;  // malformed class: a literal '['
        p.remove_prefix(1);
      } else {
        if (m == 0) return false;
        p = q;
      }
    } else {
      char lit = c;
      if (c == '\\' && p.size() > 1) {
        lit = p[1];
        p.remove_prefix(1);
      }
      if (s[0] != lit) return false;
      p.remove_prefix(1);
    }
    s.remove_prefix(1);
  }
  return s.empty();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) { return match_here(pattern, path, 0); }

void IgnoreRules::add(std::string_view dir, std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Trailing spaces are ignored unless escaped.
    while (!line.empty() && line.back() == ' ' && !(line.size() >= 2 && line[line.size() - 2] == '\\')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    Pattern p;
    p.dir = std::string(dir);
    if (line[0] == '!') {
      p.negate = true;
      line.erase(0, 1);
    } else if (line[0] == '\\' && line.size() > 1 && (line[1] == '#' || line[1] == '!')) {
      line.erase(0, 1);
    }
    if (!line.empty() && line.back() == '/') {
      p.dir_only = true;
      line.pop_back();
    }
    if (line.empty()) continue;
    if (line.find('/') != std::string::npos) {
      p.anchored = true;
      if (line[0] == '/') line.erase(0, 1);
    }
    p.glob = std::move(line);
    m_patterns.push_back(std::move(p));
  }
}

bool IgnoreRules::ignored(std::string_view path, Kind kind) const {
  bool ignore = false;
  for (const auto& p : m_patterns) {
    if (p.dir_only && kind != Kind::directory) continue;
    std::string_view rel = path;
    if (!p.dir.empty()) {
      if (rel.size() <= p.dir.size() || rel.substr(0, p.dir.size()) != p.dir || rel[p.dir.size()] != '/') continue;
      rel.remove_prefix(p.dir.size() + 1);
    }
    bool m;
    if (p.anchored) {
      m = glob_match(p.glob, rel);
    } else {
      const size_t slash = rel.rfind('/');
      m = glob_match(p.glob, slash == std::string_view::npos ? rel : rel.substr(slash + 1));
    }
    if (m) ignore = !p.negate;
  }
  return ignore;
}

}  // namespace sluice::secrets
