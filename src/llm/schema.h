#pragma once
// JSON values for the output guard: YAML nodes as JSON (YAML 1.2 core schema for plain
// scalars) and a JSON Schema subset (type, properties, required, additionalProperties, items,
// enum, const, minimum, maximum, minLength, maxLength, minItems, maxItems). Internal to llm.

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/yaml.h"

namespace sluice::llm {

[[nodiscard]] nlohmann::json yaml_to_json(const base::yaml::Node& node);

// Problems of `value` against `schema`, each "path: message" ("$.spec.replicas: ..."); empty
// when it matches. Unsupported keywords are reported as problems of the schema, never skipped.
[[nodiscard]] std::vector<std::string> check_schema(const nlohmann::json& value, const nlohmann::json& schema);

// Why the providers' strict structured-output modes would refuse `schema`, each "key path:
// message" ("$.properties.tag: optional (not in required) ..."); empty when it can be sent. The
// rules are the intersection of OpenAI's (strict: true) and Anthropic's: an object at the root,
// additionalProperties: false and every property required on each object, and only the
// keywords type, properties, required, additionalProperties, items, enum, const, description,
// title ($schema and $id at the root, not sent).
[[nodiscard]] std::vector<std::string> strict_schema_problems(const nlohmann::json& schema);

// The schema as sent to a provider ($schema and $id dropped).
[[nodiscard]] nlohmann::json schema_to_send(const nlohmann::json& schema);

}  // namespace sluice::llm
