#pragma once
// JSON values for the output guard: YAML nodes as JSON (YAML 1.2 core schema for plain
// scalars) and a JSON Schema subset (type, properties, required, additionalProperties, items,
// enum, const, minimum, maximum, minLength, maxLength, minItems, maxItems). Internal to llm.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/yaml.h"

namespace sluice::llm {

[[nodiscard]] nlohmann::json yaml_to_json(const base::yaml::Node& node);

// Problems of `value` against `schema`, each "path: message" ("$.spec.replicas: ..."); empty
// when it matches. Unsupported keywords are reported as problems of the schema, never skipped.
[[nodiscard]] std::vector<std::string> check_schema(const nlohmann::json& value, const nlohmann::json& schema);

}  // namespace sluice::llm
