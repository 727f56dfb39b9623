#pragma once
// What the reference checker extracts and reports: a reference (an import, include, package
// named by an install command, or container image) with its position, and a finding about one.

#include <optional>
#include <string>
#include <string_view>

namespace sluice::refs {

// The ecosystem a reference belongs to; its name is the "language" field of the JSON output.
enum class Ecosystem { python, javascript, go, c, debian, rust, image };

enum class RefKind {
  import,    // import / require / from ... import / Go import
  include,   // #include
  package,   // a package named by an install command (pip install X, npm i X, ...)
  image,     // a container image reference (image: in Kubernetes or compose files)
  lock,      // a manifest dependency missing from its lock file
};

[[nodiscard]] std::string_view to_string(Ecosystem e);
[[nodiscard]] std::string_view to_string(RefKind k);
[[nodiscard]] std::optional<Ecosystem> parse_ecosystem(std::string_view s);

struct Reference {
  Ecosystem ecosystem = Ecosystem::python;
  RefKind kind = RefKind::import;
  std::string name;  // as written: "os.path", "./util", "@scope/pkg/sub", "stdio.h", "nginx:1.27"
  int line = 0;      // 1-based
  int column = 0;    // 1-based, in bytes
  bool quoted_include = false;  // C/C++: #include "x" rather than <x>
  // Python `from . import x` / `from .p import x` gives ".x" / ".p.x": x may be a submodule or
  // a name defined in the package, so it also resolves when the package's __init__ defines it.
  bool member = false;
};

struct Finding {
  std::string path;  // as given (or as found under a given directory)
  int line = 0;
  int column = 0;
  Ecosystem ecosystem = Ecosystem::python;
  RefKind kind = RefKind::import;
  std::string reference;
  std::string reason;      // "unresolved python import \"x\" (not stdlib, ...)"
  std::string suggestion;  // closest known name within edit distance 2, or empty
};

}  // namespace sluice::refs
