#pragma once
// max_concurrency: a counting gate shared by every LLM stage of a run (one object per run,
// owned by the engine). Time spent in acquire() is the stage's queue time. Thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "base/error.h"

namespace sluice::llm {

class ConcurrencyGate {
 public:
  explicit ConcurrencyGate(int slots) : m_free(slots < 1 ? 1 : slots) {}
  ConcurrencyGate(const ConcurrencyGate&) = delete;
  ConcurrencyGate& operator=(const ConcurrencyGate&) = delete;

  // Holds a slot until destroyed.
  class Slot {
   public:
    explicit Slot(ConcurrencyGate* gate) : m_gate(gate) {}
    Slot(Slot&& o) noexcept : m_gate(o.m_gate) { o.m_gate = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot() {
      if (m_gate != nullptr) m_gate->release();
    }

   private:
    ConcurrencyGate* m_gate;
  };

  // Waits for a free slot; fails when `cancel` becomes true while waiting, or (a timeout
  // error) when `deadline` (steady clock) passes first.
  [[nodiscard]] Expected<Slot> acquire(const std::atomic<bool>* cancel,
                                       std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);
  [[nodiscard]] int in_use_peak() const { return m_peak.load(); }

 private:
  void release();
  std::mutex m_mutex;
  std::condition_variable m_cv;
  int m_free;
  int m_in_use = 0;
  std::atomic<int> m_peak{0};
};

}  // namespace sluice::llm
