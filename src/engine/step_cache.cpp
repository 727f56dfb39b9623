#include "engine/step_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/beneath.h"
#include "base/files.h"
#include "base/glob.h"
#include "base/hash.h"

namespace sluice::engine {
namespace fs = std::filesystem;

bool is_cacheable(const pipeline::Stage& stage) {
  if (stage.kind != pipeline::StageKind::run) return false;
  if (stage.cache) return *stage.cache;
  return !stage.inputs.empty();
}

StepCache::StepCache(store::StateStore& store, fs::path workspace, fs::path cas_dir)
    : m_store(store), m_workspace(std::move(workspace)), m_cas(std::move(cas_dir)) {}

Expected<void> StepCache::load() {
  auto stats = m_store.load_file_stats();
  if (!stats) return tl::unexpected(stats.error());
  m_stats = std::move(*stats);
  return {};
}

Expected<void> StepCache::flush() {
  auto r = m_store.save_file_stats(m_changed);
  m_changed.clear();
  return r;
}

namespace {
int64_t ns_of(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Expected<std::string> StepCache::file_hash(const std::string& rel) {
  fs::path full = m_workspace / rel;
  struct stat st {};
  if (::stat(full.c_str(), &st) != 0) {
    return make_error(ErrorCode::io, fmt::format("{}: {}", rel, std::strerror(errno)));
  }
  store::FileStat now{static_cast<int64_t>(st.st_size), ns_of(st.st_mtim), ns_of(st.st_ctim),
                      static_cast<int64_t>(st.st_ino), ""};
  auto it = m_stats.find(rel);
  if (it != m_stats.end() && it->second.size == now.size && it->second.mtime_ns == now.mtime_ns &&
      it->second.ctime_ns == now.ctime_ns && it->second.inode == now.inode) {
    return it->second.sha256;
  }
  auto content = base::read_file(full);
  if (!content) return tl::unexpected(content.error());
  now.sha256 = base::sha256_hex(*content);
  // Too new to trust: a same-size rewrite within the timestamp granularity would look equal.
  constexpr int64_t k_racy_ns = 1'000'000'000;
  if (wall_ns() - std::max(now.mtime_ns, now.ctime_ns) > k_racy_ns) {
    m_stats[rel] = now;
    m_changed[rel] = now;
  } else {
    m_stats.erase(rel);
  }
  return now.sha256;
}

Expected<std::string> StepCache::key_for(const pipeline::Pipeline& p, const pipeline::Stage& stage,
                                         const std::vector<std::string>& need_keys) {
  base::Sha256 h;
  h.update_field("sluice-step-v1");
  h.update_field(stage.name);
  h.update_field(pipeline::to_string(stage.kind));
  h.update_field(stage.shell);
  h.update_field(stage.run);
  h.update_field(stage.working_directory);
  auto add_env = [&](const pipeline::EnvList& env) {
    auto sorted = env;
    std::sort(sorted.begin(), sorted.end());
    h.update_field(std::to_string(sorted.size()));
    for (const auto& [k, v] : sorted) {
      h.update_field(k);
      h.update_field(v);
    }
  };
  add_env(p.env);
  add_env(stage.env);
  h.update_field("inputs");
  for (const auto& pattern : stage.inputs) {
    h.update_field(pattern);
    auto files = base::glob_expand(m_workspace, pattern);
    if (!files) return tl::unexpected(files.error());
    h.update_field(std::to_string(files->size()));
    for (const auto& f : *files) {
      auto fh = file_hash(f);
      if (!fh) return tl::unexpected(fh.error());
      h.update_field(f);
      h.update_field(*fh);
    }
  }
  h.update_field("outputs");
  for (const auto& o : stage.outputs) h.update_field(o);
  h.update_field("needs");
  for (size_t i = 0; i < need_keys.size(); ++i) {
    h.update_field(i < stage.needs.size() ? stage.needs[i] : "");
    h.update_field(need_keys[i]);
  }
  return h.hex_digest();
}

Expected<std::string> StepCache::put_blob(const fs::path& file) {
  auto content = base::read_file(file);
  if (!content) return tl::unexpected(content.error());
  std::string hash = base::sha256_hex(*content);
  if (m_stored_blobs.count(hash)) return hash;  // stored (or seen) earlier in this run
  fs::path dst = m_cas / hash.substr(0, 2) / hash.substr(2);
  std::error_code ec;
  if (!fs::exists(dst, ec)) {
    if (auto w = base::atomic_write(dst, *content); !w) return tl::unexpected(w.error());
  }
  m_stored_blobs.insert(hash);
  return hash;
}

namespace {
// The digest of a list of outputs: (path, sha256 of content) pairs in pattern and glob order.
class OutputsDigest {
 public:
  OutputsDigest() { m_h.update_field("sluice-outputs-v1"); }
  void add(const std::string& path, const std::string& blob) {
    m_h.update_field(path);
    m_h.update_field(blob);
  }
  std::string finish() { return m_h.hex_digest(); }

 private:
  base::Sha256 m_h;
};

Expected<std::vector<std::string>> expand_outputs(const fs::path& workspace, const pipeline::Stage& stage,
                                                  const std::string& pattern) {
  auto files = base::glob_expand(workspace, pattern);
  if (!files) return tl::unexpected(files.error());
  if (files->empty()) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("stage \"{}\" declares output \"{}\" but produced no such file", stage.name,
                                  pattern));
  }
  return std::move(*files);
}
}  // namespace

std::string StepCache::key_for_dependents(const std::string& key, const std::string& outputs_digest) {
  if (outputs_digest.empty()) return key;
  base::Sha256 h;
  h.update_field("sluice-need-v1");
  h.update_field(key);
  h.update_field(outputs_digest);
  return h.hex_digest();
}

Expected<std::string> StepCache::outputs_digest(const pipeline::Stage& stage) {
  if (stage.outputs.empty()) return std::string();
  OutputsDigest d;
  for (const auto& pattern : stage.outputs) {
    auto files = expand_outputs(m_workspace, stage, pattern);
    if (!files) return tl::unexpected(files.error());
    for (const auto& f : *files) {
      auto h = file_hash(f);
      if (!h) return tl::unexpected(h.error());
      d.add(f, *h);
    }
  }
  return d.finish();
}

Expected<std::string> StepCache::save(const std::string& key, const pipeline::Stage& stage,
                                      int64_t duration_ms, int64_t now_ms, const pipeline::EnvList& values) {
  nlohmann::json outputs = nlohmann::json::array();
  OutputsDigest d;
  for (const auto& pattern : stage.outputs) {
    auto files = expand_outputs(m_workspace, stage, pattern);
    if (!files) return tl::unexpected(files.error());
    for (const auto& f : *files) {
      auto blob = put_blob(m_workspace / f);
      if (!blob) return tl::unexpected(blob.error());
      struct stat st {};
      ::stat((m_workspace / f).c_str(), &st);
      outputs.push_back(
          {{"path", f}, {"blob", *blob}, {"mode", static_cast<int>(st.st_mode & 07777)}});
      d.add(f, *blob);
    }
  }
  nlohmann::json record = outputs;
  nlohmann::json values_json = nlohmann::json::array();
  for (const auto& [k, val] : values) values_json.push_back({k, val});
  // One element that is no file: the stage's $SLUICE_OUTPUT values, in order.
  if (!values.empty()) record.push_back({{"values", values_json}});
  if (auto put = m_store.cache_put({key, stage.name, record.dump(), now_ms, now_ms, duration_ms}); !put) {
    return tl::unexpected(put.error());
  }
  // A concurrent `sluice prune` unlinks only blobs no row references, holding the write lock:
  // checked after our row is in, a blob it took before that is seen missing here and stored again.
  for (const auto& o : outputs) {
    const std::string blob = o["blob"].get<std::string>();
    std::error_code ec;
    if (fs::exists(m_cas / blob.substr(0, 2) / blob.substr(2), ec)) continue;
    m_stored_blobs.erase(blob);
    auto again = put_blob(m_workspace / o["path"].get<std::string>());
    if (!again) return tl::unexpected(again.error());
  }
  if (m_remote != nullptr && m_remote->writable()) {
    // Off the critical path: the queue uploads in the background, blobs before the entry that
    // names them, so a reader never finds an entry whose blobs are not there yet.
    for (const auto& o : outputs) {
      const std::string blob = o["blob"].get<std::string>();
      m_remote->put_blob_file(blob, m_cas / blob.substr(0, 2) / blob.substr(2));
    }
    nlohmann::json value{{"sluice", "step-v1"}, {"stage", stage.name}, {"duration_ms", duration_ms}, {"outputs", outputs}};
    if (!values.empty()) value["values"] = values_json;  // $SLUICE_OUTPUT, as stored locally
    m_remote->put_action(remote_key(key), value.dump());
  }
  return stage.outputs.empty() ? std::string() : d.finish();
}

std::optional<std::string> StepCache::peek(const std::string& key, pipeline::EnvList* values) {
  auto entry = m_store.cache_lookup(key, 0);
  if (!entry || !*entry) return std::nullopt;
  nlohmann::json outputs = nlohmann::json::parse((*entry)->outputs_json, nullptr, false);
  if (outputs.is_discarded() || !outputs.is_array()) return std::nullopt;
  OutputsDigest d;
  size_t files = 0;
  for (const auto& o : outputs) {
    if (o.is_object() && o.contains("values")) {
      for (const auto& kv : o["values"]) {
        if (values != nullptr && kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string()) {
          values->emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
        }
      }
      continue;
    }
    ++files;
    std::string blob = o.value("blob", "");
    if (blob.size() != 64 || !fs::exists(m_cas / blob.substr(0, 2) / blob.substr(2))) return std::nullopt;
    d.add(o.value("path", ""), blob);
  }
  return files == 0 ? std::string() : d.finish();
}

bool StepCache::pruned_meanwhile(const std::string& key) {
  auto again = m_store.cache_lookup(key, 0);
  return again && !again->has_value();
}

std::string StepCache::remote_key(const std::string& key) {
  base::Sha256 h;
  h.update_field("sluice-remote-step-v1");
  h.update_field(store::platform_tag());
  h.update_field(key);
  return h.hex_digest();
}

StepCache::Restored StepCache::fetch_remote(const std::string& key, int64_t now_ms) {
  using R = Restored::Result;
  auto action = m_remote->get_action(remote_key(key));
  if (action.got == store::RemoteCache::Got::corrupted) return {R::damaged, {}, action.problem, {}};
  if (action.got != store::RemoteCache::Got::hit) return {};
  nlohmann::json value = nlohmann::json::parse(action.data, nullptr, false);
  if (value.is_discarded() || !value.is_object() || !value.contains("outputs") || !value["outputs"].is_array())
    return {};  // not ours, or a format this sluice does not read: a miss
  nlohmann::json& outputs = value["outputs"];
  for (auto& o : outputs) {
    // Written elsewhere: anything malformed is a miss (value() would throw on a wrong type).
    if (!o.is_object() || !o.contains("blob") || !o["blob"].is_string() || !o.contains("path") ||
        !o["path"].is_string())
      return {};
    // Permission bits only: an entry from elsewhere never makes a setuid or setgid file.
    o["mode"] = o.contains("mode") && o["mode"].is_number_integer() ? o["mode"].get<int>() & 0777 : 0644;
    const std::string blob = o.value("blob", "");
    const std::string rel = o.value("path", "");
    if (blob.size() != 64 || rel.empty()) return {};
    const fs::path dst = m_cas / blob.substr(0, 2) / blob.substr(2);
    std::error_code ec;
    if (fs::exists(dst, ec)) continue;
    auto got = m_remote->get_blob(blob);
    if (got.got == store::RemoteCache::Got::corrupted)
      return {R::damaged, {}, fmt::format("{} (for {}); it was not used", got.problem, rel), {}};
    if (got.got != store::RemoteCache::Got::hit) return {};
    if (!base::atomic_write(dst, got.data)) return {};
  }
  const std::string stage = value.contains("stage") && value["stage"].is_string() ? value["stage"].get<std::string>() : "";
  const int64_t duration =
      value.contains("duration_ms") && value["duration_ms"].is_number_integer() ? value["duration_ms"].get<int64_t>() : 0;
  // The stage's $SLUICE_OUTPUT values travel with the entry; malformed ones make it a miss.
  pipeline::EnvList values;
  nlohmann::json record = outputs;
  if (auto it = value.find("values"); it != value.end()) {
    if (!it->is_array()) return {};
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& kv : *it) {
      if (!kv.is_array() || kv.size() != 2 || !kv.front().is_string() || !kv.back().is_string()) return {};
      values.emplace_back(kv.front().get<std::string>(), kv.back().get<std::string>());
      kept.push_back(kv);
    }
    if (!values.empty()) record.push_back(nlohmann::json::object({{"values", std::move(kept)}}));
  }
  if (!m_store.cache_put({key, stage, record.dump(), now_ms, now_ms, duration}))
    return {};
  return {R::hit, {}, {}, std::move(values)};
}

