// JavaScript/TypeScript: a tokenizer that knows comments, strings, template literals (their
// text is skipped, their ${} expressions are code) and regular expression literals (decided by
// the previous token, as parsers do), then a scan for import/export/require over the tokens.
#include <string>
#include <string_view>
#include <vector>

#include "refs/extract.h"
#include "refs/text_pos.h"

namespace sluice::refs {
namespace {

enum class TokType { name, string, op, number, template_text, regex };

struct Tok {
  TokType type;
  size_t offset;
  std::string_view text;  // names and ops; the value for strings
  bool plain = true;      // strings: no escapes, so `text` is the value
};

bool is_id_start(unsigned char c) { return c == '_' || c == '$' || static_cast<unsigned>((c | 0x20) - 'a') < 26u || c >= 0x80; }
bool is_id_char(unsigned char c) { return is_id_start(c) || static_cast<unsigned>(c - '0') < 10u; }

bool regex_allowed_after(const std::vector<Tok>& toks) {
  if (toks.empty()) return true;
  const Tok& p = toks.back();
  switch (p.type) {
    case TokType::number:
    case TokType::string:
    case TokType::regex:
    case TokType::template_text: return false;
    case TokType::name: {
      static constexpr std::string_view k_keywords[] = {"return", "typeof", "case", "do", "else", "in", "of",
                                                        "new", "delete", "void", "throw", "instanceof",
                                                        "yield", "await"};
      for (auto k : k_keywords)
        if (p.text == k) return true;
      return false;
    }
    case TokType::op: return !(p.text == ")" || p.text == "]");
  }
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view t) : m_t(t) {}

  std::vector<Tok> run() {
    // Brace depths at which a template literal's ${ was opened: a } at that depth resumes the
    // template text.
    std::vector<int> template_stack;
    int depth = 0;
    while (m_pos < m_t.size()) {
      const unsigned char c = static_cast<unsigned char>(m_t[m_pos]);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++m_pos;
        continue;
      }
      if (c == '/' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '/') {
        while (m_pos < m_t.size() && m_t[m_pos] != '\n') ++m_pos;
        continue;
      }
      if (c == '/' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '*') {
        size_t end = m_t.find("*/", m_pos + 2);
        m_pos = end == std::string_view::npos ? m_t.size() : end + 2;
        continue;
      }
      if (c == '#' && m_pos == 0 && m_pos + 1 < m_t.size() && m_t[1] == '!') {  // hashbang
        while (m_pos < m_t.size() && m_t[m_pos] != '\n') ++m_pos;
        continue;
      }
      const size_t start = m_pos;
      if (is_id_start(c)) {
        while (m_pos < m_t.size() && is_id_char(static_cast<unsigned char>(m_t[m_pos]))) ++m_pos;
        m_toks.push_back(Tok{TokType::name, start, m_t.substr(start, m_pos - start)});
      } else if (static_cast<unsigned>(c - '0') < 10u ||
                 (c == '.' && m_pos + 1 < m_t.size() && static_cast<unsigned>(static_cast<unsigned char>(m_t[m_pos + 1]) - '0') < 10u)) {
        while (m_pos < m_t.size() && (is_id_char(static_cast<unsigned char>(m_t[m_pos])) || m_t[m_pos] == '.')) ++m_pos;
        m_toks.push_back(Tok{TokType::number, start, {}});
      } else if (c == '"' || c == '\'') {
        lex_string(static_cast<char>(c));
      } else if (c == '`') {
        ++m_pos;
        if (lex_template_text()) {
          template_stack.push_back(depth);
          ++depth;
        }
      } else if (c == '/' && regex_allowed_after(m_toks)) {
        lex_regex();
      } else {
        if (c == '{' || c == '(' || c == '[') ++depth;
        if (c == '}' || c == ')' || c == ']') {
          if (depth > 0) --depth;
          if (c == '}' && !template_stack.empty() && template_stack.back() == depth) {
            template_stack.pop_back();
            ++m_pos;
            if (lex_template_text()) {
              template_stack.push_back(depth);
              ++depth;
            }
            continue;
          }
        }
        ++m_pos;
        m_toks.push_back(Tok{TokType::op, start, m_t.substr(start, 1)});
      }
    }
    return std::move(m_toks);
  }

 private:
  void lex_string(char quote) {
    const size_t start = m_pos++;
    bool plain = true;
    while (m_pos < m_t.size() && m_t[m_pos] != quote && m_t[m_pos] != '\n') {
      if (m_t[m_pos] == '\\') {
        plain = false;
        ++m_pos;
      }
      ++m_pos;
    }
    const size_t end = std::min(m_pos, m_t.size());
    m_toks.push_back(Tok{TokType::string, start, m_t.substr(start + 1, end - start - 1), plain});
    if (m_pos < m_t.size() && m_t[m_pos] == quote) ++m_pos;
  }

  // Template text after ` or }: returns true when it stopped at ${ (an expression follows).
  bool lex_template_text() {
    const size_t start = m_pos;
    while (m_pos < m_t.size()) {
      const char ch = m_t[m_pos];
      if (ch == '\\') {
        m_pos += 2;
        continue;
      }
      if (ch == '`') {
        ++m_pos;
        m_toks.push_back(Tok{TokType::template_text, start, {}});
        return false;
      }
      if (ch == '$' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == '{') {
        m_pos += 2;
        m_toks.push_back(Tok{TokType::template_text, start, {}});
        m_toks.push_back(Tok{TokType::op, m_pos - 1, "("});  // an expression starts
        return true;
      }
      ++m_pos;
    }
    m_toks.push_back(Tok{TokType::template_text, start, {}});
    return false;
  }

