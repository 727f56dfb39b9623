#include "pipeline/expr.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sluice::pipeline::expr {

bool Value::truthy() const {
  if (std::holds_alternative<bool>(v)) return std::get<bool>(v);
  if (std::holds_alternative<double>(v)) return std::get<double>(v) != 0;
  if (std::holds_alternative<std::string>(v)) return !std::get<std::string>(v).empty();
  return false;
}

std::string Value::text() const {
  if (std::holds_alternative<bool>(v)) return std::get<bool>(v) ? "true" : "false";
  if (std::holds_alternative<double>(v)) {
    double d = std::get<double>(v);
    if (std::floor(d) == d && std::fabs(d) < 1e15) return fmt::format("{}", static_cast<long long>(d));
    return fmt::format("{}", d);
  }
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return "";
}

namespace {

std::optional<double> as_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string copy(s);
  char* end = nullptr;
  double d = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace

// Same types compare directly; a number and a string compare as numbers when the string is one
// (matrix values and outputs are strings: `matrix.python == 3.11` reads as meant); otherwise
// both compare as their text, so null equals "" and true equals "true".
bool equal(const Value& a, const Value& b) {
  if (a.v.index() == b.v.index()) return a.v == b.v;
  auto num = [](const Value& x) -> std::optional<double> {
    if (std::holds_alternative<double>(x.v)) return std::get<double>(x.v);
    if (std::holds_alternative<std::string>(x.v)) return as_number(std::get<std::string>(x.v));
    return std::nullopt;
  };
  if (std::holds_alternative<double>(a.v) || std::holds_alternative<double>(b.v)) {
    auto x = num(a), y = num(b);
    if (x && y) return *x == *y;
  }
  return a.text() == b.text();
}

namespace {

constexpr int k_max_depth = 64;

class Parser {
 public:
  explicit Parser(std::string_view s) : m_s(s) {}

  tl::expected<std::unique_ptr<Node>, ParseError> parse_all() {
    auto n = parse_or(0);
    if (!n) return n;
    skip_space();
    if (m_pos < m_s.size()) return fail(fmt::format("unexpected {}", describe_here()));
    return n;
  }

 private:
  using Result = tl::expected<std::unique_ptr<Node>, ParseError>;

  Result fail(std::string msg) const { return tl::unexpected(ParseError{std::move(msg), m_pos}); }

  std::string describe_here() const {
    if (m_pos >= m_s.size()) return "end of expression";
    size_t n = 1;
    while (m_pos + n < m_s.size() && n < 12 && !std::isspace(static_cast<unsigned char>(m_s[m_pos + n]))) ++n;
    return fmt::format("\"{}\"", m_s.substr(m_pos, n));
  }

