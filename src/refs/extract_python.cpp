// Python: a tokenizer that knows strings (all prefixes, triple quotes, f-string expressions),
// comments, line joining and indentation, then a scan for import statements over the tokens.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "refs/extract.h"
#include "refs/text_pos.h"

namespace sluice::refs {
namespace {

enum class TokType { name, string, op, newline };

struct Tok {
  TokType type;
  size_t offset;
  std::string_view text;   // name or op text; for strings the literal value (plain strings only)
  bool plain_string = false;  // a string without prefix and escapes: its value is `text`
  bool line_start = false;    // first token of a logical line
  int indent = 0;             // for line_start tokens: indentation width
};

bool is_name_start(unsigned char c) { return c == '_' || static_cast<unsigned>((c | 0x20) - 'a') < 26u || c >= 0x80; }
bool is_name_char(unsigned char c) { return is_name_start(c) || static_cast<unsigned>(c - '0') < 10u; }

class Lexer {
 public:
  explicit Lexer(std::string_view t) : m_t(t) {}

  std::vector<Tok> run() {
    bool at_line_start = true;
    int indent = 0;
    bool pending_start = true;
    while (m_pos < m_t.size()) {
      if (at_line_start) {
        at_line_start = false;
        if (m_depth == 0) {
          indent = 0;
          while (m_pos < m_t.size() && (m_t[m_pos] == ' ' || m_t[m_pos] == '\t' || m_t[m_pos] == '\f')) {
            indent = m_t[m_pos] == '\t' ? (indent / 8 + 1) * 8 : indent + 1;
            ++m_pos;
          }
        }
        continue;
      }
      const unsigned char c = static_cast<unsigned char>(m_t[m_pos]);
      if (c == '#') {
        while (m_pos < m_t.size() && m_t[m_pos] != '\n') ++m_pos;
        continue;
      }
      if (c == '\\' && m_pos + 1 < m_t.size() && (m_t[m_pos + 1] == '\n' || m_t[m_pos + 1] == '\r')) {
        m_pos += 2;
        if (m_t[m_pos - 1] == '\r' && m_pos < m_t.size() && m_t[m_pos] == '\n') ++m_pos;
        continue;
      }
      if (c == '\n') {
        ++m_pos;
        if (m_depth == 0) {
          if (!m_toks.empty() && m_toks.back().type != TokType::newline) {
            m_toks.push_back(Tok{TokType::newline, m_pos - 1, {}, false, false, 0});
          }
          pending_start = true;
        }
        at_line_start = true;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        ++m_pos;
        continue;
      }
      Tok tok{TokType::op, m_pos, {}, false, pending_start, indent};
      if (is_name_start(c)) {
        size_t start = m_pos;
        while (m_pos < m_t.size() && is_name_char(static_cast<unsigned char>(m_t[m_pos]))) ++m_pos;
        if (m_pos < m_t.size() && (m_t[m_pos] == '"' || m_t[m_pos] == '\'') && m_pos - start <= 3 &&
            is_string_prefix(m_t.substr(start, m_pos - start))) {
          tok.type = TokType::string;
          lex_string(start, m_pos - start, tok);
        } else {
          tok.type = TokType::name;
          tok.text = m_t.substr(start, m_pos - start);
        }
      } else if (c == '"' || c == '\'') {
        tok.type = TokType::string;
        lex_string(m_pos, 0, tok);
      } else if (static_cast<unsigned>(c - '0') < 10u) {
        while (m_pos < m_t.size() && (is_name_char(static_cast<unsigned char>(m_t[m_pos])) || m_t[m_pos] == '.')) ++m_pos;
        tok.type = TokType::name;  // a number: never "import"
        tok.text = {};
      } else {
        if (c == '(' || c == '[' || c == '{') ++m_depth;
        if ((c == ')' || c == ']' || c == '}') && m_depth > 0) --m_depth;
        tok.text = m_t.substr(m_pos, 1);
        ++m_pos;
      }
      pending_start = false;
      m_toks.push_back(tok);
    }
    return std::move(m_toks);
  }

 private:
  static bool is_string_prefix(std::string_view p) {
    for (char ch : p) {
      switch (ch | 0x20) {
        case 'r': case 'b': case 'u': case 'f': case 't': break;
        default: return false;
      }
    }
    return true;
  }

