#pragma once
// What a workspace declares: Python, npm, Go, Cargo and Helm manifests and their lock files,
// plus the local-resolution hints they carry (tsconfig paths, package.json imports,
// compile_commands.json include dirs, Go main modules). Pure parsing over file contents.

#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "refs/reference.h"

namespace sluice::refs {

struct GoModule {
  std::string path;  // module path from go.mod
  std::string dir;   // workspace-relative directory of go.mod ("" for the root)
};

struct PathAlias {
  std::string dir;        // workspace-relative directory the targets are relative to
  std::string pattern;    // "@app/*" (tsconfig paths) or "#internal/*" (package.json imports)
  std::vector<std::string> targets;  // "src/app/*"
};

struct Manifests {
  std::unordered_set<std::string> python;   // normalised distribution names
  std::unordered_set<std::string> npm;      // package names (dependencies of every kind)
  std::unordered_set<std::string> npm_local;  // names of the workspace's own package.json files
  std::vector<std::string> go_requires;     // required and replaced module paths
  std::vector<GoModule> go_modules;         // main modules in the workspace
  std::unordered_set<std::string> rust;     // Cargo dependencies
  std::vector<PathAlias> aliases;           // tsconfig paths and package.json imports
  std::vector<std::string> ts_base_dirs;    // tsconfig baseUrl directories (workspace-relative)
  std::vector<std::string> include_dirs;    // -I dirs from compile_commands.json (relative or absolute)
  // Manifest file names seen per ecosystem, for messages ("requirements.txt or pyproject.toml").
  std::vector<std::string> python_files, npm_files, go_files, rust_files;
  std::vector<Finding> lock_findings;  // a dependency missing from the lock file next to it
  std::vector<std::string> warnings;   // manifests that could not be parsed: "path: why"
};

// A file of the workspace by its relative path, and a way to read it.
class ManifestSource {
 public:
  virtual ~ManifestSource() = default;
  // Contents of a workspace-relative file; false when it cannot be read.
  virtual bool read(const std::string& rel, std::string& out) const = 0;
  // Whether a workspace-relative file exists.
  [[nodiscard]] virtual bool exists(const std::string& rel) const = 0;
};

// Whether a file name is one load_manifests reads.
[[nodiscard]] bool is_manifest_name(std::string_view name);

// Parses every manifest among `files` (workspace-relative). `display_prefix` is prepended to
// the relative path in lock findings (so they read as the user gave the base directory).
[[nodiscard]] Manifests load_manifests(const std::vector<std::string>& files, const ManifestSource& src,
                                       const std::string& display_prefix);

// Single-file parsers, exposed for tests. Each returns declared names (Python ones not yet
// normalised) with the 1-based line each is declared on.
using Declared = std::vector<std::pair<std::string, int>>;
[[nodiscard]] Declared parse_requirements(std::string_view text);
[[nodiscard]] Declared parse_package_json_deps(std::string_view text);
[[nodiscard]] std::vector<std::string> parse_yarn_lock(std::string_view text);

}  // namespace sluice::refs
