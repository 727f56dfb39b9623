#pragma once
// The content an approval is bound to (docs/review.md, "The content hash"): a canonical text
// manifest of the pipeline definition hash, each AI stage's name, and the sorted (path, mode,
// SHA-256) of every critical file it wrote, deletions included. The content hash is the
// SHA-256 of that text, so an approval holds for exactly those bytes.
//
//   sluice review manifest v1
//   pipeline <sha256 of the pipeline file>
//   stage <AI stage name>                       (stages sorted by name)
//   file <mode> <sha256> <path>                 (sorted by path; bytewise)
//   file 000000 deleted <path>                  (a path the stage should have written is gone)
//
// Modes are git's: 100644, 100755, 120000 (a symlink: the hash is of its target text).
// In a path, '\' is written "\\" and a newline "\n".

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"

namespace sluice::review {

struct ManifestFile {
  std::string path;    // relative to the workspace, '/' separated
  std::string mode;    // "100644", "100755", "120000"; "000000" when deleted
  std::string sha256;  // "deleted" when deleted
  [[nodiscard]] bool deleted() const { return mode == "000000"; }
};

struct ManifestStage {
  std::string name;
  std::vector<ManifestFile> files;
};

struct Manifest {
  std::string pipeline_hash;
  std::vector<ManifestStage> stages;
};

// The file's entry as it is on disk now (a missing file is a deletion). `content` receives its
// bytes (empty when deleted) for the review diff.
[[nodiscard]] Expected<ManifestFile> read_entry(const std::filesystem::path& workspace,
                                                const std::string& path, std::string* content);

// Sorts and writes the canonical text.
[[nodiscard]] std::string canonical_text(Manifest m);
[[nodiscard]] std::string content_hash(const Manifest& m);

}  // namespace sluice::review
