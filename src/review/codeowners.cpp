#include "review/codeowners.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace sluice::review {
namespace {

std::string regex_escape(char c) {
  static constexpr std::string_view k_special = R"(\^$.|?*+()[]{})";
  return k_special.find(c) != std::string_view::npos ? std::string("\\") + c : std::string(1, c);
}

// The problem with a pattern CODEOWNERS does not accept, or "".
std::string pattern_problem(std::string_view p) {
  if (p.empty()) return "empty pattern";
  if (p[0] == '!')
    return "negation (\"!\") is not supported in CODEOWNERS patterns: list the critical paths "
           "instead";
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] == '[' || p[i] == ']') {
      return "character ranges (\"[ ]\") are not supported in CODEOWNERS patterns: escape them as "
             "\\[ and \\]";
    }
  }
  if (p.find("***") != std::string_view::npos)
    return "a pattern cannot contain three consecutive asterisks";
  return "";
}

// The pattern as an ECMAScript regex matched against the whole path (hmarr/codeowners'
// buildPatternRegex, which mirrors GitHub).
std::string to_regex(std::string_view pattern) {
  if (pattern == "/") return "(?!)";  // matches nothing
  std::vector<std::string> segs;
  for (auto s : base::split(pattern, '/')) segs.emplace_back(s);
  if (segs[0].empty()) {
    segs.erase(segs.begin());
  } else if (segs.size() == 1 || (segs.size() == 2 && segs[1].empty())) {
    if (segs[0] != "**") segs.insert(segs.begin(), "**");
  }
  if (segs.size() > 1 && segs.back().empty()) segs.back() = "**";
  const size_t last = segs.size() - 1;
  bool need_slash = false;
  std::string re;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (seg == "**") {
      if (i == 0 && i == last) {
        re += ".+";
      } else if (i == 0) {
        re += "(?:.+/)?";
        need_slash = false;
      } else if (i == last) {
        re += "/.*";
      } else {
        re += "(?:/.+)?";
        need_slash = true;
      }
    } else if (seg == "*") {
      if (need_slash) re += "/";
      re += "[^/]+";
      need_slash = true;
    } else {
      if (need_slash) re += "/";
      bool escape = false;
      for (char c : seg) {
        if (escape) {
          escape = false;
          re += regex_escape(c);
        } else if (c == '\\') {
          escape = true;
        } else if (c == '*') {
          re += "[^/]*";
        } else if (c == '?') {
          re += "[^/]";
        } else {
          re += regex_escape(c);
        }
      }
      if (i == last) re += "(?:/.*)?";  // no trailing slash: the path and what is below it
      need_slash = true;
    }
  }
  return re;
}

}  // namespace

CompiledPattern CompiledPattern::compile(std::string_view pattern, std::string& error) {
  CompiledPattern c;
  error = pattern_problem(pattern);
  if (!error.empty()) return c;
  try {
    c.m_re = std::regex(to_regex(pattern), std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    error = fmt::format("cannot compile the pattern: {}", e.what());
  }
  return c;
}

bool CompiledPattern::matches(std::string_view path) const {
  return std::regex_match(path.begin(), path.end(), m_re);
}

std::vector<OwnerRule> parse_codeowners(std::string_view text, const std::string& file,
                                        base::Diagnostics& diags) {
  std::vector<OwnerRule> out;
  int line_no = 0;
  for (auto raw : base::split(text, '\n')) {
    ++line_no;
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Leading blanks are not part of the pattern.
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] == '#') continue;
    // The pattern ends at the first unescaped blank; "\#" and "\ " are literal.
    std::string pattern;
    size_t i = start;
    for (; i < line.size() && line[i] != ' ' && line[i] != '\t'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '#' || line[i + 1] == ' ')) {
        pattern += line[++i];
        continue;
      }
      pattern += line[i];
    }
    // Owners follow until a comment.
    std::vector<std::string> owners;
    while (i < line.size()) {
      size_t b = line.find_first_not_of(" \t", i);
      if (b == std::string_view::npos || line[b] == '#') break;
      i = line.find_first_of(" \t", b);
      owners.emplace_back(
          line.substr(b, i == std::string_view::npos ? std::string_view::npos : i - b));
      if (i == std::string_view::npos) break;
    }
    const bool owned = !owners.empty();
    out.push_back({pattern, owned, std::move(owners), file, line_no, static_cast<int>(start) + 1});
  }
  (void)diags;  // patterns are checked when compiled (RuleSet), with the same positions
  return out;
}

RuleSet::RuleSet(std::vector<OwnerRule> rules, base::Diagnostics& diags) {
  for (auto& r : rules) {
    std::string error;
    auto c = CompiledPattern::compile(r.pattern, error);
    if (!error.empty()) {
      diags.push_back(
          {r.file, r.line, r.column, fmt::format("{}: {}", base::quote(r.pattern), error)});
      continue;
    }
    m_rules.push_back(std::move(r));
    m_patterns.push_back(std::move(c));
  }
}

const OwnerRule* RuleSet::last_match(std::string_view path) const {
  for (size_t i = m_rules.size(); i-- > 0;) {
    if (m_patterns[i].matches(path)) return &m_rules[i];
  }
  return nullptr;
}

}  // namespace sluice::review