  void skip_space() {
    while (m_pos < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_pos]))) ++m_pos;
  }

  bool eat(std::string_view tok) {
    skip_space();
    if (m_s.substr(m_pos, tok.size()) == tok) {
      m_pos += tok.size();
      return true;
    }
    return false;
  }

  static std::unique_ptr<Node> binary(Node::Kind k, size_t at, std::unique_ptr<Node> l, std::unique_ptr<Node> r) {
    auto n = std::make_unique<Node>();
    n->kind = k;
    n->offset = at;
    n->args.push_back(std::move(l));
    n->args.push_back(std::move(r));
    return n;
  }

  Result parse_or(int depth) {
    auto l = parse_and(depth);
    if (!l) return l;
    while (true) {
      skip_space();
      size_t at = m_pos;
      if (!eat("||")) return l;
      auto r = parse_and(depth);
      if (!r) return r;
      l = binary(Node::Kind::or_, at, std::move(*l), std::move(*r));
    }
  }

  Result parse_and(int depth) {
    auto l = parse_eq(depth);
    if (!l) return l;
    while (true) {
      skip_space();
      size_t at = m_pos;
      if (!eat("&&")) return l;
      auto r = parse_eq(depth);
      if (!r) return r;
      l = binary(Node::Kind::and_, at, std::move(*l), std::move(*r));
    }
  }

  Result parse_eq(int depth) {
    auto l = parse_unary(depth);
    if (!l) return l;
    while (true) {
      skip_space();
      size_t at = m_pos;
      Node::Kind k;
      if (eat("==")) k = Node::Kind::eq;
      else if (eat("!=")) k = Node::Kind::ne;
      else return l;
      auto r = parse_unary(depth);
      if (!r) return r;
      l = binary(k, at, std::move(*l), std::move(*r));
    }
  }

  Result parse_unary(int depth) {
    if (depth > k_max_depth) return fail("expression nests too deeply");
    skip_space();
    size_t at = m_pos;
    if (m_s.substr(m_pos, 2) != "!=" && eat("!")) {
      auto operand = parse_unary(depth + 1);
      if (!operand) return operand;
      auto n = std::make_unique<Node>();
      n->kind = Node::Kind::not_;
      n->offset = at;
      n->args.push_back(std::move(*operand));
      return n;
    }
    return parse_primary(depth);
  }

  static bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
  static bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

  Result parse_primary(int depth) {
    skip_space();
    const size_t at = m_pos;
    if (m_pos >= m_s.size()) return fail("expected a value, a name or \"(\" but the expression ends");
    char c = m_s[m_pos];
    if (c == '(') {
      ++m_pos;
      auto inner = parse_or(depth + 1);
      if (!inner) return inner;
      if (!eat(")")) return fail(fmt::format("expected \")\" but found {}", describe_here()));
      return inner;
    }
    if (c == '\'' || c == '"') return parse_string(c);
    if (std::isdigit(static_cast<unsigned char>(c)) || ((c == '-' || c == '.') && m_pos + 1 < m_s.size() &&
                                                         std::isdigit(static_cast<unsigned char>(m_s[m_pos + 1])))) {
      size_t end = m_pos + 1;
      while (end < m_s.size() && (std::isalnum(static_cast<unsigned char>(m_s[end])) || m_s[end] == '.')) ++end;
      auto d = as_number(m_s.substr(m_pos, end - m_pos));
      if (!d) return fail(fmt::format("{} is not a number", fmt::format("\"{}\"", m_s.substr(m_pos, end - m_pos))));
      m_pos = end;
      auto n = std::make_unique<Node>();
      n->offset = at;
      n->value.v = *d;
      return n;
    }
    if (!ident_start(c)) return fail(fmt::format("expected a value, a name or \"(\" but found {}", describe_here()));
    std::vector<std::string> path;
    while (true) {
      size_t b = m_pos;
      while (m_pos < m_s.size() && ident_char(m_s[m_pos])) ++m_pos;
      path.emplace_back(m_s.substr(b, m_pos - b));
      if (m_pos < m_s.size() && m_s[m_pos] == '.') {
        ++m_pos;
        if (m_pos >= m_s.size() || !ident_char(m_s[m_pos])) return fail("expected a name after \".\"");
        continue;
      }
      break;
    }
    auto n = std::make_unique<Node>();
    n->offset = at;
    if (path.size() == 1 && (path[0] == "true" || path[0] == "false")) {
      n->value.v = path[0] == "true";
      return n;
    }
    if (path.size() == 1 && path[0] == "null") return n;
    skip_space();
    if (m_pos < m_s.size() && m_s[m_pos] == '(') {
      if (path.size() != 1 || (path[0] != "changed" && path[0] != "always")) {
        m_pos = at;
        return fail(fmt::format("unknown function \"{}\" (the functions are changed() and always())",
                                fmt::join(path, ".")));
      }
      ++m_pos;
      n->kind = Node::Kind::call;
      n->path = std::move(path);
      if (!eat(")")) {
        while (true) {
          auto arg = parse_or(depth + 1);
          if (!arg) return arg;
          n->args.push_back(std::move(*arg));
          if (eat(")")) break;
          if (!eat(",")) return fail(fmt::format("expected \",\" or \")\" but found {}", describe_here()));
        }
      }
      if (n->path[0] == "always" && !n->args.empty()) {
        m_pos = at;
        return fail("always() takes no arguments");
      }
      if (n->path[0] == "changed") {
        if (n->args.empty()) {
          m_pos = at;
          return fail("changed() needs at least one glob, as changed(\"docs/**\")");
        }
        for (const auto& a : n->args) {
          if (a->kind != Node::Kind::literal || !std::holds_alternative<std::string>(a->value.v)) {
            m_pos = a->offset;
            return fail("the arguments of changed() are quoted globs, as changed(\"docs/**\")");
          }
        }
      }
      return n;
    }
    n->kind = Node::Kind::name;
    n->path = std::move(path);
    return n;
  }

  Result parse_string(char quote) {
    const size_t at = m_pos;
    ++m_pos;
    std::string v;
    while (true) {
      if (m_pos >= m_s.size()) {
        m_pos = at;
        return fail("unterminated string");
      }
      char c = m_s[m_pos++];
      if (c == quote) {
        // 'it''s' as in YAML and GitHub's expressions
        if (quote == '\'' && m_pos < m_s.size() && m_s[m_pos] == '\'') {
          v += '\'';
          ++m_pos;
          continue;
        }
        break;
      }
      if (c == '\\' && quote == '"' && m_pos < m_s.size()) {
        char e = m_s[m_pos++];
        v += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        continue;
      }
      v += c;
    }
    auto n = std::make_unique<Node>();
    n->offset = at;
    n->value.v = std::move(v);
    return n;
  }

  std::string_view m_s;
  size_t m_pos = 0;
};

}  // namespace

