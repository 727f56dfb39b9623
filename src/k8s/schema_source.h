#pragma once
// Where schemas come from: --schema-location values, each one of
//   - a directory in the layout {group}/{kind}_{version}.json (kind lowercased, core kinds under
//     core/), e.g. /path/k8s-schemas -> /path/k8s-schemas/apps/deployment_v1.json;
//   - a kubeconform-style template with {{ .ResourceKind }} {{ .ResourceAPIVersion }} {{ .Group }}
//     {{ .NormalizedKubernetesVersion }} {{ .StrictSuffix }} {{ .KindSuffix }};
//   - an http(s) URL (directory layout or template), downloaded once with libcurl and cached on
//     disk under the cache directory as <sha256 of the URL>.json.
// The first location that has a schema wins.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::k8s {

struct TemplateVars {
  std::string kind;                // lowercased kind: "deployment"
  std::string version;             // "v1"
  std::string group;               // "apps"; empty for core
  std::string kubernetes_version;  // "master" or "v1.36.0"
  std::string strict_suffix;       // "-strict" or ""
  std::string kind_suffix;         // "-apps-v1", "-v1"
};

[[nodiscard]] TemplateVars template_vars(std::string_view api_version, std::string_view kind,
                                         std::string_view kubernetes_version, bool strict);

// Expands {{ .Name }} placeholders (spaces inside the braces optional). Unknown names are an error.
[[nodiscard]] Expected<std::string> expand_template(std::string_view tmpl, const TemplateVars& vars);

// GET over http(s). Returns nothing for 404, an Error (network) for other failures.
[[nodiscard]] Expected<std::optional<std::string>> http_get(const std::string& url);

struct SchemaText {
  std::string text;
  std::string origin;  // path or URL it came from
};

// Resolves and reads schema files. Not thread-safe (see Validator).
class SchemaSource {
 public:
  SchemaSource(std::vector<std::string> locations, std::string kubernetes_version,
               std::filesystem::path cache_dir, bool strict);

  // The schema for apiVersion/kind from the first location that has it; nothing when none has
  // it; an Error when a location could not be read (I/O, network, bad template).
  [[nodiscard]] Expected<std::optional<SchemaText>> fetch(std::string_view api_version, std::string_view kind);

 private:
  [[nodiscard]] Expected<std::optional<SchemaText>> fetch_url(const std::string& url);

  std::vector<std::string> m_locations;
  std::string m_kubernetes_version;
  std::filesystem::path m_cache_dir;
  bool m_strict;
};

}  // namespace sluice::k8s