  // Lexes a string literal starting at `start` with a prefix of `prefix_len` letters; leaves
  // m_pos after its end (or at the end of the line/text when it is not terminated).
  void lex_string(size_t start, size_t prefix_len, Tok& tok) {
    std::string_view prefix = m_t.substr(start, prefix_len);
    bool raw = false, fmt = false;
    for (char ch : prefix) {
      raw |= (ch | 0x20) == 'r';
      fmt |= (ch | 0x20) == 'f' || (ch | 0x20) == 't';
    }
    size_t q = start + prefix_len;
    const char quote = m_t[q];
    const bool triple = q + 2 < m_t.size() && m_t[q + 1] == quote && m_t[q + 2] == quote;
    m_pos = q + (triple ? 3 : 1);
    const size_t body = m_pos;
    bool escaped = false;
    skip_string_body(quote, triple, raw, fmt, escaped);
    size_t body_end = m_pos;
    if (body_end > body) {
      size_t close = triple ? 3 : 1;
      if (body_end - body >= close && m_t[body_end - 1] == quote) body_end -= close;
    }
    tok.plain_string = prefix.empty() && !escaped && !triple;
    tok.text = m_t.substr(body, body_end - body);
  }

  void skip_string_body(char quote, bool triple, bool raw, bool fmt, bool& escaped) {
    while (m_pos < m_t.size()) {
      const char ch = m_t[m_pos];
      if (ch == '\\') {
        escaped = true;
        m_pos += 2;
        (void)raw;  // a raw string still cannot end at an escaped quote
        continue;
      }
      if (ch == '\n' && !triple) return;  // unterminated: stop at the line end
      if (ch == quote) {
        if (!triple) {
          ++m_pos;
          return;
        }
        if (m_pos + 2 < m_t.size() && m_t[m_pos + 1] == quote && m_t[m_pos + 2] == quote) {
          m_pos += 3;
          return;
        }
      }
      if (fmt && ch == '{') {
        if (m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '{') {
          m_pos += 2;
          continue;
        }
        ++m_pos;
        skip_fstring_expression(triple);
        continue;
      }
      ++m_pos;
    }
  }

  // Inside {...} of an f-string: code, which may hold nested strings (PEP 701) and braces.
  void skip_fstring_expression(bool triple) {
    int depth = 1;
    int guard = 0;
    while (m_pos < m_t.size() && depth > 0) {
      const char ch = m_t[m_pos];
      if (ch == '\n' && !triple) return;
      if (ch == '{') ++depth;
      if (ch == '}') {
        --depth;
        ++m_pos;
        continue;
      }
      if ((ch == '"' || ch == '\'') && ++guard < 64) {
        bool esc = false;
        const bool tri = m_pos + 2 < m_t.size() && m_t[m_pos + 1] == ch && m_t[m_pos + 2] == ch;
        m_pos += tri ? 3 : 1;
        skip_string_body(ch, tri, false, false, esc);
        continue;
      }
      ++m_pos;
    }
  }

  std::string_view m_t;
  size_t m_pos = 0;
  int m_depth = 0;
  std::vector<Tok> m_toks;
};

bool is_op(const Tok& t, char c) { return t.type == TokType::op && t.text.size() == 1 && t.text[0] == c; }
bool is_name(const Tok& t, std::string_view n) { return t.type == TokType::name && t.text == n; }

struct TryFrame {
  int indent;
  size_t first_ref;
  size_t body_end = SIZE_MAX;
};

class Parser {
 public:
  Parser(std::string_view text, std::vector<Tok> toks) : m_pos_of(text), m_toks(std::move(toks)) {}

  std::vector<Reference> run() {
    for (size_t i = 0; i < m_toks.size();) {
      const Tok& t = m_toks[i];
      if (t.line_start) on_line_start(i);
      if (is_name(t, "import") && !(i > 0 && is_op(m_toks[i - 1], '.'))) {
        i = parse_import(i + 1);
      } else if (is_name(t, "from") && !(i > 0 && is_op(m_toks[i - 1], '.'))) {
        i = parse_from(i + 1);
      } else if ((is_name(t, "__import__") || is_name(t, "import_module")) && i + 2 < m_toks.size() &&
                 is_op(m_toks[i + 1], '(') && m_toks[i + 2].type == TokType::string &&
                 m_toks[i + 2].plain_string && !m_toks[i + 2].text.empty() && m_toks[i + 2].text[0] != '.') {
        add(m_toks[i + 2].offset + 1, std::string(m_toks[i + 2].text));
        i += 3;
      } else {
        ++i;
      }
    }
    return std::move(m_refs);
  }

