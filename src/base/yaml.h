#pragma once
// A small YAML document model with source positions, built on libfyaml's event parser.
// Mappings keep their keys in file order; duplicate keys are an error (unlike yaml-cpp, which
// silently keeps one), and every node carries the line and column where it starts.
// JSON is accepted too (it is YAML). Aliases are expanded; merge keys (<<) are not interpreted.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::base::yaml {

struct Mark {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

enum class NodeKind { null, scalar, sequence, mapping };

enum class ScalarStyle { plain, single_quoted, double_quoted, literal, folded };

struct MapEntry;

// One node. Owned by its Document; plain value type, cheap to move.
struct Node {
  NodeKind kind = NodeKind::null;
  Mark mark;
  std::string tag;       // explicit tag if any ("!!str", "!foo"), else empty
  std::string scalar;    // for scalars: the value after unescaping
  ScalarStyle style = ScalarStyle::plain;
  std::vector<Node> items;        // sequence items
  std::vector<MapEntry> entries;  // mapping entries in file order

  [[nodiscard]] bool is_scalar() const { return kind == NodeKind::scalar; }
  [[nodiscard]] bool is_map() const { return kind == NodeKind::mapping; }
  [[nodiscard]] bool is_seq() const { return kind == NodeKind::sequence; }
  // A plain scalar that YAML 1.2's core schema reads as null ("", "~", "null").
  [[nodiscard]] bool is_null() const;
  // Plain scalars only: YAML 1.2 core schema booleans / integers / floats.
  [[nodiscard]] bool is_bool() const;
  [[nodiscard]] bool is_int() const;
  [[nodiscard]] bool is_float() const;
  [[nodiscard]] bool as_bool() const;  // precondition: is_bool()
  // Looks up a mapping key; nullptr when absent or when this is not a mapping.
  [[nodiscard]] const Node* find(std::string_view key) const;
  [[nodiscard]] const MapEntry* find_entry(std::string_view key) const;
  // "mapping", "sequence", "string", "integer", ... for error messages.
  [[nodiscard]] std::string_view type_name() const;
};

struct MapEntry {
  Node key;
  Node value;
};

struct Document {
  Node root;
  bool empty = true;  // no content at all (e.g. "---" followed by nothing)
  Mark start;
};

// Parses every document of `text`. `filename` is used in error messages:
// "FILE:LINE:COL: message". Syntax errors and duplicate keys are returned as one Error whose
// message holds one line per problem.
[[nodiscard]] Expected<std::vector<Document>> parse(std::string_view text, std::string_view filename);

class Parser;
namespace detail {
[[nodiscard]] Expected<std::vector<Document>> parse_libfyaml(std::string_view text, std::string_view filename);
}  // namespace detail

// The same as `parse`, reusable: keeps libfyaml's parser, its diagnostics and the builder's
// scratch buffers between calls, which saves their setup when parsing many small inputs.
// Not thread-safe; use one per thread. Results do not borrow from the Parser or from `text`.
class Parser {
 public:
  Parser();
  Parser(Parser&&) noexcept;
  Parser& operator=(Parser&&) noexcept;
  ~Parser();

  [[nodiscard]] Expected<std::vector<Document>> parse(std::string_view text, std::string_view filename);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  friend Expected<std::vector<Document>> detail::parse_libfyaml(std::string_view, std::string_view);
};

namespace detail {
// For differential tests. `parse` first tries a fast path for plain block-style YAML and falls
// back to libfyaml for everything else; these run one side alone. parse_fast returns nullopt
// when the input is outside the fast path's subset.
[[nodiscard]] std::optional<std::vector<Document>> parse_fast(std::string_view text);
}  // namespace detail

}  // namespace sluice::base::yaml
