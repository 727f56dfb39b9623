#pragma once
// Container image references by the grammar of github.com/distribution/reference:
// [domain[:port]/]path[:tag][@algorithm:hex], normalised as Docker does (docker.io,
// library/ for one-component names).

#include <string>
#include <string_view>

#include "base/error.h"

namespace sluice::refs {

struct ImageRef {
  std::string domain;  // "docker.io" when the reference names none
  std::string path;    // "library/nginx"
  std::string tag;     // empty when absent
  std::string digest;  // "sha256:..." or empty

  // domain/path, e.g. "docker.io/library/nginx": what allow globs match.
  [[nodiscard]] std::string repository() const { return domain + "/" + path; }
};

// Parses a reference; the error says which part breaks the grammar.
[[nodiscard]] Expected<ImageRef> parse_image(std::string_view text);

}  // namespace sluice::refs
