#include "llm/pacer.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace sluice::llm {

namespace {
using Ms = std::chrono::milliseconds;
constexpr double k_min_rate = 0.1;   // requests per second: the slowest a 429 can make us
constexpr double k_increase = 0.1;   // added per success
std::chrono::steady_clock::duration interval(double rate) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / rate));
}
}  // namespace

Expected<ProviderPacer::TimePoint> ProviderPacer::wait_turn(const std::atomic<bool>* cancel, TimePoint deadline) {
  TimePoint start;
  {
    std::lock_guard lock(m_mutex);
    const TimePoint now = m_clock.now();
    start = std::max(now, m_next);
    if (start > deadline) {
      const auto wait = std::chrono::duration_cast<Ms>(start - now);
      const auto left = std::chrono::duration_cast<Ms>(std::max(deadline - now, TimePoint::duration::zero()));
      return make_error(ErrorCode::network,
                        fmt::format("the provider is rate limiting (HTTP 429): the next request may go in {} ms, "
                                    "more than the {} ms left of the stage's timeout",
                                    wait.count(), left.count()));
    }
    if (m_rate > 0) m_next = start + interval(m_rate);
  }
  while (m_clock.now() < start) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed))
      return make_error(ErrorCode::network, "LLM call cancelled");
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(Ms(10), start - m_clock.now()));
  }
  return start;
}

void ProviderPacer::on_success() {
  std::lock_guard lock(m_mutex);
  const TimePoint now = m_clock.now();
  m_recent.push_back(now);
  while (!m_recent.empty() && now - m_recent.front() > std::chrono::seconds(1)) m_recent.pop_front();
  if (m_rate > 0) m_rate += k_increase;
}

void ProviderPacer::on_throttled(TimePoint sent, std::optional<Ms> retry_after) {
  std::lock_guard lock(m_mutex);
  const TimePoint now = m_clock.now();
  if (retry_after) m_next = std::max(m_next, now + *retry_after);
  // Requests already in flight when we slowed down say nothing about the new rate.
  if (m_rate > 0 && sent < m_last_decrease) return;
  while (!m_recent.empty() && now - m_recent.front() > std::chrono::seconds(1)) m_recent.pop_front();
  m_rate = m_rate == 0 ? std::max(0.5, static_cast<double>(m_recent.size())) : std::max(k_min_rate, m_rate / 2);
  m_last_decrease = now;
  m_next = std::max(m_next, now + interval(m_rate));
}

double ProviderPacer::rate() const {
  std::lock_guard lock(m_mutex);
  return m_rate;
}

ProviderPacer& Pacers::for_provider(const std::string& name) {
  std::lock_guard lock(m_mutex);
  auto& p = m_pacers[name];
  if (!p) p = std::make_unique<ProviderPacer>(m_clock);
  return *p;
}

}  // namespace sluice::llm
