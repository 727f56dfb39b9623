// sluice prune: deletes step-cache entries (and the blobs only they reference), LLM responses,
// run records and logs beyond the limits given. Dry run unless --apply. docs/prune.md.
#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/byte_size.h"
#include "base/clock.h"
#include "base/duration.h"
#include "cli/commands.h"
#include "cli/prune.h"
#include "cli/shared_state.h"
#include "store/pruner.h"
#include "store/state_layout.h"
#include "store/state_store.h"

namespace sluice::cli {

namespace {

namespace fs = std::filesystem;

struct PruneArgs {
  std::string workspace = ".";
  std::string older_than;
  std::string max_size;
  int keep_runs = k_keep_runs_unset;
  bool apply = false;
  bool json = false;
  std::string state;  // --state URL
};

std::string bytes(int64_t n) { return base::format_byte_size(n); }

std::string listed(const std::vector<std::string>& items, size_t width) {
  std::string out;
  constexpr size_t k_shown = 10;
  for (size_t i = 0; i < items.size() && i < k_shown; ++i) {
    out += fmt::format("    {}\n", items[i].substr(0, width));
  }
  if (items.size() > k_shown) out += fmt::format("    ... and {} more\n", items.size() - k_shown);
  return out;
}

nlohmann::json to_json(const store::PruneReport& r) {
  const auto& p = r.plan;
  return {{"applied", r.applied},
          {"before",
           {{"step_cache", {{"entries", r.before.step_entries}}},
            {"cas", {{"blobs", r.before.blobs}, {"bytes", r.before.blob_bytes}}},
            {"llm_response_cache", {{"entries", r.before.llm_entries}, {"bytes", r.before.llm_bytes}}},
            {"runs", {{"count", r.before.runs}, {"log_bytes", r.before.log_bytes}}}}},
          {"delete",
           {{"step_cache", {{"entries", p.step_keys.size()}, {"keys", p.step_keys}}},
            {"cas", {{"blobs", p.blobs.size()}, {"bytes", p.blob_bytes}}},
            {"llm_response_cache", {{"entries", p.llm_keys.size()}, {"bytes", p.llm_bytes}, {"keys", p.llm_keys}}},
            {"runs", {{"count", p.run_ids.size()}, {"log_bytes", p.log_bytes}, {"ids", p.run_ids}}},
            {"orphan_log_dirs", r.orphan_log_dirs}}},
          {"bytes_reclaimed", p.bytes()},
          {"kept_bytes", p.kept_bytes},
          {"over_limit", p.over_limit},
          {"blobs_deleted", r.blobs_deleted},
          {"blobs_kept_referenced", r.blobs_kept_referenced},
          {"shared_entries_kept", r.shared_evicted_here.size()}};
}

std::string to_text(const store::PruneReport& r, const std::string& limits_text) {
  const auto& p = r.plan;
  const char* verb = r.applied ? "deleted" : "would delete";
  std::string out = fmt::format("{} ({}):\n", r.applied ? "pruned" : "dry run, nothing deleted; --apply deletes",
                                limits_text);
  out += fmt::format("  step cache      {} {} of {} entries\n", verb, p.step_keys.size(), r.before.step_entries);
  out += listed(p.step_keys, 12);
  out += fmt::format("  stored outputs  {} {} of {} blobs, {}\n", verb, p.blobs.size(), r.before.blobs,
                     bytes(p.blob_bytes));
  out += fmt::format("  LLM responses   {} {} of {} entries, {}\n", verb, p.llm_keys.size(), r.before.llm_entries,
                     bytes(p.llm_bytes));
  out += fmt::format("  runs            {} {} of {} (records and logs, {})\n", verb, p.run_ids.size(), r.before.runs,
                     bytes(p.log_bytes));
  out += listed(p.run_ids, 64);
  if (!r.orphan_log_dirs.empty()) {
    out += fmt::format("  stray logs      {} {} directories of runs no longer recorded\n", verb,
                       r.orphan_log_dirs.size());
  }
  if (!r.shared_evicted_here.empty()) {
    out += fmt::format("  shared index    kept {} entries other workspaces wrote; only this workspace's copies of "
                       "their outputs {}\n",
                       r.shared_evicted_here.size(), r.applied ? "went" : "would go");
  }
  out += fmt::format("  reclaimed       {}; the caches then hold {}\n", bytes(p.bytes()), bytes(p.kept_bytes));
  if (p.over_limit) {
    out += "  note: --max-size is not met: the rest is used by running runs or the runs --keep-runs keeps\n";
  }
  if (r.blobs_kept_referenced > 0) {
    out += fmt::format("  note: {} blobs were kept: a concurrent run referenced them meanwhile\n",
                       r.blobs_kept_referenced);
  }
  return out;
}

int prune(const PruneArgs& a) {
  std::string limits_text;
  auto limits = parse_prune_limits(a.older_than, a.max_size, a.keep_runs, "sluice prune", limits_text, stderr);
  if (!limits) return k_exit_usage;
  if (!limits->any()) {
    std::fprintf(stderr,
                 "sluice prune: nothing to prune by: give --older-than (e.g. 7d), --max-size (e.g. 2G) or "
                 "--keep-runs N\n");
    return k_exit_usage;
  }
  const auto layout = store::StateLayout::of_workspace(a.workspace);
  auto state_url = resolve_state_of_file(fs::path(a.workspace) / "sluice.yml", a.state, stderr);
  if (!state_url) return k_exit_usage;
  std::error_code ec;
  if (state_url->empty() && !fs::exists(layout.database(), ec)) {
    if (a.json) std::printf("{\"applied\": false, \"bytes_reclaimed\": 0}\n");
    else std::printf("no %s: nothing to prune\n", layout.database().string().c_str());
    return k_exit_ok;
  }
  auto st = store::StateStore::open(layout.dir(), *state_url);
  if (!st) {
    std::fprintf(stderr, "sluice prune: %s\n", st.error().message.c_str());
    return k_exit_failed;
  }
  auto rep = store::Pruner(**st, layout).run(*limits, a.apply ? store::PruneMode::apply : store::PruneMode::dry_run);
  if (!rep) {
    std::fprintf(stderr, "sluice prune: %s\n", rep.error().message.c_str());
    return k_exit_failed;
  }
  if (a.json) std::printf("%s\n", to_json(*rep).dump(2).c_str());
  else std::printf("%s", to_text(*rep, limits_text).c_str());
  return k_exit_ok;
}

}  // namespace

std::optional<store::PruneLimits> parse_prune_limits(const std::string& older_than, const std::string& max_size,
                                                     int keep_runs, const char* who, std::string& said,
                                                     std::FILE* err) {
  store::PruneLimits limits;
  auto add = [&](const std::string& s) { said += (said.empty() ? "" : " ") + s; };
  if (!older_than.empty()) {
    auto d = base::parse_duration(older_than);
    if (!d) {
      std::fprintf(err, "%s: --older-than: %s\n", who, d.error().message.c_str());
      return std::nullopt;
    }
    limits.older_than_cutoff_ms = base::SystemClock().wall_ms() - d->count();
    add("--older-than " + older_than);
  }
  if (!max_size.empty()) {
    auto s = base::parse_byte_size(max_size);
    if (!s) {
      std::fprintf(err, "%s: --max-size: %s\n", who, s.error().message.c_str());
      return std::nullopt;
    }
    limits.max_bytes = *s;
    add("--max-size " + max_size);
  }
  if (keep_runs != k_keep_runs_unset) {
    if (keep_runs < 0) {
      std::fprintf(err, "%s: --keep-runs: must be 0 or more, not %d\n", who, keep_runs);
      return std::nullopt;
    }
    limits.keep_runs = keep_runs;
    add(fmt::format("--keep-runs {}", keep_runs));
  }
  if (said.empty()) said = "no limits: only unreferenced blobs and stray logs";
  return limits;
}

void auto_prune(const fs::path& state_dir, const std::string& state_url, const pipeline::CacheLimits& c,
                std::FILE* err) {
  store::PruneLimits limits;
  if (c.max_age) limits.older_than_cutoff_ms = base::SystemClock().wall_ms() - c.max_age->count();
  limits.max_bytes = c.max_bytes;
  limits.protect_newest = 1;  // what the run that just ended used stays a hit
  auto st = store::StateStore::open(state_dir, state_url);
  if (!st) {
    std::fprintf(err, "sluice: automatic prune skipped: %s\n", st.error().message.c_str());
    return;
  }
  auto rep = store::Pruner(**st, store::StateLayout(state_dir)).run(limits, store::PruneMode::apply);
  if (!rep) {
    std::fprintf(err, "sluice: automatic prune failed: %s\n", rep.error().message.c_str());
    return;
  }
  const auto& p = rep->plan;
  if (p.step_keys.empty() && p.llm_keys.empty() && p.run_ids.empty() && rep->blobs_deleted == 0) return;
  std::fprintf(err, "sluice: cache pruned (cache: in the pipeline): %zu step-cache entries, %zu LLM responses, %zu runs; %s reclaimed\n",
               p.step_keys.size(), p.llm_keys.size(), p.run_ids.size(), bytes(p.bytes()).c_str());
}

void add_prune_command(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<PruneArgs>();
  auto* pr = app.add_subcommand("prune", "Delete cached outputs, LLM responses, runs and logs beyond limits");
  pr->add_option("-C,--workspace", a->workspace, "Workspace directory (holds .sluice/)");
  pr->add_option("--older-than", a->older_than, "Delete what was not used for this long, e.g. 7d, 12h");
  pr->add_option("--max-size", a->max_size, "Evict least recently used entries until the caches fit, e.g. 2G");
  pr->add_option("--keep-runs", a->keep_runs, "Keep the newest N runs and everything they used; delete older runs");
  pr->add_flag("--apply", a->apply, "Delete (default: dry run, print what would go)");
  pr->add_flag("--json", a->json, "Machine-readable output");
  pr->add_option("--state", a->state,
                 "State backend: sqlite or a postgres:// URL (default: $SLUICE_STATE_URL, then sluice.yml's state:); "
                 "with PostgreSQL only this workspace's runs and index entries are deleted");
  pr->callback([a, &ctx] { ctx.command = [=] { return prune(*a); }; });
}

}  // namespace sluice::cli
