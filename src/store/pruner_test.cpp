#include "store/pruner.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "base/files.h"
#include "base/hash.h"

#include <fmt/format.h>

using namespace sluice;
using namespace sluice::store;
namespace fs = std::filesystem;

namespace {

struct Workspace {
  base::TempDir dir;
  StateLayout layout = StateLayout::of_workspace(dir.path());
  std::unique_ptr<StateStore> store;

  Workspace() {
    auto st = StateStore::open(layout.dir());
    EXPECT_TRUE(st.has_value());
    store = std::move(*st);
  }
  // Writes a blob with `content` into the CAS and returns its hash.
  std::string blob(const std::string& content) {
    std::string h = base::sha256_hex(content);
    EXPECT_TRUE(base::atomic_write(layout.cas() / h.substr(0, 2) / h.substr(2), content).has_value());
    return h;
  }
  bool blob_exists(const std::string& h) { return fs::exists(layout.cas() / h.substr(0, 2) / h.substr(2)); }
  void entry(const std::string& key, int64_t used_ms, const std::vector<std::string>& blobs) {
    std::string outputs = "[";
    for (size_t i = 0; i < blobs.size(); ++i) {
      outputs += fmt::format("{}{{\"blob\":\"{}\",\"mode\":420,\"path\":\"out{}\"}}", i ? "," : "", blobs[i], i);
    }
    outputs += "]";
    ASSERT_TRUE(store->cache_put({key, "build", outputs, used_ms, used_ms, 5}).has_value());
  }
  bool has_entry(const std::string& key) {
    auto e = store->cache_lookup(key, 0);
    return e && e->has_value();
  }
};

}  // namespace

TEST(Pruner, BlobsOfOutputsReadsStepCacheJson) {
  const std::string h(64, 'a');
  EXPECT_EQ(blobs_of_outputs("[{\"blob\":\"" + h + "\",\"mode\":420,\"path\":\"x\"}]"), std::vector<std::string>{h});
  EXPECT_EQ(blobs_of_outputs("[{\"blob\" : \"" + h + "\"}]"), std::vector<std::string>{h});
  EXPECT_TRUE(blobs_of_outputs("[]").empty());
  EXPECT_TRUE(blobs_of_outputs("[{\"blob\":\"short\"}]").empty());
}

TEST(Pruner, DryRunChangesNothingAndApplyDeletesRowsThenBlobs) {
  Workspace w;
  const std::string old_blob = w.blob("old output");
  const std::string shared = w.blob("shared");
  const std::string new_blob = w.blob("new output");
  w.entry("old", 1000, {old_blob, shared});
  w.entry("new", 9000, {new_blob, shared});
  PruneLimits l;
  l.older_than_cutoff_ms = 5000;
  Pruner pruner(*w.store, w.layout);

  auto dry = pruner.run(l, PruneMode::dry_run);
  ASSERT_TRUE(dry.has_value()) << dry.error().message;
  EXPECT_FALSE(dry->applied);
  EXPECT_EQ(dry->plan.step_keys, std::vector<std::string>{"old"});
  EXPECT_EQ(dry->plan.blobs, std::vector<std::string>{old_blob});
  EXPECT_EQ(dry->plan.blob_bytes, 10);
  EXPECT_EQ(dry->before.step_entries, 2);
  EXPECT_EQ(dry->before.blobs, 3);
  EXPECT_TRUE(w.has_entry("old"));
  EXPECT_TRUE(w.blob_exists(old_blob));

  auto done = pruner.run(l, PruneMode::apply);
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_TRUE(done->applied);
  EXPECT_EQ(done->blobs_deleted, 1);
  EXPECT_FALSE(w.has_entry("old"));
  EXPECT_TRUE(w.has_entry("new"));
  EXPECT_FALSE(w.blob_exists(old_blob));
  EXPECT_TRUE(w.blob_exists(shared));
  EXPECT_TRUE(w.blob_exists(new_blob));
}

TEST(Pruner, CrashLeftoversUnreferencedBlobsAndLogsWithoutARunGoNext) {
  Workspace w;
  const std::string orphan = w.blob("left by a crashed prune");
  ASSERT_TRUE(base::atomic_write(w.layout.run_logs("gone-run") / "build.log", "log").has_value());
  Pruner pruner(*w.store, w.layout);
  auto done = pruner.run({}, PruneMode::apply);
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_FALSE(w.blob_exists(orphan));
  EXPECT_FALSE(fs::exists(w.layout.run_logs("gone-run")));
}

TEST(Pruner, KeepRunsKeepsTheEntriesTheNewestRunsUsedAndTheirLogs) {
  Workspace w;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto run = w.store->begin_run("sluice.yml", 1, ::getpid(), 1000 + i, "");
    ASSERT_TRUE(run.has_value());
    StageRecord s;
    s.run_id = run->id;
    s.name = "build";
    s.cache_key = "key" + std::to_string(i);
    ASSERT_TRUE(w.store->put_stage(s).has_value());
    ASSERT_TRUE(w.store->finish_run(run->id, RunStatus::success, 2000 + i, 1).has_value());
    ASSERT_TRUE(base::atomic_write(w.layout.run_logs(run->id) / "build.log", "x").has_value());
    w.entry("key" + std::to_string(i), 1, {w.blob("out" + std::to_string(i))});
    ids.push_back(run->id);
  }
  PruneLimits l;
  l.keep_runs = 2;
  l.older_than_cutoff_ms = 1'000'000;  // every entry is old
  auto done = Pruner(*w.store, w.layout).run(l, PruneMode::apply);
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_EQ(done->plan.run_ids, std::vector<std::string>{ids[0]});
  EXPECT_FALSE(w.has_entry("key0"));
  EXPECT_TRUE(w.has_entry("key1"));
  EXPECT_TRUE(w.has_entry("key2"));
  EXPECT_FALSE(fs::exists(w.layout.run_logs(ids[0])));
  EXPECT_TRUE(fs::exists(w.layout.run_logs(ids[2])));
  auto runs = w.store->list_runs(10);
  ASSERT_TRUE(runs.has_value());
  EXPECT_EQ(runs->size(), 2u);
  auto stages = w.store->stages_of(ids[0]);
  ASSERT_TRUE(stages.has_value());
  EXPECT_TRUE(stages->empty());
}
