#pragma once
// Quota-aware pacing: one ProviderPacer per provider per run, shared by every LLM stage that
// calls it, so that a 429 slows them all instead of each retrying on its own (a stampede).
// Additive-increase / multiplicative-decrease on a request rate: unlimited until the first 429,
// which sets the rate to the successes of the last second; each later 429 (of a request sent
// after the last decrease) halves it; each success adds 0.1 request/s. A Retry-After holds
// every caller of the provider back until it has passed. Thread-safe.

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/error.h"

namespace sluice::llm {

class ProviderPacer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit ProviderPacer(const base::Clock& clock) : m_clock(clock) {}

  // Waits for the caller's turn. Fails at once (the wait in the message) when the turn comes
  // after `deadline`, and when `cancel` becomes true while waiting. Returns the start time.
  [[nodiscard]] Expected<TimePoint> wait_turn(const std::atomic<bool>* cancel, TimePoint deadline);
  void on_success();
  // A 429 for a request sent at `sent`.
  void on_throttled(TimePoint sent, std::optional<std::chrono::milliseconds> retry_after);
  // Requests per second allowed now; 0: not limited.
  [[nodiscard]] double rate() const;

 private:
  const base::Clock& m_clock;
  mutable std::mutex m_mutex;
  double m_rate = 0;
  TimePoint m_next{};
  TimePoint m_last_decrease{};
  std::deque<TimePoint> m_recent;  // successes of the last second
};

// The pacers of one run, one per provider name. Thread-safe; pacers live as long as this.
class Pacers {
 public:
  explicit Pacers(const base::Clock& clock) : m_clock(clock) {}
  [[nodiscard]] ProviderPacer& for_provider(const std::string& name);

 private:
  const base::Clock& m_clock;
  std::mutex m_mutex;
  std::map<std::string, std::unique_ptr<ProviderPacer>> m_pacers;
};

}  // namespace sluice::llm
