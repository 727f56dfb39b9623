// sluice cache stats | prune: the LLM response cache (and the step cache's size) in
// <workspace>/.sluice/state.db.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/duration.h"
#include "cli/commands.h"
#include "llm/response_cache.h"
#include "store/database.h"
#include "store/state_layout.h"

namespace sluice::cli {

namespace {

namespace fs = std::filesystem;

struct CacheOptions {
  std::string workspace = ".";
  std::string older_than;
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
  int64_t step_rows = 0;
  std::error_code ec;
  if (fs::exists(path.parent_path(), ec)) {
    auto db = store::Database::open(path, store::all_migrations());
    if (!db) {
      std::fprintf(stderr, "sluice cache stats: %s\n", db.error().message.c_str());
      return k_exit_failed;
    }
    auto got = llm::ResponseCache(**db).stats();
    if (!got) {
      std::fprintf(stderr, "sluice cache stats: %s\n", got.error().message.c_str());
      return k_exit_failed;
    }
    s = *got;
    auto q = (*db)->prepare("SELECT COUNT(*) FROM step_cache");
    if (q && q->step().value_or(false)) step_rows = q->column_int(0);
  }
  const int64_t now = base::SystemClock().wall_ms();
  if (o.json) {
    nlohmann::json j = {{"state_db", path.string()},
                        {"llm_response_cache",
                         {{"entries", s.entries}, {"bytes", s.bytes}, {"hits", s.hits}, {"saved_usd", s.saved_usd},
                          {"oldest_used_ms", s.oldest_used_ms}, {"newest_used_ms", s.newest_used_ms}}},
                        {"step_cache", {{"entries", step_rows}}}};
    std::printf("%s\n", j.dump(2).c_str());
    return k_exit_ok;
  }
  std::printf("%s", fmt::format("state database   {}\n"
                                "LLM responses    {} entries, {} bytes, {} hits, ${:.4f} saved\n"
                                "                 least recently used {}, most recently used {}\n"
                                "step cache       {} entries\n",
                                path.string(), s.entries, s.bytes, s.hits, s.saved_usd, age(now, s.oldest_used_ms),
                                age(now, s.newest_used_ms), step_rows)
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
  st->callback([opts, &ctx] { ctx.command = [=] { return stats(*opts); }; });
  auto* pr = cache->add_subcommand("prune", "Delete LLM responses not used for a while");
  pr->add_option("-C,--workspace", opts->workspace, "Workspace directory (holds .sluice/)");
  pr->add_option("--older-than", opts->older_than, "Age since last use, e.g. 7d, 12h")->required();
  pr->callback([opts, &ctx] { ctx.command = [=] { return prune(*opts); }; });
}

}  // namespace sluice::cli
