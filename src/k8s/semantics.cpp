#include "k8s/semantics.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace sluice::k8s {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// Fields typed resource.Quantity in the Kubernetes API, as path suffixes. The published schemas
// flatten Quantity to {"type": "string"}, so this is the only place that knowledge lives.
constexpr std::array<std::string_view, 21> k_quantity_suffixes = {
    "resources.limits.*",         // containers, pod-level resources, PVC spec.resources
    "resources.requests.*",
    "limits.[].max.*",            // LimitRange
    "limits.[].min.*",
    "limits.[].default.*",
    "limits.[].defaultRequest.*",
    "limits.[].maxLimitRequestRatio.*",
    "spec.hard.*",                // ResourceQuota
    "status.hard.*",
    "status.used.*",
    "spec.capacity.*",            // PersistentVolume
    "status.capacity.*",          // Node, PVC
    "status.allocatable.*",       // Node
    "status.allocatedResources.*",
    "overhead.*",                 // Pod
    "overhead.podFixed.*",        // RuntimeClass
    "emptyDir.sizeLimit",
    "target.averageValue",        // HorizontalPodAutoscaler v2 MetricTarget
    "target.value",
    "current.averageValue",
    "current.value",
};

bool ends_with_path(const std::vector<std::string>& path, std::string_view suffix) {
  // Compare segment by segment from the end.
  size_t n = path.size();
  while (!suffix.empty()) {
    size_t dot = suffix.rfind('.');
    std::string_view seg = dot == std::string_view::npos ? suffix : suffix.substr(dot + 1);
    if (n == 0 || path[n - 1] != seg) return false;
    --n;
    suffix = dot == std::string_view::npos ? std::string_view() : suffix.substr(0, dot);
  }
  return true;
}

}  // namespace

bool is_quantity_path(const std::vector<std::string>& path) {
  if (path.empty()) return false;
  // CSIStorageCapacity has top-level quantity fields.
  if (path.size() == 1) return path[0] == "capacity" || path[0] == "maximumVolumeSize";
  for (std::string_view s : k_quantity_suffixes) {
    if (ends_with_path(path, s)) return true;
  }
  return false;
}

bool is_quantity(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  std::string_view suffix = s.substr(i);
  static constexpr std::string_view k_suffixes[] = {"",  "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n",
                                                     "u", "m",  "k",  "M",  "G",  "T",  "P",  "E"};
  if (std::find(std::begin(k_suffixes), std::end(k_suffixes), suffix) != std::end(k_suffixes)) return true;
  // Decimal exponent: e3, E-2, e+6.
  if (suffix[0] != 'e' && suffix[0] != 'E') return false;
  size_t j = 1;
  if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) ++j;
  if (j == suffix.size()) return false;
  for (; j < suffix.size(); ++j) {
    if (suffix[j] < '0' || suffix[j] > '9') return false;
  }
  return true;
}

NameRule name_rule_for_kind(std::string_view kind) {
  if (kind == "Namespace") return NameRule::dns1123_label;
  if (kind == "Service") return NameRule::dns1035_label;
  if (kind == "Role" || kind == "ClusterRole" || kind == "RoleBinding" || kind == "ClusterRoleBinding") {
    return NameRule::path_segment;
  }
  return NameRule::dns1123_subdomain;
}

std::string_view name_rule_label(NameRule r) {
  switch (r) {
    case NameRule::dns1123_subdomain: return "a DNS-1123 subdomain";
    case NameRule::dns1123_label: return "a DNS-1123 label";
    case NameRule::dns1035_label: return "a DNS-1035 label";
    case NameRule::path_segment: return "a path segment name";
  }
  return "";
}

std::optional<std::string> check_dns1123_label(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 63) return fmt::format("must be at most 63 characters (has {})", s.size());
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-') return "must consist of lowercase letters, digits and '-'";
  }
  if (!is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) {
    return "must start and end with a lowercase letter or digit";
  }
  return std::nullopt;
}

std::optional<std::string> check_dns1123_subdomain(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 253) return fmt::format("must be at most 253 characters (has {})", s.size());
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty()) return "must not have empty parts between dots";
    for (char c : part) {
      if (!is_lower_alnum(c) && c != '-') return "must consist of lowercase letters, digits, '-' and '.'";
    }
    if (!is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) {
      return "each dot-separated part must start and end with a lowercase letter or digit";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

std::optional<std::string> check_name(std::string_view name, NameRule rule) {
  switch (rule) {
    case NameRule::dns1123_subdomain: return check_dns1123_subdomain(name);
    case NameRule::dns1123_label: return check_dns1123_label(name);
    case NameRule::dns1035_label: {
      if (auto e = check_dns1123_label(name)) return e;
      if (!(name.front() >= 'a' && name.front() <= 'z')) return "must start with a lowercase letter";
      return std::nullopt;
    }
    case NameRule::path_segment:
      if (name.empty()) return "must not be empty";
      if (name == "." || name == "..") return "may not be '.' or '..'";
      if (name.find_first_of("/%") != std::string_view::npos) return "may not contain '/' or '%'";
      return std::nullopt;
  }
  return std::nullopt;
}

namespace {
std::optional<std::string> check_name_part(std::string_view s, std::string_view what) {
  if (s.empty()) return fmt::format("{} must not be empty", what);
  if (s.size() > 63) return fmt::format("{} must be at most 63 characters (has {})", what, s.size());
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
      return fmt::format("{} must consist of letters, digits, '-', '_' and '.'", what);
    }
  }
  if (!is_alnum(s.front()) || !is_alnum(s.back())) {
    return fmt::format("{} must start and end with a letter or digit", what);
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::string> check_qualified_name(std::string_view key) {
  size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    if (key.find('/', slash + 1) != std::string_view::npos) return "may contain at most one '/'";
    if (auto e = check_dns1123_subdomain(prefix)) return fmt::format("prefix {}", *e);
    return check_name_part(key.substr(slash + 1), "name part");
  }
  return check_name_part(key, "name part");
}

std::optional<std::string> check_label_value(std::string_view value) {
  if (value.empty()) return std::nullopt;
  return check_name_part(value, "value");
}

bool is_cluster_scoped(std::string_view kind) {
  static constexpr std::string_view k_kinds[] = {
      "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
      "CustomResourceDefinition", "PriorityClass", "CSIDriver", "CSINode", "VolumeAttachment",
      "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService", "RuntimeClass",
      "IngressClass", "ComponentStatus", "CertificateSigningRequest", "GatewayClass", "PriorityLevelConfiguration",
      "FlowSchema", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "DeviceClass",
      "ResourceSlice"};
  return std::find(std::begin(k_kinds), std::end(k_kinds), kind) != std::end(k_kinds);
}

}  // namespace sluice::k8s
