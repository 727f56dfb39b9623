// sluice cache stats | prune: the sizes of the caches and what a prune would reclaim; pruning
// the LLM response cache alone (sluice prune does every store). State in
// <workspace>/.sluice/state.db.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/byte_size.h"
#include "base/duration.h"
#include "cli/commands.h"
#include "cli/prune.h"
#include "llm/response_cache.h"
#include "store/database.h"
#include "store/pruner.h"
#include "store/state_layout.h"
#include "store/state_store.h"

namespace sluice::cli {

namespace {

namespace fs = std::filesystem;

struct CacheOptions {
  std::string workspace = ".";
  std::string older_than;
  std::string max_size;     // stats: the limits a prune would apply, for its estimate
  int keep_runs = k_keep_runs_unset;
  bool json = false;
};

fs::path state_db(const CacheOptions& o) { return store::StateLayout::of_workspace(o.workspace).database(); }

std::string age(int64_t now_ms, int64_t then_ms) {
  if (then_ms <= 0) return "-";
  return base::format_duration(std::chrono::milliseconds(std::max<int64_t>(0, now_ms - then_ms))) + " ago";
}

int stats(const CacheOptions& o) {
  const fs::path path = state_db(o);
  llm::CacheStats s;
  std::string said;
  auto limits = parse_prune_limits(o.older_than, o.max_size, o.keep_runs, "sluice cache stats", said, stderr);
  if (!limits) return k_exit_usage;
  store::PruneReport rep;
  std::error_code ec;
  if (fs::exists(path.parent_path(), ec)) {
    auto st = store::StateStore::open(path.parent_path());
    if (!st) {
      std::fprintf(stderr, "sluice cache stats: %s\n", st.error().message.c_str());
      return k_exit_failed;
    }
    auto got = llm::ResponseCache((*st)->db()).stats();
    if (!got) {
      std::fprintf(stderr, "sluice cache stats: %s\n", got.error().message.c_str());
      return k_exit_failed;
    }
    s = *got;
    auto planned = store::Pruner(**st, store::StateLayout(path.parent_path())).run(*limits, store::PruneMode::dry_run);
    if (!planned) {
      std::fprintf(stderr, "sluice cache stats: %s\n", planned.error().message.c_str());
      return k_exit_failed;
    }
    rep = std::move(*planned);
  }
  const auto& b = rep.before;
  const auto& p = rep.plan;
  const int64_t now = base::SystemClock().wall_ms();
  if (o.json) {
    nlohmann::json j = {{"state_db", path.string()},
                        {"llm_response_cache",
                         {{"entries", s.entries}, {"bytes", s.bytes}, {"hits", s.hits}, {"saved_usd", s.saved_usd},
                          {"oldest_used_ms", s.oldest_used_ms}, {"newest_used_ms", s.newest_used_ms}}},
                        {"step_cache", {{"entries", b.step_entries}, {"blobs", b.blobs}, {"bytes", b.blob_bytes}}},
                        {"runs", {{"count", b.runs}, {"log_bytes", b.log_bytes}}},
                        {"prune_would_reclaim",
                         {{"limits", said}, {"bytes", p.bytes()}, {"step_entries", p.step_keys.size()},
                          {"blobs", p.blobs.size()}, {"llm_entries", p.llm_keys.size()}, {"runs", p.run_ids.size()}}}};
    std::printf("%s\n", j.dump(2).c_str());
    return k_exit_ok;
  }
  std::printf("%s", fmt::format("state database   {}\n"
                                "LLM responses    {} entries, {} bytes, {} hits, ${:.4f} saved\n"
                                "                 least recently used {}, most recently used {}\n"
                                "step cache       {} entries, {} blobs, {}\n"
                                "runs             {} recorded, logs {}\n"
                                "a prune would reclaim {} ({}): {} step-cache entries, {} blobs, {} LLM responses, "
                                "{} runs\n",
                                path.string(), s.entries, s.bytes, s.hits, s.saved_usd, age(now, s.oldest_used_ms),
                                age(now, s.newest_used_ms), b.step_entries, b.blobs, base::format_byte_size(b.blob_bytes),
                                b.runs, base::format_byte_size(b.log_bytes), base::format_byte_size(p.bytes()), said,
                                p.step_keys.size(), p.blobs.size(), p.llm_keys.size(), p.run_ids.size())
                        .c_str());
  return k_exit_ok;
}

int prune(const CacheOptions& o) {
  auto d = base::parse_duration(o.older_than);
  if (!d) {
    std::fprintf(stderr, "sluice cache prune: --older-than: %s\n", d.error().message.c_str());
    return k_exit_usage;
  }
  const fs::path path = state_db(o);
  std::error_code ec;
  if (!fs::exists(path.parent_path(), ec)) {
    std::printf("no %s directory: nothing to prune\n", path.parent_path().string().c_str());
    return k_exit_ok;
  }
  auto db = store::Database::open(path, store::all_migrations());
  if (!db) {
    std::fprintf(stderr, "sluice cache prune: %s\n", db.error().message.c_str());
    return k_exit_failed;
  }
  const int64_t cutoff = base::SystemClock().wall_ms() - d->count();
  auto n = llm::ResponseCache(**db).prune_older_than(cutoff);
  if (!n) {
    std::fprintf(stderr, "sluice cache prune: %s\n", n.error().message.c_str());
    return k_exit_failed;
  }
  std::printf("pruned %lld LLM response cache entr%s not used for %s\n", static_cast<long long>(*n),
              *n == 1 ? "y" : "ies", base::format_duration(*d).c_str());
  return k_exit_ok;
}

}  // namespace

void add_cache_commands(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<CacheOptions>();
  auto* cache = app.add_subcommand("cache", "Inspect and prune the LLM response cache");
  cache->require_subcommand(1);
  auto* st = cache->add_subcommand("stats", "Entries, size, hits and savings of the caches");
  st->add_option("-C,--workspace", opts->workspace, "Workspace directory (holds .sluice/)");
  st->add_flag("--json", opts->json, "Machine-readable output");
  st->add_option("--older-than", opts->older_than, "Estimate a prune with this age limit, e.g. 7d");
  st->add_option("--max-size", opts->max_size, "Estimate a prune with this size limit, e.g. 2G");
  st->add_option("--keep-runs", opts->keep_runs, "Estimate a prune that keeps the newest N runs");
  st->callback([opts, &ctx] { ctx.command = [=] { return stats(*opts); }; });
  auto* pr = cache->add_subcommand("prune", "Delete LLM responses not used for a while");
  pr->add_option("-C,--workspace", opts->workspace, "Workspace directory (holds .sluice/)");
  pr->add_option("--older-than", opts->older_than, "Age since last use, e.g. 7d, 12h")->required();
  pr->callback([opts, &ctx] { ctx.command = [=] { return prune(*opts); }; });
}

}  // namespace sluice::cli
