#pragma once
// Scanning git history: the lines each commit added (`git log -p -U0`, git plumbing run as a
// child process, no libgit2), or the staged changes (`git diff --cached -U0`) for a pre-commit
// hook. A secret added in one commit and removed in a later one is still found.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "secrets/scanner.h"

namespace sluice::secrets {

// The added lines of one file in one commit, as the parser hands them over.
struct AddedLines {
  std::string_view commit;  // full hash; empty for staged changes
  std::string_view author;
  std::string_view email;
  std::string_view date;    // author date, ISO 8601
  std::string_view path;    // '/'-separated, relative to the repository root
  std::string_view text;    // the added lines, each ending in '\n'
  const std::vector<size_t>* lines;  // 1-based line number in the file of each line of `text`
};

// Incremental parser of `git log -p -U0 --format=<k_git_log_format>` (and `git diff -U0`)
// output: feed() any chunks, finish() at the end; `sink` gets each file's added lines. Lines
// it does not recognise outside a diff (git's messages on the merged stderr) are kept for
// error reports. Not thread-safe; one per stream.
class GitPatchParser {
 public:
  using Sink = std::function<void(const AddedLines&)>;
  explicit GitPatchParser(Sink sink) : m_sink(std::move(sink)) {}
  void feed(std::string_view chunk);
  void finish();
  [[nodiscard]] size_t commits() const { return m_commits; }
  [[nodiscard]] size_t files() const { return m_files; }
  [[nodiscard]] size_t bytes_added() const { return m_bytes; }
  [[nodiscard]] const std::vector<std::string>& other_lines() const { return m_other; }

 private:
  void line(std::string_view l);
  void flush_file();
  Sink m_sink;
  std::string m_pending;  // an incomplete line carried to the next feed()
  std::string m_commit, m_author, m_email, m_date;
  std::string m_path;
  std::string m_text;
  std::vector<size_t> m_lines;
  bool m_in_header = false;  // between "diff --git" and the first "@@"
  bool m_in_hunk = false;
  size_t m_next_line = 0;
  size_t m_commits = 0;
  size_t m_files = 0;
  size_t m_bytes = 0;
  std::vector<std::string> m_other;
};

// The --format given to git log: a record separator, then hash, author, e-mail, date.
inline constexpr std::string_view k_git_log_format = "%x1e%H%x1f%an%x1f%ae%x1f%aI";

struct GitScanOptions {
  std::filesystem::path repo;    // a directory of the repository (git -C)
  std::string range;             // a revision range for git log; empty: all refs (--all)
  bool staged = false;           // scan the index against HEAD instead of history
  std::vector<std::string> env;  // the git child's whole environment ("KEY=value")
  InlineAllow inline_allow = InlineAllow::honor;
};

struct GitScanReport {
  std::vector<Finding> findings;  // in git log order (newest commit first), with commit fields
  size_t commits = 0;
  size_t files = 0;        // file diffs with added lines
  size_t bytes_added = 0;  // bytes of added lines scanned
};

// Runs git and scans every added line with `scanner`. Findings carry the path in the
// repository and the line number in the file at that commit. Fails when git cannot run or
// exits non-zero (not a repository, unknown revision), with git's message. A range starting
// with '-' is refused (it would be read as an option).
[[nodiscard]] Expected<GitScanReport> scan_git(const Scanner& scanner, const GitScanOptions& options);

// The argv of the git command scan_git runs (for tests and messages).
[[nodiscard]] std::vector<std::string> git_command(const GitScanOptions& options);

}  // namespace sluice::secrets
