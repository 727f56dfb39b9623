#pragma once
// Pushing an OCI image layout to registries and recording it (`sluice registry push` and the
// `push:` stage kind share this), and reading those records back for `sluice registry prune`
// and the `prune:` stage: the registry module pushes and prunes, the store keeps the records,
// and this is where the two meet (engines never include each other).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "base/error.h"
#include "pipeline/spec.h"
#include "registry/client.h"
#include "registry/oci_layout.h"
#include "registry/reference.h"

namespace sluice::engine {

struct RegistryPushRequest {
  std::filesystem::path from;          // the OCI image layout directory
  std::optional<std::string> ref;      // its index.json entry (org.opencontainers.image.ref.name)
  std::vector<registry::TagRef> to;    // each REGISTRY/REPO:TAG to push it to
  registry::ClientOptions client;      // credentials here are the default for every registry
  std::map<std::string, registry::Credentials> credentials_by_host;  // by host[:port], taking precedence
  std::filesystem::path state_db;      // where the push record goes (created if missing)
  std::string run_id;                  // the run whose stage pushes; empty from the command line
  int64_t now_ms = 0;                  // the push time recorded
};

struct PushedTag {
  registry::TagRef to;
  registry::PushStats stats;
};

// Reads and checks the layout (errors: invalid_input, naming the file and key), then pushes it
// to each target in order and records each push as it succeeds. Stops at the first failure;
// what was pushed before it stays recorded.
[[nodiscard]] Expected<std::vector<PushedTag>> push_and_record(const RegistryPushRequest& req);

// Load-time check of each `push:` stage's `to` written without `${{ ... }}` (those are checked
// when the stage starts, once filled in): a malformed REGISTRY/REPO:TAG is an error at its
// file:line:col.
void check_push_targets(const pipeline::Pipeline& p, base::Diagnostics& diags);

// One line per pushed tag: "pushed REG/REPO:TAG sha256:... (N blobs uploaded, M already there, B bytes)".
[[nodiscard]] std::string push_summary(const std::vector<PushedTag>& pushed);

// Sluice's push records for each repository (keyed by RepoRef::display()): digest -> the
// latest push time. A missing database has none (it is not created).
[[nodiscard]] Expected<std::map<std::string, std::map<std::string, int64_t>>> read_push_records(
    const std::filesystem::path& state_db, const std::vector<registry::RepoRef>& repos);

}  // namespace sluice::engine
