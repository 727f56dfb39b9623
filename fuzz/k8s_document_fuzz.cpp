// libFuzzer target: bytes -> YAML documents -> Kubernetes validation (names, labels, checks and a
// small built-in schema) must never crash, leak, hang or trip UBSan.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "k8s/json_schema.h"
#include "k8s/validator.h"

namespace {
// A schema with every keyword kind the validator supports, so fuzzed documents exercise them.
constexpr std::string_view k_schema = R"({
  "type": "object", "additionalProperties": false, "required": ["apiVersion", "kind"],
  "properties": {
    "apiVersion": {"type": "string"}, "kind": {"type": "string", "enum": ["Pod", "List"]},
    "metadata": {"type": ["object", "null"], "properties": {
      "name": {"type": "string", "maxLength": 253, "pattern": "^[a-z0-9.-]+$"},
      "labels": {"type": "object", "additionalProperties": {"type": "string"}},
      "creationTimestamp": {"type": "string", "format": "date-time"}}},
    "spec": {"type": "object", "properties": {
      "replicas": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 10},
      "port": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
      "data": {"type": "string", "format": "byte"},
      "ip": {"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
      "kind": {"not": {"enum": ["Bad"]}},
      "resources": {"type": "object", "properties": {"limits": {"type": "object",
        "additionalProperties": {"type": "string"}}}},
      "items": {"type": "array", "maxItems": 3, "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}
    }}
  }
})";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto schema = sluice::k8s::CompiledSchema::compile(k_schema, "fuzz-schema");
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The schema compiler is a parser too: feed it the same bytes.
  (void)sluice::k8s::CompiledSchema::compile(text, "fuzz");
  auto docs = sluice::base::yaml::parse(text, "fuzz");
  if (docs && schema) {
    std::vector<sluice::k8s::SchemaIssue> issues;
    for (const auto& d : *docs) {
      (void)schema->validate(d.root, sluice::k8s::Strictness::strict, "", issues);
    }
  }
  return 0;
}
