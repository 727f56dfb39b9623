#pragma once
// What a run shares with other runners (docs/scale-out.md): the remote step cache and the
// state backend. Reads the environment (cli is the only module that does) and the pipeline's
// `cache:`/`state:` sections; messages never show a password (URLs are masked).

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "pipeline/spec.h"
#include "store/remote_cache.h"

namespace sluice::cli {

// The remote cache the pipeline names (`cache.remote`, or SLUICE_CACHE_REMOTE), with write
// access from `cache.remote_write` or SLUICE_CACHE_WRITE=1 (SLUICE_CACHE_WRITE=0 forbids it),
// auth from SLUICE_CACHE_TOKEN (bearer) or SLUICE_CACHE_USER/SLUICE_CACHE_PASSWORD (basic) and
// the HMAC key from SLUICE_CACHE_HMAC_KEY. Null when none is configured; `bad` is set (and the
// problem printed on `err`) when one is configured wrongly.
[[nodiscard]] std::unique_ptr<store::RemoteCache> open_remote_cache(const pipeline::Pipeline& p, std::FILE* err,
                                                                    bool& bad);

// Flushes the upload queue (bounded by SLUICE_CACHE_FLUSH_TIMEOUT seconds, default 10) and prints
// one line of what the remote cache did on `err`.
void finish_remote_cache(store::RemoteCache& remote, std::FILE* err);

// The state backend URL: --state, else SLUICE_STATE_URL, else the pipeline's `state:`. Returns
// "" for the workspace's SQLite database ("sqlite" or nothing set), the postgres:// URL with
// any ${NAME} in it expanded from the environment, or nullopt (after printing why on `err`)
// for a URL that is neither, a reference to an unset variable, or a password written literally
// in sluice.yml (it would be committed: use PGPASSWORD, ~/.pgpass or ${NAME}).
[[nodiscard]] std::optional<std::string> resolve_shared_state(const pipeline::Pipeline& p, const std::string& flag,
                                                              std::FILE* err);

}  // namespace sluice::cli
