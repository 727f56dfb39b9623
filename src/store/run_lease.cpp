#include "store/run_lease.h"

#include <signal.h>

#include <cerrno>

#include "base/process_identity.h"

namespace sluice::store {

HostView this_host(int64_t now_ms) {
  return {base::boot_id(), base::pid_namespace(), now_ms,
          [](int64_t pid) -> std::optional<int64_t> {
            auto t = base::process_start_ticks(static_cast<pid_t>(pid));
            if (!t) return std::nullopt;
            return static_cast<int64_t>(*t);
          }};
}

RunLease lease_of_process(int64_t pid, int64_t now_ms) {
  RunLease l;
  l.pid = pid;
  l.boot_id = base::boot_id();
  if (auto t = base::process_start_ticks(static_cast<pid_t>(pid))) l.pid_start = static_cast<int64_t>(*t);
  l.pid_ns = base::pid_namespace();
  l.heartbeat_ms = now_ms;
  return l;
}

bool lease_alive(const RunLease& lease, const HostView& host) {
  if (lease.pid <= 0) return false;
  if (lease.boot_id.empty()) {  // an old record: all it has is the PID
    return ::kill(static_cast<pid_t>(lease.pid), 0) == 0 || errno == EPERM;
  }
  if (lease.boot_id != host.boot_id) return false;
  const bool same_namespace = !lease.pid_ns.empty() && lease.pid_ns == host.pid_ns;
  if (same_namespace) {
    auto start = host.start_of(lease.pid);
    return start && (!lease.pid_start || *start == *lease.pid_start);
  }
  const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(k_lease_timeout).count();
  return lease.heartbeat_ms && host.now_ms - *lease.heartbeat_ms <= timeout_ms;
}

bool lease_alive_shared(const RunLease& lease, const HostView& host) {
  if (!lease.boot_id.empty() && lease.boot_id == host.boot_id) return lease_alive(lease, host);
  const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(k_lease_timeout).count();
  return lease.heartbeat_ms && host.now_ms - *lease.heartbeat_ms <= timeout_ms;
}

}  // namespace sluice::store
