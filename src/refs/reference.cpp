#include "refs/reference.h"

#include <array>
#include <utility>

namespace sluice::refs {
namespace {
constexpr std::array<std::pair<Ecosystem, std::string_view>, 7> k_ecosystems{{
    {Ecosystem::python, "python"},
    {Ecosystem::javascript, "javascript"},
    {Ecosystem::go, "go"},
    {Ecosystem::c, "c"},
    {Ecosystem::debian, "debian"},
    {Ecosystem::rust, "rust"},
    {Ecosystem::image, "image"},
}};
constexpr std::array<std::pair<RefKind, std::string_view>, 5> k_kinds{{
    {RefKind::import, "import"},
    {RefKind::include, "include"},
    {RefKind::package, "package"},
    {RefKind::image, "image"},
    {RefKind::lock, "lock"},
}};
}  // namespace

std::string_view to_string(Ecosystem e) {
  for (const auto& [v, s] : k_ecosystems)
    if (v == e) return s;
  return "unknown";
}

std::string_view to_string(RefKind k) {
  for (const auto& [v, s] : k_kinds)
    if (v == k) return s;
  return "unknown";
}

std::optional<Ecosystem> parse_ecosystem(std::string_view s) {
  for (const auto& [v, n] : k_ecosystems)
    if (n == s) return v;
  if (s == "js" || s == "typescript" || s == "ts" || s == "npm" || s == "node") return Ecosystem::javascript;
  if (s == "py" || s == "pypi") return Ecosystem::python;
  if (s == "cpp" || s == "c++") return Ecosystem::c;
  if (s == "apt" || s == "deb") return Ecosystem::debian;
  if (s == "cargo") return Ecosystem::rust;
  return std::nullopt;
}

}  // namespace sluice::refs
