#pragma once
// Named stage locks (`locks:` in sluice.yml): two stages holding the same name never run at the
// same time, within one run and across every sluice process in the workspace. Within the run the
// manager counts holders in memory; across processes each name is an flock() on
// `<dir>/<name>.lock`, which the kernel releases when the holder closes it or dies (SIGKILL
// included), so a killed sluice never leaves a lock held.
//
// Across machines: NamedLockBackend is the seam for a shared state backend (advisory locks of a
// PostgreSQL state store, say). None exists yet; locks are per machine and workspace.
//
// Thread-safety: none; the scheduler thread owns the manager.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::engine {

// Locks shared with other processes. try_lock never blocks.
class NamedLockBackend {
 public:
  virtual ~NamedLockBackend() = default;
  // True when this process now holds `name`; false when another holder has it.
  [[nodiscard]] virtual bool try_lock(const std::string& name) = 0;
  virtual void unlock(const std::string& name) = 0;
};

// flock() on `<dir>/<file_name_of(name)>.lock`; the directory is created on first use. If a lock
// file cannot be opened at all, the lock is granted (in-process exclusion still holds).
class FileLocks final : public NamedLockBackend {
 public:
  explicit FileLocks(std::filesystem::path dir) : m_dir(std::move(dir)) {}
  ~FileLocks() override;
  FileLocks(const FileLocks&) = delete;
  FileLocks& operator=(const FileLocks&) = delete;
  [[nodiscard]] bool try_lock(const std::string& name) override;
  void unlock(const std::string& name) override;

  // A file name for any lock name: [A-Za-z0-9_-] kept, anything else replaced and a short hash
  // of the whole name appended, so distinct names never share a file.
  [[nodiscard]] static std::string file_name_of(const std::string& name);

 private:
  std::filesystem::path m_dir;
  std::map<std::string, int> m_fds;  // held lock -> its open file
};

enum class LockResult { acquired, held_here, held_elsewhere };

class LockManager {
 public:
  // `others` may be null: locks then only hold within this process.
  explicit LockManager(std::unique_ptr<NamedLockBackend> others) : m_others(std::move(others)) {}
  // Takes every lock in `names` or none. held_elsewhere means another process holds one: worth
  // trying again later; held_here: a stage of this run does, and its end will say so.
  [[nodiscard]] LockResult try_acquire(const std::vector<std::string>& names);
  void release(const std::vector<std::string>& names);

 private:
  std::map<std::string, int> m_held;  // name -> holders in this run (0 or 1)
  std::unique_ptr<NamedLockBackend> m_others;
};

}  // namespace sluice::engine
