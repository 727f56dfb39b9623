#pragma once
// The reference checker: extracts references from files and resolves each one, in order,
// as builtin (standard library), local (the workspace), declared (manifests), installed
// (this machine, as probed by the caller) or allowed; anything else is a Finding.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/error.h"
#include "refs/manifests.h"
#include "refs/reference.h"

namespace sluice::refs {

// What the machine has, as the caller found it (cli probes python3, node, cc and dpkg and
// caches the answer). Everything may be empty: then the shipped tables alone decide builtins,
// and nothing counts as installed.
struct Toolchain {
  std::vector<std::string> python_stdlib;  // sys.stdlib_module_names
  std::vector<std::string> node_builtins;  // require("module").builtinModules
  std::vector<std::filesystem::path> python_paths;  // site-packages directories
  std::unordered_map<std::string, std::vector<std::string>> python_import_dists;  // importlib.metadata
  std::vector<std::filesystem::path> c_include_dirs;  // the compiler's system include dirs
  std::vector<std::string> debian_packages;  // installed or available (dpkg status, apt lists)
};

struct ImagePolicy {
  std::vector<std::string> allow;  // registry/repo globs; empty: any registry
  bool require_digest = false;
};

struct CheckOptions {
  std::filesystem::path base;       // the workspace root (local resolution, manifests)
  std::vector<std::string> allow;   // names or globs, optionally "python:", "javascript:", "image:" ...
  ImagePolicy images;
  Toolchain toolchain;
};

struct Report {
  std::vector<Finding> findings;
  std::vector<std::string> errors;    // unreadable inputs (exit 2)
  std::vector<std::string> warnings;  // manifests that could not be parsed
  size_t files = 0;
  size_t references = 0;
};

// Built once per workspace (walks it and reads its manifests), then const: check_* may be called
// from several threads.
class Checker {
 public:
  [[nodiscard]] static Expected<std::unique_ptr<Checker>> create(CheckOptions options);
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  // Checks files and directories (recursively: every file of a known type), paths as the user
  // gave them; findings carry paths the same way. Also reports lock-file findings of the
  // workspace's manifests once.
  [[nodiscard]] Report check_paths(const std::vector<std::string>& paths) const;

  // Checks `text` as the content of workspace-relative file `rel` (it need not exist yet: an
  // LLM output before it is written). Findings carry `display` as their path.
  [[nodiscard]] std::vector<Finding> check_text(std::string_view rel, std::string_view text,
                                                const std::string& display) const;

  [[nodiscard]] const Manifests& manifests() const;

  class Impl;

 private:
  explicit Checker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// Parses an allow file: one name or glob a line, # comments.
[[nodiscard]] std::vector<std::string> parse_allow_file(std::string_view text);

}  // namespace sluice::refs
