#pragma once
// Where a workspace's state lives, named once:
//   <workspace>/.sluice/state.db            the state database (WAL beside it)
//   <workspace>/.sluice/cas/ab/cdef...      content-addressed blobs of the step cache
//   <workspace>/.sluice/runs/<run-id>/      redacted stage logs
//   <workspace>/.sluice/locks/<name>.lock   cross-process stage locks
//   <workspace>/.sluice/last-success-commit the HEAD of the last successful full run (the base
//                                           of `changes:` when neither --since nor the CI gives one)
// Plain paths; nothing is created here.

#include <filesystem>
#include <string>
#include <string_view>

namespace sluice::store {

class StateLayout {
 public:
  static constexpr std::string_view k_dir_name = ".sluice";

  // `dir`: the state directory itself (usually <workspace>/.sluice).
  explicit StateLayout(std::filesystem::path dir) : m_dir(std::move(dir)) {}
  [[nodiscard]] static StateLayout of_workspace(const std::filesystem::path& workspace) {
    return StateLayout(workspace / k_dir_name);
  }

  [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }
  [[nodiscard]] std::filesystem::path database() const { return m_dir / "state.db"; }
  [[nodiscard]] std::filesystem::path cas() const { return m_dir / "cas"; }
  [[nodiscard]] std::filesystem::path runs() const { return m_dir / "runs"; }
  [[nodiscard]] std::filesystem::path run_logs(const std::string& run_id) const { return runs() / run_id; }
  [[nodiscard]] std::filesystem::path locks() const { return m_dir / "locks"; }
  [[nodiscard]] std::filesystem::path last_success_commit() const { return m_dir / "last-success-commit"; }

 private:
  std::filesystem::path m_dir;
};

}  // namespace sluice::store