tl::expected<std::shared_ptr<const Expr>, ParseError> parse(std::string_view text) {
  std::string_view body = text;
  size_t shift = 0;
  // Allow `if: ${{ ... }}` as GitHub does.
  size_t first = body.find_first_not_of(" \t\r\n");
  size_t last = body.find_last_not_of(" \t\r\n");
  if (first != std::string_view::npos && body.substr(first, 3) == "${{" && last >= first + 4 &&
      body.substr(last - 1, 2) == "}}") {
    shift = first + 3;
    body = body.substr(shift, last - 1 - shift);
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return tl::unexpected(ParseError{"the expression is empty", 0});
  }
  Parser p(body);
  auto root = p.parse_all();
  if (!root) {
    ParseError e = root.error();
    e.offset += shift;
    return tl::unexpected(std::move(e));
  }
  auto out = std::make_shared<Expr>();
  out->text = std::string(text);
  out->root = std::move(*root);
  return std::shared_ptr<const Expr>(std::move(out));
}

void collect_names(const Node& n, std::vector<std::vector<std::string>>& out) {
  if (n.kind == Node::Kind::name) out.push_back(n.path);
  if (n.kind == Node::Kind::call) out.push_back({n.path[0] + "()"});
  for (const auto& a : n.args) collect_names(*a, out);
}

bool calls_always(const Node& n) {
  if (n.kind == Node::Kind::call && n.path[0] == "always") return true;
  for (const auto& a : n.args) {
    if (calls_always(*a)) return true;
  }
  return false;
}

Value evaluate(const Node& n, const Scope& scope) {
  switch (n.kind) {
    case Node::Kind::literal:
      return n.value;
    case Node::Kind::name: {
      auto v = scope.lookup(n.path);
      return v ? *v : Value{};
    }
    case Node::Kind::call: {
      if (n.path[0] == "always") return Value{true};
      std::vector<std::string> globs;
      for (const auto& a : n.args) globs.push_back(evaluate(*a, scope).text());
      return Value{scope.changed(globs)};
    }
    case Node::Kind::not_:
      return Value{!evaluate(*n.args[0], scope).truthy()};
    case Node::Kind::and_:
      return Value{evaluate(*n.args[0], scope).truthy() && evaluate(*n.args[1], scope).truthy()};
    case Node::Kind::or_:
      return Value{evaluate(*n.args[0], scope).truthy() || evaluate(*n.args[1], scope).truthy()};
    case Node::Kind::eq:
      return Value{equal(evaluate(*n.args[0], scope), evaluate(*n.args[1], scope))};
    case Node::Kind::ne:
      return Value{!equal(evaluate(*n.args[0], scope), evaluate(*n.args[1], scope))};
  }
  return Value{};
}

tl::expected<std::vector<Placeholder>, ParseError> placeholders(std::string_view s) {
  std::vector<Placeholder> out;
  size_t at = 0;
  while ((at = s.find("${{", at)) != std::string_view::npos) {
    size_t close = s.find("}}", at + 3);
    if (close == std::string_view::npos) return tl::unexpected(ParseError{"\"${{\" without its closing \"}}\"", at});
    out.push_back({at, close + 2, s.substr(at + 3, close - at - 3)});
    at = close + 2;
  }
  return out;
}

}  // namespace sluice::pipeline::expr
