#pragma once
// The state-backend part of `sluice doctor`, on its own so a new backend adds one branch here:
// which backend the configuration names (--state, SLUICE_STATE_URL, `state:` in sluice.yml,
// else SQLite) and whether it can be reached.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "cli/doctor.h"

namespace sluice::cli::doctor {

struct StateTarget {
  std::string url;     // "sqlite" or a postgres:// / postgresql:// URL, as configured
  std::string source;  // where it came from: "--state", "SLUICE_STATE_URL", "FILE state:", "default"
};

// The first of --state, $SLUICE_STATE_URL and the top-level `state:` of the pipeline file (read
// as plain YAML, so a file this build's loader refuses still names its backend); else sqlite.
[[nodiscard]] StateTarget resolve_state(const Setup& setup);

// A PostgreSQL connection URL, split (libpq's URI form: postgres[ql]://[user[:password]@][host]
// [:port][/dbname][?host=/socket/dir&port=N...]).
struct PostgresUrl {
  std::string user;
  std::string host;  // empty, or starting with '/': a unix socket directory
  int port = 5432;
  std::string dbname;
};
[[nodiscard]] std::optional<PostgresUrl> parse_postgres_url(std::string_view url);

// `url` with the password of its user-info replaced by "***" (for messages).
[[nodiscard]] std::string mask_url_password(std::string_view url);

// SQLite: opens (or, when absent, creates in a scratch directory beside it) the state database
// with every migration applied. PostgreSQL: connects (TCP or unix socket, a few seconds at most)
// and sends the protocol's SSLRequest, so a server that answers is known to speak PostgreSQL.
[[nodiscard]] Check check_state(const StateTarget& target, const std::filesystem::path& workspace);

}  // namespace sluice::cli::doctor
