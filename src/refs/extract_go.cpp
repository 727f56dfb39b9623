// Go: import declarations (single and parenthesised blocks), skipping comments, interpreted
// and raw strings and runes elsewhere.
#include <string>
#include <string_view>
#include <vector>

#include "refs/extract.h"
#include "refs/text_pos.h"

namespace sluice::refs {
namespace {

bool is_id_char(unsigned char c) { return c == '_' || static_cast<unsigned>((c | 0x20) - 'a') < 26u || static_cast<unsigned>(c - '0') < 10u || c >= 0x80; }

class Scanner {
 public:
  explicit Scanner(std::string_view t) : m_t(t), m_pos_of(t) {}

  std::vector<Reference> run() {
    while (m_pos < m_t.size()) {
      skip_space_and_comments();
      if (m_pos >= m_t.size()) break;
      const unsigned char c = static_cast<unsigned char>(m_t[m_pos]);
      if (c == '"' || c == '`' || c == '\'') {
        skip_literal(static_cast<char>(c));
      } else if (is_id_char(c)) {
        const size_t start = m_pos;
        while (m_pos < m_t.size() && is_id_char(static_cast<unsigned char>(m_t[m_pos]))) ++m_pos;
        std::string_view word = m_t.substr(start, m_pos - start);
        const bool member = start > 0 && m_t[start - 1] == '.';
        if (word == "import" && !member) import_decl();
      } else {
        ++m_pos;
      }
    }
    return std::move(m_refs);
  }

 private:
  void skip_space_and_comments() {
    while (m_pos < m_t.size()) {
      const char c = m_t[m_pos];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++m_pos;
      } else if (c == '/' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '/') {
        while (m_pos < m_t.size() && m_t[m_pos] != '\n') ++m_pos;
      } else if (c == '/' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '*') {
        const size_t end = m_t.find("*/", m_pos + 2);
        m_pos = end == std::string_view::npos ? m_t.size() : end + 2;
      } else {
        return;
      }
    }
  }

  // Skips a literal; returns its value when it is a string without escapes.
  std::string_view skip_literal(char quote) {
    const size_t start = ++m_pos;
    bool plain = true;
    while (m_pos < m_t.size() && m_t[m_pos] != quote) {
      if (quote != '`' && m_t[m_pos] == '\n') break;
      if (quote != '`' && m_t[m_pos] == '\\') {
        plain = false;
        ++m_pos;
      }
      ++m_pos;
    }
    const size_t end = std::min(m_pos, m_t.size());
    if (m_pos < m_t.size() && m_t[m_pos] == quote) ++m_pos;
    return plain ? m_t.substr(start, end - start) : std::string_view{};
  }

  // One import spec: [name | _ | .] "path".
  bool import_spec() {
    skip_space_and_comments();
    if (m_pos < m_t.size() && (m_t[m_pos] == '.' || m_t[m_pos] == '_' || is_id_char(static_cast<unsigned char>(m_t[m_pos])))) {
      if (m_t[m_pos] == '.') {
        ++m_pos;
      } else {
        while (m_pos < m_t.size() && is_id_char(static_cast<unsigned char>(m_t[m_pos]))) ++m_pos;
      }
      skip_space_and_comments();
    }
    if (m_pos >= m_t.size() || (m_t[m_pos] != '"' && m_t[m_pos] != '`')) return false;
    const size_t at = m_pos + 1;
    std::string_view path = skip_literal(m_t[m_pos]);
    if (!path.empty()) {
      Reference r;
      r.ecosystem = Ecosystem::go;
      r.kind = RefKind::import;
      r.name = std::string(path);
      m_pos_of.at(at, r.line, r.column);
      m_refs.push_back(std::move(r));
    }
    return true;
  }

  void import_decl() {
    skip_space_and_comments();
    if (m_pos < m_t.size() && m_t[m_pos] == '(') {
      ++m_pos;
      for (int guard = 0; guard < 100000; ++guard) {
        skip_space_and_comments();
        if (m_pos >= m_t.size()) return;
        if (m_t[m_pos] == ')') {
          ++m_pos;
          return;
        }
        if (m_t[m_pos] == ';') {
          ++m_pos;
          continue;
        }
        if (!import_spec()) return;
      }
      return;
    }
    import_spec();
  }

  std::string_view m_t;
  size_t m_pos = 0;
  TextPos m_pos_of;
  std::vector<Reference> m_refs;
};

}  // namespace

std::vector<Reference> extract_go(std::string_view text) { return Scanner(text).run(); }

}  // namespace sluice::refs
