#pragma once
// A compiled JSON Schema for the subset that Kubernetes' published schemas use: type, properties,
// required, additionalProperties, items, enum, format, pattern, min/max (length, items,
// properties, value), oneOf/anyOf/allOf/not, x-kubernetes-int-or-string and
// x-kubernetes-preserve-unknown-fields. `$ref` is rejected at compile time (the schemas we target
// are fully expanded); description-like keywords are skipped without building anything.
// Values are checked on YAML nodes directly (no JSON conversion), so a finding keeps the node's
// line and column, and `cpu: 1` (plain integer) is told apart from `cpu: "1"` (string).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/yaml.h"

namespace re2 {
class RE2;
}

namespace sluice::k8s {

// One problem found while checking a value against a schema. `path` is the JSON path relative
// to the value checked (".spec.replicas" style without the leading dot: "spec.replicas").
struct SchemaIssue {
  enum class Kind { type, unknown_field, required, enum_value, format, pattern, range, quantity,
                    one_of, not_schema };
  Kind kind = Kind::type;
  std::string path;
  base::yaml::Mark mark;
  std::string message;
  std::string expected;
  std::string got;
  std::string suggestion;  // unknown fields: the closest known field, if any
};

enum class Strictness { lenient, strict };

// Type bits of a schema's "type" keyword.
enum TypeBit : uint8_t {
  k_null = 1,
  k_boolean = 2,
  k_integer = 4,
  k_number = 8,  // a number is an integer or a float
  k_string = 16,
  k_array = 32,
  k_object = 64,
};

enum class Format : uint8_t { none, int32, int64, date_time, byte, ipv4, ipv6, other };

struct SchemaNode {
  uint8_t types = 0;  // 0: any type
  bool int_or_string = false;
  bool quantity = false;          // a resource.Quantity: numbers are accepted, strings parsed
  bool preserve_unknown = false;  // x-kubernetes-preserve-unknown-fields: anything goes below
  bool closed = false;            // additionalProperties: false
  Format format = Format::none;
  int32_t items = -1;
  int32_t additional = -1;  // additionalProperties as a schema
  int32_t not_schema = -1;
  std::vector<std::pair<std::string, int32_t>> properties;  // sorted by name
  std::vector<std::string> required;
  std::vector<std::string> enum_values;  // scalars, as their text
  std::vector<int32_t> one_of, any_of, all_of;
  std::optional<double> minimum, maximum;
  int64_t min_length = -1, max_length = -1, min_items = -1, max_items = -1;
  int64_t min_properties = -1, max_properties = -1;
  std::shared_ptr<re2::RE2> pattern;  // compiled once when the schema is compiled

  [[nodiscard]] int32_t property(std::string_view name) const;
};

// An immutable compiled schema. Thread-safe to use from several threads once built.
class CompiledSchema {
 public:
  // Compiles a JSON Schema document. `source` names it in error messages.
  [[nodiscard]] static Expected<CompiledSchema> compile(std::string_view json, std::string_view source);

  // Checks `value` and appends every problem to `out`. `base_path` prefixes paths
  // (e.g. "items[2]" for a List element). Returns true when nothing was appended.
  bool validate(const base::yaml::Node& value, Strictness strictness, std::string_view base_path,
                std::vector<SchemaIssue>& out) const;

  [[nodiscard]] const SchemaNode& root() const { return m_nodes.front(); }
  [[nodiscard]] const std::vector<SchemaNode>& nodes() const { return m_nodes; }

 private:
  std::vector<SchemaNode> m_nodes;  // m_nodes[0] is the root
  friend class SchemaCompiler;
  friend class SchemaChecker;
};

// Appends a mapping key to a JSON path: "a.b" for plain keys, `a["x.y/z"]` otherwise.
void append_path_key(std::string& path, std::string_view key);

// YAML 1.2 core-schema type of a node as TypeBit (k_integer for ints, k_number for floats).
[[nodiscard]] uint8_t yaml_type(const base::yaml::Node& n);
[[nodiscard]] std::string type_names(uint8_t types);

}  // namespace sluice::k8s
