#include "engine/registry_push.h"

#include <system_error>

#include <fmt/format.h>

#include "store/database.h"
#include "store/push_records.h"

namespace sluice::engine {

Expected<std::vector<PushedTag>> push_and_record(const RegistryPushRequest& req) {
  auto layout = registry::read_oci_layout(req.from, req.ref);
  if (!layout) return tl::unexpected(layout.error());
  std::error_code ec;
  std::filesystem::create_directories(req.state_db.parent_path(), ec);
  auto db = store::Database::open(req.state_db, store::all_migrations());
  if (!db) return tl::unexpected(db.error());
  std::vector<PushedTag> out;
  for (const auto& to : req.to) {
    registry::ClientOptions options = req.client;
    if (auto c = req.credentials_by_host.find(to.repo.host); c != req.credentials_by_host.end()) {
      options.credentials = c->second;
    }
    registry::Client client(to.repo, options);
    auto stats = registry::push_oci_layout(client, *layout, to.tag);
    if (!stats) return make_error(stats.error().code, fmt::format("pushing to {}: {}", to.display(), stats.error().message));
    store::PushRecord rec{to.repo.host, to.repo.name, to.tag, stats->digest, req.now_ms, req.run_id};
    if (auto r = store::record_push(**db, rec); !r) {
      return make_error(r.error().code, fmt::format("{} was pushed, but recording the push failed: {}", to.display(),
                                                    r.error().message));
    }
    out.push_back({to, *stats});
  }
  return out;
}

void check_push_targets(const pipeline::Pipeline& p, base::Diagnostics& diags) {
  for (const auto& st : p.stages) {
    if (!st.push) continue;
    const std::string& file = st.source_file.empty() ? p.file : st.source_file;
    for (size_t i = 0; i < st.push->to.size(); ++i) {
      const std::string& t = st.push->to[i];
      if (t.find("${{") != std::string::npos) continue;
      auto ref = registry::parse_tag_ref(t);
      if (ref) continue;
      base::yaml::Mark at = i < st.push->to_marks.size() ? st.push->to_marks[i] : st.mark;
      diags.push_back({file, at.line, at.column, fmt::format("\"push.to\": {}", ref.error().message)});
    }
  }
}

std::string push_summary(const std::vector<PushedTag>& pushed) {
  std::string out;
  for (const auto& p : pushed) {
    out += fmt::format("pushed {} {} ({} blobs uploaded, {} already there, {} bytes)\n", p.to.display(),
                       p.stats.digest, p.stats.blobs_uploaded, p.stats.blobs_present, p.stats.bytes_uploaded);
  }
  return out;
}

Expected<std::map<std::string, std::map<std::string, int64_t>>> read_push_records(
    const std::filesystem::path& state_db, const std::vector<registry::RepoRef>& repos) {
  std::map<std::string, std::map<std::string, int64_t>> out;
  std::error_code ec;
  if (!std::filesystem::exists(state_db, ec)) return out;
  auto db = store::Database::open(state_db, store::all_migrations());
  if (!db) return tl::unexpected(db.error());
  for (const auto& r : repos) {
    auto t = store::push_times(**db, r.host, r.name);
    if (!t) return tl::unexpected(t.error());
    out[r.display()] = std::move(*t);
  }
  return out;
}

}  // namespace sluice::engine
