#pragma once
// Whether a recorded run is still alive: its lease. A PID alone cannot say: PIDs are reused,
// and in a container sluice is PID 1 every time, so "is PID 1 alive" is always yes. A run
// records its boot id, its process's start time (clock ticks after boot), its PID namespace and
// a heartbeat the scheduler renews every k_heartbeat_every.
//
// A run is dead when
//   - it ran in another boot of this machine (the boot id differs), or
//   - it ran in our PID namespace and no process has its PID, or that process started at
//     another time (the PID was reused: a later container's PID 1, say), or
//   - it ran in another PID namespace (its PID means nothing here) and its heartbeat is older
//     than k_lease_timeout.
// Runs recorded before leases existed (no boot id) fall back to the PID check.
// A stopped (SIGSTOP, Ctrl-Z) sluice in our namespace stays alive; in another namespace it is
// judged dead once its heartbeat is k_lease_timeout old.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace sluice::store {

inline constexpr std::chrono::seconds k_heartbeat_every{5};
inline constexpr std::chrono::seconds k_lease_timeout{30};

struct RunLease {
  int64_t pid = 0;
  std::string boot_id;               // empty: recorded before leases (schema v2)
  std::optional<int64_t> pid_start;  // clock ticks after boot
  std::string pid_ns;                // "pid:[...]"; empty: unknown
  std::optional<int64_t> heartbeat_ms;
};

// What the judging process sees of its machine.
struct HostView {
  std::string boot_id;
  std::string pid_ns;
  int64_t now_ms = 0;
  // Start time of a PID in our namespace; nullopt when no such process.
  std::function<std::optional<int64_t>(int64_t pid)> start_of;
};

// The current process's view of this machine (reads /proc).
[[nodiscard]] HostView this_host(int64_t now_ms);
// The lease of process `pid` (in our namespace) as of `now_ms`.
[[nodiscard]] RunLease lease_of_process(int64_t pid, int64_t now_ms);
[[nodiscard]] bool lease_alive(const RunLease& lease, const HostView& host);
// As lease_alive() for a run recorded in state shared by many machines (PostgreSQL): another
// boot id means another machine (or another boot of this one; they cannot be told apart), whose
// PIDs mean nothing here, so the heartbeat alone decides there.
[[nodiscard]] bool lease_alive_shared(const RunLease& lease, const HostView& host);

}  // namespace sluice::store
