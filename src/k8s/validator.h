#pragma once
// Offline validation of Kubernetes manifests: JSON Schema per kind and version, the API server's
// own rules the schemas lack (names, labels, quantities, duplicate objects), and best-practice
// checks. Built once, reused for many inputs:
//
//   auto v = k8s::Validator::create(opts);          // Expected<Validator>
//   k8s::Report r = v->validate_paths({"k8s/"});    // files, directories, "-" (stdin text)
//   if (r.failed(k8s::Severity::error)) ...
//
// Libraries never print: the caller renders the Report (see k8s/output.h).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "k8s/json_schema.h"
#include "k8s/schema_source.h"

namespace sluice::k8s {

// Notes say what was recognised and deliberately not validated (a template, a kustomize patch,
// a GitHub workflow); they never fail a run. Ordered: a finding fails at `fail_on` or above.
enum class Severity { note, warning, error };

// One problem. `rule` is a stable id (docs/k8s-validation.md lists them all).
struct Finding {
  Severity severity = Severity::error;
  std::string rule;      // "unknown-field", "type", "name", "image-tag", ...
  std::string file;      // as given ("-" for stdin)
  int line = 0;          // 1-based; 0 when unknown
  int column = 0;
  std::string resource;  // "Deployment web" / "Service prod/db"; empty for file-level problems
  std::string path;      // JSON path: "spec.template.spec.containers[0].resources"
  std::string message;
  std::string expected;  // may be empty
  std::string got;       // may be empty
  std::string suggestion;  // unknown fields: the closest known field
};

struct Report {
  std::vector<Finding> findings;  // sorted by file, line, column
  std::vector<Error> errors;      // could not validate at all (I/O, network, bad schema): exit 2
  size_t files = 0;
  size_t documents = 0;  // non-empty YAML documents
  size_t resources = 0;  // objects checked against a schema (List items counted one by one)
  size_t skipped = 0;    // --skip kinds and missing schemas ignored
  // Files recognised as not manifests (templates, patches, Helm values, CI files) each have a
  // note finding; count(Severity::note) counts them.

  [[nodiscard]] size_t count(Severity s) const;
  // Whether any finding is at least as severe as `fail_on`.
  [[nodiscard]] bool failed(Severity fail_on) const;
};

enum class MissingSchemas { error, ignore };

struct ValidateOptions {
  std::vector<std::string> schema_locations;  // directories, templates or URLs; first hit wins
  std::string kubernetes_version = "master";  // for {{ .NormalizedKubernetesVersion }}
  std::filesystem::path cache_dir;            // for downloaded schemas; empty: no disk cache
  Strictness strictness = Strictness::lenient;  // strict: unknown fields are errors, not warnings
  MissingSchemas missing_schemas = MissingSchemas::error;
  std::vector<std::string> skip_kinds;       // kinds not validated at all
  std::vector<std::string> disabled_checks;  // best-practice check ids, or "all"
  // Directories whose files are applied together (--apply-unit): the same object twice in one
  // is an error. Files, kustomizations and standard input are apply units without being named.
  std::vector<std::string> apply_units;
};

// A best-practice check id with what it looks for (for --help and docs).
struct CheckInfo {
  std::string_view id;
  std::string_view description;
};
[[nodiscard]] std::span<const CheckInfo> best_practice_checks();

// Not thread-safe: it caches compiled schemas as it meets new kinds. Use one per thread; the
// compiled schemas themselves are immutable.
class Validator {
 public:
  // Errors (invalid_input): no schema location, a location directory that does not exist, an
  // unknown check id.
  [[nodiscard]] static Expected<Validator> create(ValidateOptions options);

  // Validates files and directories (recursively: *.yaml, *.yml, *.json, kustomizations). "-"
  // stands for `stdin_text`, which the caller has read. Duplicate objects are judged per apply
  // unit (k8s/layout.h: a file, a kustomization, standard input, a declared directory); Service
  // selectors are matched against every input. Kustomize patches, Helm chart files, templates
  // and known non-manifest YAML are recognised and noted, not validated.
  [[nodiscard]] Report validate_paths(std::span<const std::string> paths,
                                      std::optional<std::string_view> stdin_text = std::nullopt);

  struct Input {
    std::string name;  // shown in findings
    std::string_view text;
  };
  // Inputs given in memory are one apply unit together (a rendered stream split up); they are
  // never treated as templates.
  [[nodiscard]] Report validate_inputs(std::span<const Input> inputs);

  Validator(Validator&&) noexcept;
  Validator& operator=(Validator&&) noexcept;
  ~Validator();

 private:
  struct State;
  explicit Validator(std::unique_ptr<State> state);
  // One validate call in steps: begin, one input() per input (nothing borrowed past the call),
  // finish (cross-object rules, sorting). `units`: the apply units the input belongs to beyond
  // itself (indexes into begin's `unit_names`); empty: duplicates are judged within the input.
  void begin(Report& report, std::vector<std::string> unit_names);
  void input(const std::string& name, std::string_view text, std::span<const uint32_t> units);
  void finish();
  std::unique_ptr<State> m_state;
};

}  // namespace sluice::k8s
