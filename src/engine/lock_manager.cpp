#include "engine/lock_manager.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "base/hash.h"

namespace sluice::engine {

FileLocks::~FileLocks() {
  for (auto& [name, fd] : m_fds) ::close(fd);
}

std::string FileLocks::file_name_of(const std::string& name) {
  std::string out;
  bool changed = name.empty();
  for (char c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-';
    out += keep ? c : '_';
    changed = changed || !keep;
  }
  if (out.size() > 64) {
    out.resize(64);
    changed = true;
  }
  if (changed) {
    out.push_back('-');
    out.append(base::sha256_hex(name), 0, 12);
  }
  return out;
}

bool FileLocks::try_lock(const std::string& name) {
  if (m_fds.count(name)) return true;
  std::error_code ec;
  std::filesystem::create_directories(m_dir, ec);
  const auto path = m_dir / (file_name_of(name) + ".lock");
  // O_CLOEXEC: a stage's processes must not inherit the lock, or one left running would hold it.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return true;
  int rc;
  while ((rc = ::flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const bool busy = errno == EWOULDBLOCK;
    ::close(fd);
    return !busy;
  }
  m_fds.emplace(name, fd);
  return true;
}

void FileLocks::unlock(const std::string& name) {
  auto it = m_fds.find(name);
  if (it == m_fds.end()) return;
  ::close(it->second);  // releases the flock
  m_fds.erase(it);
}

LockResult LockManager::try_acquire(const std::vector<std::string>& names) {
  if (names.empty()) return LockResult::acquired;
  for (const auto& n : names) {
    if (m_held[n] > 0) return LockResult::held_here;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (m_others && !m_others->try_lock(names[i])) {
      for (size_t k = 0; k < i; ++k) m_others->unlock(names[k]);
      return LockResult::held_elsewhere;
    }
  }
  for (const auto& n : names) ++m_held[n];
  return LockResult::acquired;
}

void LockManager::release(const std::vector<std::string>& names) {
  for (const auto& n : names) {
    auto it = m_held.find(n);
    if (it == m_held.end() || it->second == 0) continue;
    if (--it->second == 0 && m_others) m_others->unlock(n);
  }
}

}  // namespace sluice::engine
