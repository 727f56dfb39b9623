#pragma once
// The expression language of `if:` and of `${{ ... }}` in strings (docs/pipeline.md, "Expressions"):
// literals ('str', "str", 12, 1.5, true, false, null), names (env.NAME, matrix.X, params.X,
// git.branch, git.tag, git.event, stages.NAME.outputs.KEY), `==`, `!=`, `&&`, `||`, `!`,
// parentheses, and the functions changed("glob", ...) and always(). No shell is involved.
// Parsing is pure and reports the offset of the first problem; evaluation asks a Scope for names
// and for changed(). Thread-safety: an Expr is immutable once parsed.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"

namespace sluice::pipeline::expr {

// A value: null, a boolean, a number or a string.
struct Value {
  std::variant<std::monostate, bool, double, std::string> v;
  [[nodiscard]] bool truthy() const;      // false, 0, "", null are false
  [[nodiscard]] std::string text() const;  // how it reads when substituted into a string
};
[[nodiscard]] bool equal(const Value& a, const Value& b);

struct Node {
  enum class Kind { literal, name, call, not_, and_, or_, eq, ne } kind = Kind::literal;
  size_t offset = 0;               // where it starts in the expression text
  Value value;                     // literal
  std::vector<std::string> path;   // name: "env", "NAME"; call: the function's name in path[0]
  std::vector<std::unique_ptr<Node>> args;  // operands or call arguments
};

struct Expr {
  std::string text;
  std::unique_ptr<Node> root;
};

// A parse error: its message and the byte offset in the text where it was found.
struct ParseError {
  std::string message;
  size_t offset = 0;
};

// Parses `text` (an optional surrounding "${{ ... }}" is accepted). Depth is bounded (64).
[[nodiscard]] tl::expected<std::shared_ptr<const Expr>, ParseError> parse(std::string_view text);

// Names the expression reads, each as its path ("stages", "build", "outputs", "version"), and
// functions it calls ("changed()", "always()" as one-element paths with the parentheses).
void collect_names(const Node& n, std::vector<std::vector<std::string>>& out);
// Whether the expression calls always().
[[nodiscard]] bool calls_always(const Node& n);

// What an expression reads at evaluation. lookup returns nullopt for a name it does not know
// (it then evaluates to null); changed() is the path filter.
class Scope {
 public:
  virtual ~Scope() = default;
  [[nodiscard]] virtual std::optional<Value> lookup(const std::vector<std::string>& path) const = 0;
  [[nodiscard]] virtual bool changed(const std::vector<std::string>& globs) const = 0;
};

[[nodiscard]] Value evaluate(const Node& n, const Scope& scope);

// One `${{ ... }}` inside a string: the expression's text and where the whole span lies.
struct Placeholder {
  size_t begin = 0;  // at "${{"
  size_t end = 0;    // after "}}"
  std::string_view inner;
};
// The placeholders of `s` in order; an unclosed "${{" is an error naming its offset.
[[nodiscard]] tl::expected<std::vector<Placeholder>, ParseError> placeholders(std::string_view s);

// Replaces each placeholder for which `value_of` returns a string; others stay as written.
template <typename F>
std::string substitute(std::string_view s, const std::vector<Placeholder>& ph, F&& value_of) {
  std::string out;
  size_t at = 0;
  for (const auto& p : ph) {
    std::optional<std::string> v = value_of(p);
    if (!v) continue;
    out.append(s.substr(at, p.begin - at));
    out += *v;
    at = p.end;
  }
  out.append(s.substr(at));
  return out;
}

}  // namespace sluice::pipeline::expr