 private:
  // Optional imports: the body of a `try:` whose handler catches ImportError (or anything).
  void on_line_start(size_t i) {
    const Tok& t = m_toks[i];
    while (!m_tries.empty() && t.indent <= m_tries.back().indent) {
      TryFrame& f = m_tries.back();
      if (t.indent == f.indent && is_name(t, "except")) {
        if (f.body_end == SIZE_MAX) f.body_end = m_refs.size();
        if (handler_catches_import_error(i + 1)) {
          m_refs.erase(m_refs.begin() + static_cast<std::ptrdiff_t>(f.first_ref),
                       m_refs.begin() + static_cast<std::ptrdiff_t>(std::min(f.body_end, m_refs.size())));
          m_tries.pop_back();
        }
        break;
      }
      m_tries.pop_back();
    }
    if (is_name(t, "try") && i + 1 < m_toks.size() && is_op(m_toks[i + 1], ':')) {
      m_tries.push_back(TryFrame{t.indent, m_refs.size()});
    }
  }

  bool handler_catches_import_error(size_t i) const {
    if (i < m_toks.size() && is_op(m_toks[i], ':')) return true;  // bare except
    for (; i < m_toks.size() && !is_op(m_toks[i], ':') && m_toks[i].type != TokType::newline; ++i) {
      if (is_name(m_toks[i], "ImportError") || is_name(m_toks[i], "ModuleNotFoundError") ||
          is_name(m_toks[i], "Exception") || is_name(m_toks[i], "BaseException")) {
        return true;
      }
    }
    return false;
  }

  // dotted_name: NAME ('.' NAME)*; returns the index after it, the name in `out`.
  size_t dotted(size_t i, std::string& out) const {
    out.clear();
    while (i < m_toks.size() && m_toks[i].type == TokType::name && !m_toks[i].text.empty() &&
           m_toks[i].text != "import") {
      out.append(m_toks[i].text);
      if (i + 2 < m_toks.size() && is_op(m_toks[i + 1], '.') && m_toks[i + 2].type == TokType::name) {
        out.push_back('.');
        i += 2;
      } else {
        return i + 1;
      }
    }
    return i;
  }

  size_t skip_alias(size_t i) const {
    if (i + 1 < m_toks.size() && is_name(m_toks[i], "as") && m_toks[i + 1].type == TokType::name) return i + 2;
    return i;
  }

  size_t parse_import(size_t i) {
    std::string name;
    while (i < m_toks.size()) {
      const size_t start = i;
      i = dotted(i, name);
      if (name.empty()) return std::max(i, start + 1);
      add(m_toks[start].offset, name);
      i = skip_alias(i);
      if (i < m_toks.size() && is_op(m_toks[i], ',')) {
        ++i;
        continue;
      }
      return i;
    }
    return i;
  }

  size_t parse_from(size_t i) {
    const size_t start = i;
    std::string dots;
    while (i < m_toks.size() && is_op(m_toks[i], '.')) {
      dots.push_back('.');
      ++i;
    }
    std::string name;
    i = dotted(i, name);
    if (i >= m_toks.size() || !is_name(m_toks[i], "import") || (dots.empty() && name.empty())) {
      return start;  // `raise X from Y`, `yield from g`: not an import
    }
    ++i;
    if (!name.empty() && name != "import") {
      add(m_toks[start].offset, dots + name);
      if (dots.empty()) return i;
    }
    // Relative imports: each imported name may be a submodule of the package.
    const std::string base = dots + name + (name.empty() ? "" : ".");
    if (i < m_toks.size() && is_op(m_toks[i], '(')) ++i;
    while (i < m_toks.size() && m_toks[i].type == TokType::name && !m_toks[i].text.empty()) {
      if (!name.empty()) {
        i = skip_alias(i + 1);
      } else {
        add(m_toks[i].offset, base + std::string(m_toks[i].text), /*member=*/true);
        i = skip_alias(i + 1);
      }
      if (i < m_toks.size() && is_op(m_toks[i], ',')) ++i;
      else break;
    }
    return i;
  }

  void add(size_t offset, std::string name, bool member = false) {
    Reference r;
    r.ecosystem = Ecosystem::python;
    r.kind = RefKind::import;
    r.name = std::move(name);
    r.member = member;
    m_pos_of.at(offset, r.line, r.column);
    m_refs.push_back(std::move(r));
  }

  TextPos m_pos_of;
  std::vector<Tok> m_toks;
  std::vector<Reference> m_refs;
  std::vector<TryFrame> m_tries;
};

}  // namespace

std::vector<Reference> extract_python(std::string_view text) {
  Lexer lexer(text);
  std::vector<Tok> toks = lexer.run();
  // Offsets of added references are increasing except for erased optional ones, which is fine.
  return Parser(text, std::move(toks)).run();
}

}  // namespace sluice::refs
