#pragma once
// File helpers: whole-file reads, atomic writes (temp file + fsync + rename), scoped temp dirs.

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sluice::base {

// Reads a whole file. The error message names the path and the OS reason.
[[nodiscard]] Expected<std::string> read_file(const std::filesystem::path& path);

// Writes `data` to `path` atomically: a temp file in the same directory is written, fsynced and
// renamed over `path`, so readers see the old or the new content, never half of it. Creates
// missing parent directories.
[[nodiscard]] Expected<void> atomic_write(const std::filesystem::path& path, std::string_view data);

// A directory under $TMPDIR (or /tmp) removed with its content when the object dies.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "sluice");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

}  // namespace sluice::base
