#pragma once
// Paths confined to a root directory (the workspace), resolved by the kernel rather than by
// string checks, so a symlink planted inside the root cannot send a write outside it.
// With openat2(RESOLVE_BENEATH) (Linux 5.6+) a symlink that stays inside the root is followed
// and one that leads out is refused; where openat2 is missing or filtered (older kernels,
// some container seccomp profiles) every component is opened with O_NOFOLLOW instead, which
// refuses symlinks altogether.

#include <sys/types.h>

#include <filesystem>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace sluice::base {

// An owned file descriptor, closed when the object dies.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : m_fd(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  [[nodiscard]] int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }

 private:
  int m_fd = -1;
};

enum class CreateDirs { no, yes };

// Opens directory `rel` (relative; "" or "." is the root itself) beneath `root`, creating
// missing directories when asked. Errors name `rel` and say why (a symlink leading out, "..").
[[nodiscard]] Expected<UniqueFd> open_dir_beneath(const std::filesystem::path& root, std::string_view rel,
                                                  CreateDirs create);

// Writes `data` to file `rel` beneath `root` atomically (a temp file beside it, fsync, rename),
// creating missing directories, with permission bits `mode`. A symlink in place of the file
// itself is replaced, never followed.
[[nodiscard]] Expected<void> write_beneath(const std::filesystem::path& root, std::string_view rel,
                                           std::string_view data, mode_t mode = 0644);

namespace detail {
// For tests: force the O_NOFOLLOW fallback as if openat2 were missing.
void set_openat2_disabled(bool disabled);
}  // namespace detail

}  // namespace sluice::base
