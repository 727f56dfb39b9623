#pragma once
// Kubernetes rules that the published JSON Schemas do not carry: resource quantities, object
// name rules per kind, and label / annotation syntax. Each function mirrors the API server's
// validation in k8s.io/apimachinery/pkg/util/validation. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::k8s {

// resource.Quantity syntax: a signed decimal number with an optional suffix
// (Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent e3 / E-2).
[[nodiscard]] bool is_quantity(std::string_view s);

// Whether a schema location (property names, "[]" for array items, "*" for map values) holds a
// quantity, e.g. {"spec","containers","[]","resources","limits","*"}. The table is in semantics.cpp.
[[nodiscard]] bool is_quantity_path(const std::vector<std::string>& path);

enum class NameRule {
  dns1123_subdomain,  // most kinds: lowercase alphanumerics, '-' and '.', at most 253
  dns1123_label,      // Namespace: lowercase alphanumerics and '-', at most 63
  dns1035_label,      // Service: like a label, but must start with a letter
  path_segment,       // RBAC kinds: anything but "/", "%", "." and ".."
};

[[nodiscard]] NameRule name_rule_for_kind(std::string_view kind);
[[nodiscard]] std::string_view name_rule_label(NameRule r);

// Each returns the reason a value breaks the rule, or nothing when it is valid.
[[nodiscard]] std::optional<std::string> check_name(std::string_view name, NameRule rule);
[[nodiscard]] std::optional<std::string> check_dns1123_label(std::string_view s);
[[nodiscard]] std::optional<std::string> check_dns1123_subdomain(std::string_view s);
// Label and annotation keys: [prefix/]name, prefix a DNS-1123 subdomain, name at most 63 of
// [A-Za-z0-9-_.] starting and ending alphanumeric.
[[nodiscard]] std::optional<std::string> check_qualified_name(std::string_view key);
[[nodiscard]] std::optional<std::string> check_label_value(std::string_view value);

// Kinds that are not namespaced (metadata.namespace is meaningless there).
[[nodiscard]] bool is_cluster_scoped(std::string_view kind);

}  // namespace sluice::k8s
