#pragma once
// How a repository is laid out, decided before any manifest is validated: which files are
// manifests and which are not (kustomize patches, Helm chart files, CI configuration), and which
// apply units each manifest belongs to. An apply unit is a set of files applied together, so the
// same object twice in it is an error (kubectl create, Helm and kustomize all refuse it):
//   - one file (a multi-document stream), when nothing else claims it;
//   - one kustomization: the files its `resources:` reach, through bases and components;
//   - everything on standard input (a rendered stream);
//   - a directory the user declares (--apply-unit DIR, `validate: { apply_units: [...] }`).
// Nothing is rendered: kustomize and Helm stay the user's tools.
//
// Internal to the k8s module (used by Validator); not thread-safe (borrows the caller's Parser).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/yaml.h"
#include "k8s/validator.h"

namespace sluice::k8s::detail {

enum class FileRole {
  manifest,         // validate as complete objects
  chart_template,   // in a chart's templates/: a manifest when it has no {{ }}, else a template
  kustomization,    // kustomization.yaml itself: resolved here, not validated as an object
  not_manifest,     // recognised YAML that is not a Kubernetes object (patch, values, workflow...)
};

struct LayoutFile {
  std::string name;            // as shown in findings ("-" for standard input)
  std::string key;             // absolute, lexically normal path; "-" for standard input
  FileRole role = FileRole::manifest;
  std::string note;            // not_manifest: what it is, for the note finding
  std::string_view note_rule = "not-manifest";  // or "kustomize-file" (patches, generator inputs)
  std::vector<uint32_t> units;  // apply units beyond the file itself; empty: the file alone
};

struct Layout {
  std::vector<LayoutFile> files;      // in validation order: inputs first, then files they reach
  std::vector<std::string> units;     // unit id -> how findings name it
  std::vector<Finding> findings;      // kustomization problems (errors) and remote-resource notes
  std::vector<Error> errors;          // inputs or --apply-unit directories that do not exist
};

// Expands `paths` (files, directories walked recursively for *.yaml, *.yml, *.json and
// `Kustomization`, "-" for standard input) and `apply_units` (directories, also walked), reads
// and resolves every kustomization met, and assigns roles and units. Reads kustomization files
// only; manifests are read later by the caller.
[[nodiscard]] Layout plan_layout(std::span<const std::string> paths, std::span<const std::string> apply_units,
                                 base::yaml::Parser& parser);

enum class TemplateScope { chart, plain };

// Whether `text` is a template rather than a manifest. In a chart's templates/ (`chart`) any
// "{{" is enough. Elsewhere (`plain`) a "{{ ... }}" counts where a manifest cannot carry one: a
// line that starts with it (actions, includes), an unquoted value or key holding it (YAML would
// read "{{x}}" as a mapping or keep it in a name). Quoted strings and block scalars are data
// (shell scripts, alert texts), and "{{ $labels.x }}" is Prometheus/Alertmanager text, not Helm.
[[nodiscard]] bool looks_like_template(std::string_view text, TemplateScope scope);

// base::yaml's "FILE:LINE:COL: message" lines as findings ("yaml" or "duplicate-key").
[[nodiscard]] std::vector<Finding> yaml_error_findings(const std::string& file, const Error& e);

}  // namespace sluice::k8s::detail
