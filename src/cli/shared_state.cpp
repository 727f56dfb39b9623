#include "cli/shared_state.h"

#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/terminal.h"

namespace sluice::cli {

std::unique_ptr<store::RemoteCache> open_remote_cache(const pipeline::Pipeline& p, std::FILE* err, bool& bad) {
  store::RemoteCacheOptions o;
  o.url = env_or("SLUICE_CACHE_REMOTE", p.remote_cache.url);
  if (o.url.empty()) return nullptr;
  const std::string write = env_or("SLUICE_CACHE_WRITE");
  o.write = write.empty() ? p.remote_cache.write : (write == "1" || write == "true");
  o.bearer_token = env_or("SLUICE_CACHE_TOKEN");
  o.basic_user = env_or("SLUICE_CACHE_USER");
  o.basic_password = env_or("SLUICE_CACHE_PASSWORD");
  o.hmac_key = env_or("SLUICE_CACHE_HMAC_KEY");
  auto remote = store::RemoteCache::open(std::move(o));
  if (!remote) {
    std::fprintf(err, "sluice: %s\n", remote.error().message.c_str());
    bad = true;
    return nullptr;
  }
  return std::move(*remote);
}

void finish_remote_cache(store::RemoteCache& remote, std::FILE* err) {
  double seconds = 10;
  if (const std::string t = env_or("SLUICE_CACHE_FLUSH_TIMEOUT"); !t.empty()) seconds = std::atof(t.c_str());
  const auto left = remote.flush(std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  const auto s = remote.stats();
  std::string line = fmt::format("sluice: remote cache {}: {} hit{}, {} miss{}", remote.display_url(), s.hits,
                                  s.hits == 1 ? "" : "s", s.misses, s.misses == 1 ? "" : "es");
  if (remote.writable()) line += fmt::format(", {} uploaded, {} already there", s.uploaded, s.skipped);
  if (s.corrupted > 0) line += fmt::format(", {} corrupted (not used)", s.corrupted);
  if (s.errors > 0) line += fmt::format(", {} failed request{}", s.errors, s.errors == 1 ? "" : "s");
  if (s.dropped > 0) line += fmt::format(", {} upload{} dropped", s.dropped, s.dropped == 1 ? "" : "s");
  if (left > 0) line += fmt::format(" ({} left when the {:.0f} s flush ran out)", left, seconds);
  if (s.disabled) line += "; turned off after repeated connection failures";
  std::fprintf(err, "%s\n", line.c_str());
}

std::string resolve_state_url(const pipeline::Pipeline& p, const std::string& flag) {
  if (!flag.empty()) return flag;
  if (std::string env = env_or("SLUICE_STATE_URL"); !env.empty()) return env;
  return p.state;
}

}  // namespace sluice::cli
