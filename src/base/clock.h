#pragma once
// Time sources behind a seam so that tests can control time where they must.

#include <chrono>
#include <cstdint>

namespace sluice::base {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for durations.
  [[nodiscard]] virtual std::chrono::steady_clock::time_point now() const = 0;
  // Wall-clock time in milliseconds since the Unix epoch, for records.
  [[nodiscard]] virtual int64_t wall_ms() const = 0;
};

// The real clocks. Thread-safe.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::now();
  }
  [[nodiscard]] int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace sluice::base
