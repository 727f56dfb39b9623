#include "llm/gate.h"

#include <algorithm>
#include <chrono>

namespace sluice::llm {

Expected<ConcurrencyGate::Slot> ConcurrencyGate::acquire(
    const std::atomic<bool>* cancel, std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::unique_lock lock(m_mutex);
  while (m_free == 0) {
    if (cancel != nullptr && cancel->load()) return make_error(ErrorCode::network, "LLM call cancelled while queued");
    if (deadline && std::chrono::steady_clock::now() >= *deadline)
      return make_error(ErrorCode::network, "still waiting for a max_concurrency slot at the deadline");
    // Cancellation is a plain flag (set from a signal handler), so poll it.
    m_cv.wait_for(lock, std::chrono::milliseconds(20));
  }
  --m_free;
  ++m_in_use;
  m_peak.store(std::max(m_peak.load(), m_in_use));
  return Slot(this);
}

void ConcurrencyGate::release() {
  {
    std::lock_guard lock(m_mutex);
    ++m_free;
    --m_in_use;
  }
  m_cv.notify_one();
}

}  // namespace sluice::llm
