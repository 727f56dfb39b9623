#pragma once
// Walking directory trees for `sluice scan` and scanning the files on several threads.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "secrets/scanner.h"

namespace sluice::secrets {

struct FileToScan {
  std::filesystem::path fs_path;
  std::string display;  // '/'-separated, as given on the command line, without a leading "./"
};

enum class UseGitignore { yes, no };

struct WalkResult {
  std::vector<FileToScan> files;
  std::vector<std::string> errors;  // unreadable directories, missing roots
  size_t ignored = 0;               // entries skipped by .gitignore patterns
};

// Lists regular files under each root (a root that is a file is listed as is). Skips `.git/`
// directories and symlinks; honours .gitignore files found inside each walked tree.
[[nodiscard]] WalkResult collect_files(std::span<const std::string> roots, UseGitignore use_gitignore);

struct ScanReport {
  std::vector<Finding> findings;  // ordered by path, then position
  std::vector<std::string> errors;
  size_t files_scanned = 0;
  size_t files_binary = 0;  // skipped: a NUL byte in the first 8 KiB
  size_t files_excluded = 0;  // skipped: a global allowlist path
  size_t bytes_scanned = 0;
};

// Scans the files on `threads` threads (0: hardware concurrency). Thread-safe on `scanner`.
[[nodiscard]] ScanReport scan_files(const Scanner& scanner, std::span<const FileToScan> files, unsigned threads);

// True when the buffer looks binary (a NUL byte in its first 8 KiB), as git and ripgrep decide.
[[nodiscard]] bool looks_binary(std::string_view data);

}  // namespace sluice::secrets
