#pragma once
// Best-practice checks on one object (internal to k8s). Each finding is a warning whose id can
// be disabled; see best_practice_checks() in validator.h for the list.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/yaml.h"

namespace sluice::k8s::detail {

struct CheckHit {
  std::string_view rule;
  base::yaml::Mark mark;
  std::string path;
  std::string message;
  std::string expected;
  std::string got;
};

using CheckSink = std::function<void(CheckHit)>;
using CheckEnabled = std::function<bool(std::string_view)>;

// Where a kind keeps its pod spec and pod template metadata ("spec.template"), or nothing.
struct PodLocation {
  const base::yaml::Node* spec = nullptr;
  const base::yaml::Node* labels = nullptr;  // pod labels (template metadata.labels)
  std::string spec_path;
};
[[nodiscard]] PodLocation find_pod(std::string_view kind, const base::yaml::Node& obj, std::string_view base_path);

// Runs the per-object checks (everything except service-selector).
void run_object_checks(std::string_view kind, const base::yaml::Node& obj, std::string_view base_path,
                       const CheckEnabled& enabled, const CheckSink& sink);

// Whether every selector entry is among `labels` (a mapping node).
[[nodiscard]] bool selector_matches(const base::yaml::Node& selector, const base::yaml::Node& labels);

}  // namespace sluice::k8s::detail
