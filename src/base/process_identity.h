#pragma once
// Who a process is, beyond its PID: a PID is reused once its process is gone, and inside a PID
// namespace (a container) sluice is PID 1 every time. A process is identified by its PID plus
// its start time (clock ticks after boot, /proc/<pid>/stat field 22) plus the boot id; a
// process group by its leader's identity. Linux only (/proc).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::base {

// This machine's boot id (/proc/sys/kernel/random/boot_id); empty if unreadable.
[[nodiscard]] std::string boot_id();
// This process's PID namespace, as /proc/self/ns/pid names it ("pid:[4026531836]"); empty if
// unknown.
[[nodiscard]] std::string pid_namespace();
// Start time of `pid` in clock ticks after boot; nullopt when there is no such process (a
// zombie still has one).
[[nodiscard]] std::optional<uint64_t> process_start_ticks(pid_t pid);

// A process group recorded by an earlier sluice: its leader's pid (= pgid) and start time, the
// boot it ran in, and an environment entry every process of it inherited ("SLUICE_RUN_ID=...").
struct RecordedGroup {
  pid_t pgid = -1;
  uint64_t leader_start = 0;
  std::string boot_id;
  std::string env_marker;
};

// The live (not zombie) processes that provably belong to `g`: none when the boot differs or
// the leader's PID now belongs to another process; every member of the group when the leader
// is the recorded one; when the leader is gone, the group's members that started after it and
// carry `env_marker` in their environment (a group number cannot be reused while it has
// members, but this does not rely on it).
[[nodiscard]] std::vector<pid_t> recorded_group_members(const RecordedGroup& g);

// Stops what is left of `g`: SIGTERM to its members, SIGKILL after `grace` to any still there
// (each checked again before every signal; zombies count as gone, their parent reaps them).
// Returns how many processes it found. Blocks for at most grace + 1 s.
int terminate_recorded_group(const RecordedGroup& g, std::chrono::milliseconds grace);

}  // namespace sluice::base