  void lex_regex() {
    const size_t start = m_pos++;
    bool in_class = false;
    while (m_pos < m_t.size() && m_t[m_pos] != '\n') {
      const char ch = m_t[m_pos];
      if (ch == '\\') {
        m_pos += 2;
        continue;
      }
      if (ch == '[') in_class = true;
      else if (ch == ']') in_class = false;
      else if (ch == '/' && !in_class) {
        ++m_pos;
        break;
      }
      ++m_pos;
    }
    while (m_pos < m_t.size() && is_id_char(static_cast<unsigned char>(m_t[m_pos]))) ++m_pos;  // flags
    m_toks.push_back(Tok{TokType::regex, start, {}});
  }

  std::string_view m_t;
  size_t m_pos = 0;
  std::vector<Tok> m_toks;
};

bool is_op(const Tok& t, char c) { return t.type == TokType::op && t.text.size() == 1 && t.text[0] == c; }
bool is_name(const Tok& t, std::string_view n) { return t.type == TokType::name && t.text == n; }

class Parser {
 public:
  Parser(std::string_view text, std::vector<Tok> toks) : m_pos_of(text), m_toks(std::move(toks)) {}

  std::vector<Reference> run() {
    const size_t n = m_toks.size();
    // require()/import() inside try { } are optional dependencies (the catch handles their
    // absence), as Python's try/except ImportError.
    int depth = 0;
    std::vector<int> try_depths;
    for (size_t i = 0; i < n; ++i) {
      const Tok& t = m_toks[i];
      if (is_op(t, '{')) {
        ++depth;
        if (i > 0 && is_name(m_toks[i - 1], "try")) try_depths.push_back(depth);
        continue;
      }
      if (is_op(t, '}')) {
        if (!try_depths.empty() && try_depths.back() == depth) try_depths.pop_back();
        if (depth > 0) --depth;
        continue;
      }
      if (t.type != TokType::name) continue;
      if (!try_depths.empty() && (t.text == "require" || (t.text == "import" && i + 1 < n && is_op(m_toks[i + 1], '(')))) {
        continue;
      }
      const bool member = i > 0 && is_op(m_toks[i - 1], '.') && !(i > 1 && is_op(m_toks[i - 2], '.'));
      if (t.text == "import" && !member) {
        if (i + 1 < n && is_op(m_toks[i + 1], '(')) {
          call_with_literal(i + 1);  // import("x")
        } else if (i + 1 < n && !is_op(m_toks[i + 1], '.')) {
          i = import_clause(i + 1);
        }
      } else if (t.text == "export" && !member) {
        i = export_clause(i + 1);
      } else if (t.text == "require" && i + 1 < n && is_op(m_toks[i + 1], '(')) {
        if (!(i > 0 && is_name(m_toks[i - 1], "function"))) call_with_literal(i + 1);
      }
    }
    return std::move(m_refs);
  }

 private:
  // At "(": a string literal followed by ")" or "," (import("x", {with: ...})).
  void call_with_literal(size_t i) {
    if (i + 2 < m_toks.size() && m_toks[i + 1].type == TokType::string && m_toks[i + 1].plain &&
        (is_op(m_toks[i + 2], ')') || is_op(m_toks[i + 2], ','))) {
      add(m_toks[i + 1]);
    }
  }

  // After `import`: "x"; or bindings then from "x"; or TypeScript's x = require("x").
  size_t import_clause(size_t i) {
    const size_t n = m_toks.size();
    if (i < n && m_toks[i].type == TokType::string) {
      if (m_toks[i].plain) add(m_toks[i]);
      return i;
    }
    return bindings_then_from(i);
  }

  size_t export_clause(size_t i) {
    const size_t n = m_toks.size();
    if (i < n && is_name(m_toks[i], "type")) ++i;
    if (i < n && (is_op(m_toks[i], '*') || is_op(m_toks[i], '{'))) return bindings_then_from(i);
    if (i < n && is_name(m_toks[i], "import")) return import_clause(i + 1);  // export import x = require()
    return i - 1;
  }

  // Import/export bindings ({a, b as c}, * as ns, default, type) then `from "x"`.
  size_t bindings_then_from(size_t i) {
    const size_t n = m_toks.size();
    int braces = 0;
    for (size_t steps = 0; i < n && steps < 4096; ++i, ++steps) {
      const Tok& t = m_toks[i];
      if (is_op(t, '{')) {
        ++braces;
      } else if (is_op(t, '}')) {
        if (--braces < 0) return i;
      } else if (braces == 0 && is_name(t, "from") && i + 1 < n && m_toks[i + 1].type == TokType::string) {
        if (m_toks[i + 1].plain) add(m_toks[i + 1]);
        return i + 1;
      } else if (braces == 0 && is_name(t, "require") && i + 2 < n && is_op(m_toks[i + 1], '(')) {
        call_with_literal(i + 1);
        return i + 1;
      } else if (t.type == TokType::name || is_op(t, ',') || is_op(t, '*') || is_op(t, '=') ||
                 (braces > 0 && t.type == TokType::string)) {
        continue;
      } else {
        return i - 1;
      }
    }
    return i;
  }

  void add(const Tok& str) {
    if (str.text.empty()) return;
    Reference r;
    r.ecosystem = Ecosystem::javascript;
    r.kind = RefKind::import;
    r.name = std::string(str.text);
    m_pos_of.at(str.offset + 1, r.line, r.column);
    m_refs.push_back(std::move(r));
  }

  TextPos m_pos_of;
  std::vector<Tok> m_toks;
  std::vector<Reference> m_refs;
};

}  // namespace

std::vector<Reference> extract_javascript(std::string_view text) {
  Lexer lexer(text);
  return Parser(text, lexer.run()).run();
}

}  // namespace sluice::refs
