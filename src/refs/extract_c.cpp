// C/C++: #include directives at the start of a line (after whitespace and comments), outside
// block comments, strings, raw strings and #if 0 ... #endif blocks.
#include <string>
#include <string_view>
#include <vector>

#include "refs/extract.h"
#include "refs/text_pos.h"

namespace sluice::refs {
namespace {

bool is_id_char(unsigned char c) { return c == '_' || static_cast<unsigned>((c | 0x20) - 'a') < 26u || static_cast<unsigned>(c - '0') < 10u; }

class Scanner {
 public:
  explicit Scanner(std::string_view t) : m_t(t), m_pos_of(t) {}

  std::vector<Reference> run() {
    bool line_start = true;
    while (m_pos < m_t.size()) {
      const char c = m_t[m_pos];
      if (c == '\n') {
        line_start = true;
        ++m_pos;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++m_pos;
      } else if (c == '\\' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '\n') {
        m_pos += 2;
      } else if (c == '/' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '/') {
        skip_line_comment();
      } else if (c == '/' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '*') {
        const size_t end = m_t.find("*/", m_pos + 2);
        m_pos = end == std::string_view::npos ? m_t.size() : end + 2;
      } else if (c == '#' && line_start) {
        ++m_pos;
        directive();
        line_start = false;
      } else if (c == '"' || c == '\'') {
        if (m_dead == 0 || c == '"') skip_quoted(c);
        else ++m_pos;
        line_start = false;
      } else if (c == 'R' || c == 'L' || c == 'u' || c == 'U') {
        if (!raw_string()) ++m_pos;
        line_start = false;
      } else {
        ++m_pos;
        line_start = false;
      }
    }
    return std::move(m_refs);
  }

 private:
  void skip_line_comment() {
    while (m_pos < m_t.size() && m_t[m_pos] != '\n') {
      if (m_t[m_pos] == '\\' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '\n') ++m_pos;  // continued
      ++m_pos;
    }
  }

  void skip_quoted(char quote) {
    ++m_pos;
    while (m_pos < m_t.size() && m_t[m_pos] != quote && m_t[m_pos] != '\n') {
      if (m_t[m_pos] == '\\') ++m_pos;
      ++m_pos;
    }
    if (m_pos < m_t.size() && m_t[m_pos] == quote) ++m_pos;
  }

  // R"delim( ... )delim" with an optional u8/u/U/L prefix; false when this is no raw string.
  bool raw_string() {
    if (m_pos > 0 && is_id_char(static_cast<unsigned char>(m_t[m_pos - 1]))) return false;
    size_t p = m_pos;
    if (m_t.compare(p, 2, "u8") == 0) p += 2;
    else if (m_t[p] == 'u' || m_t[p] == 'U' || m_t[p] == 'L') ++p;
    if (p >= m_t.size() || m_t[p] != 'R' || p + 1 >= m_t.size() || m_t[p + 1] != '"') return false;
    p += 2;
    const size_t delim_start = p;
    while (p < m_t.size() && m_t[p] != '(' && p - delim_start <= 16 && m_t[p] != '\n') ++p;
    if (p >= m_t.size() || m_t[p] != '(') return false;
    std::string close;
    close.reserve(p - delim_start + 2);
    close.push_back(')');
    close.append(m_t.data() + delim_start, p - delim_start);
    close.push_back('"');
    const size_t end = m_t.find(close, p + 1);
    m_pos = end == std::string_view::npos ? m_t.size() : end + close.size();
    return true;
  }

  void skip_blanks() {
    while (m_pos < m_t.size() && (m_t[m_pos] == ' ' || m_t[m_pos] == '\t')) ++m_pos;
    if (m_t.compare(m_pos, 2, "/*") == 0) {
      const size_t end = m_t.find("*/", m_pos + 2);
      m_pos = end == std::string_view::npos ? m_t.size() : end + 2;
      skip_blanks();
    }
  }

  std::string_view word() {
    const size_t start = m_pos;
    while (m_pos < m_t.size() && is_id_char(static_cast<unsigned char>(m_t[m_pos]))) ++m_pos;
    return m_t.substr(start, m_pos - start);
  }

  void directive() {
    skip_blanks();
    std::string_view name = word();
    if (name == "if" || name == "ifdef" || name == "ifndef") {
      if (m_dead > 0) {
        ++m_dead;
      } else if (name == "if") {
        skip_blanks();
        const size_t save = m_pos;
        std::string_view cond = word();
        skip_blanks();
        if (cond == "0" && (m_pos >= m_t.size() || m_t[m_pos] == '\n' || m_t.compare(m_pos, 2, "//") == 0)) m_dead = 1;
        else m_pos = save;
      }
    } else if (name == "endif") {
      if (m_dead > 0) --m_dead;
    } else if ((name == "else" || name == "elif") && m_dead == 1) {
      m_dead = 0;
    } else if ((name == "include" || name == "include_next" || name == "import") && m_dead == 0) {
      skip_blanks();
      if (m_pos >= m_t.size()) return;
      const char open = m_t[m_pos];
      if (open != '<' && open != '"') return;
      const char close = open == '<' ? '>' : '"';
      const size_t start = m_pos + 1;
      size_t end = start;
      while (end < m_t.size() && m_t[end] != close && m_t[end] != '\n') ++end;
      if (end >= m_t.size() || m_t[end] != close || end == start) return;
      Reference r;
      r.ecosystem = Ecosystem::c;
      r.kind = RefKind::include;
      r.name = std::string(m_t.substr(start, end - start));
      r.quoted_include = open == '"';
      m_pos_of.at(start, r.line, r.column);
      m_refs.push_back(std::move(r));
      m_pos = end + 1;
    }
    // The rest of the directive line is skipped by the main loop (strings in it are closed on
    // the same line).
  }

  std::string_view m_t;
  size_t m_pos = 0;
  int m_dead = 0;  // nesting depth inside #if 0
  TextPos m_pos_of;
  std::vector<Reference> m_refs;
};

}  // namespace

std::vector<Reference> extract_c(std::string_view text) { return Scanner(text).run(); }

}  // namespace sluice::refs