StepCache::Restored StepCache::fetch_blob(const std::string& blob) {
  using R = Restored::Result;
  if (m_remote == nullptr) return {};
  auto got = m_remote->get_blob(blob);
  if (got.got == store::RemoteCache::Got::corrupted) return {R::damaged, {}, got.problem, {}};
  if (got.got != store::RemoteCache::Got::hit) return {};
  if (!base::atomic_write(m_cas / blob.substr(0, 2) / blob.substr(2), got.data)) return {};
  return {R::hit, {}, {}, {}};
}

StepCache::Restored StepCache::restore(const std::string& key, int64_t now_ms) {
  using R = Restored::Result;
  auto damaged = [](std::string why) { return Restored{R::damaged, {}, std::move(why), {}}; };
  auto entry = m_store.cache_lookup(key, now_ms);
  if (!entry) return damaged(entry.error().message);
  if (!*entry && m_remote != nullptr) {
    // Local CAS first, then the remote; a remote hit lands in the local CAS and index and is
    // restored from there like any local entry.
    auto fetched = fetch_remote(key, now_ms);
    if (fetched.result != R::hit) return fetched;
    entry = m_store.cache_lookup(key, now_ms);
    if (!entry) return damaged(entry.error().message);
  }
  if (!*entry) return {};
  nlohmann::json outputs = nlohmann::json::parse((*entry)->outputs_json, nullptr, false);
  if (outputs.is_discarded() || !outputs.is_array()) return damaged("its record of outputs is unreadable");
  // Check every blob first so a half-restored state is impossible when the CAS lost a file.
  pipeline::EnvList values;
  for (const auto& o : outputs) {
    if (o.is_object() && o.contains("values")) {
      for (const auto& kv : o["values"]) {
        if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string()) {
          values.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
        }
      }
      continue;
    }
    std::string blob = o.value("blob", "");
    std::string rel = o.value("path", "");
    if (blob.size() != 64 || rel.empty()) return damaged("its record of outputs is unreadable");
    if (!fs::exists(m_cas / blob.substr(0, 2) / blob.substr(2))) {
      if (m_store.shared()) {
        // A shared index names blobs another runner stored: they come from the remote cache
        // (verified), and an entry whose blobs are nowhere is a miss, never an error.
        auto got = fetch_blob(blob);
        if (got.result == R::damaged)
          return damaged(fmt::format("{} (for {}); it was not used", got.problem, rel));
        if (got.result != R::hit) return {};
        continue;
      }
      if (pruned_meanwhile(key)) return {};
      return damaged(fmt::format("the stored copy of {} ({}) is missing from {}", rel, blob.substr(0, 12),
                                 m_cas.string()));
    }
  }
  OutputsDigest d;
  size_t files = 0;
  for (const auto& o : outputs) {
    if (o.is_object() && o.contains("values")) continue;
    ++files;
    std::string rel = o.value("path", "");
    std::string blob = o.value("blob", "");
    d.add(rel, blob);
    fs::path dst = m_workspace / rel;
    std::error_code ec;
    if (fs::is_regular_file(dst, ec)) {
      auto cur = file_hash(rel);
      if (cur && *cur == blob) continue;  // already in place
    }
    const fs::path src = m_cas / blob.substr(0, 2) / blob.substr(2);
    auto content = base::read_file(src);
    if (!content) return pruned_meanwhile(key) ? Restored{} : damaged(content.error().message);
    if (base::sha256_hex(*content) != blob) {
      fs::remove(src, ec);  // put_blob keeps an existing blob: the next save must store it anew
      m_stored_blobs.erase(blob);
      return damaged(fmt::format("the stored copy of {} ({}) is corrupted; it was deleted", rel,
                                 blob.substr(0, 12)));
    }
    auto w = base::write_beneath(m_workspace, rel, *content, static_cast<mode_t>(o.value("mode", 0644)));
    if (!w) return damaged(w.error().message);
  }
  return {R::hit, files == 0 ? std::string() : d.finish(), {}, std::move(values)};
}

}  // namespace sluice::engine
