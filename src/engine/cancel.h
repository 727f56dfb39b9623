#pragma once
// A cancellation flag that can also wake a poll(): cancel() sets the flag and makes fd()
// readable. Thread-safe.

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace sluice::engine {

class CancelToken {
 public:
  CancelToken() : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~CancelToken() {
    if (m_fd >= 0) ::close(m_fd);
  }
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void cancel() {
    if (!m_cancelled.exchange(true)) {
      uint64_t one = 1;
      (void)!::write(m_fd, &one, sizeof one);
    }
  }
  [[nodiscard]] bool cancelled() const { return m_cancelled.load(); }
  // Readable once cancelled (never drained, so every poller sees it).
  [[nodiscard]] int fd() const { return m_fd; }
  // For libraries that take a plain flag (e.g. the llm engine's curl progress callback).
  [[nodiscard]] const std::atomic<bool>& flag() const { return m_cancelled; }

 private:
  std::atomic<bool> m_cancelled{false};
  int m_fd;
};

}  // namespace sluice::engine
