#include "cli/shared_state.h"

#include <unistd.h>

#include <chrono>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/terminal.h"
#include "store/pg_ledger.h"
#include "pipeline/loader.h"
#include "store/pg_runs.h"

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

namespace {
// The password part of a URL's userinfo, or "" when none.
std::string url_password(std::string_view url) {
  const size_t start = url.find("://");
  if (start == std::string_view::npos) return {};
  const size_t end = url.find('/', start + 3);
  const std::string_view authority = url.substr(start + 3, end == std::string_view::npos ? url.npos : end - start - 3);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  const size_t colon = authority.substr(0, at).find(':');
  return colon == std::string_view::npos ? std::string() : std::string(authority.substr(colon + 1, at - colon - 1));
}
}  // namespace

std::optional<std::string> resolve_shared_state(const pipeline::Pipeline& p, const std::string& flag, std::FILE* err) {
  std::string url = flag;
  std::string from = "--state";
  if (url.empty()) {
    url = env_or("SLUICE_STATE_URL");
    from = "SLUICE_STATE_URL";
  }
  if (url.empty()) {
    url = p.state;
    from = p.file + ": state";
    const std::string pw = url_password(url);
    if (!pw.empty() && pw.find("${") == std::string::npos) {
      std::fprintf(err,
                   "sluice: %s: a password written in sluice.yml would be committed with it; use PGPASSWORD, "
                   "~/.pgpass, or ${NAME} (an environment variable) in the URL: %s\n",
                   from.c_str(), store::mask_url(url).c_str());
      return std::nullopt;
    }
  }
  if (url.empty() || url == "sqlite") return std::string();
  if (url.rfind("postgres://", 0) != 0 && url.rfind("postgresql://", 0) != 0) {
    std::fprintf(err, "sluice: %s: \"%s\" is neither sqlite nor a postgres:// URL\n", from.c_str(),
                 store::mask_url(url).c_str());
    return std::nullopt;
  }
  // ${NAME} references are expanded here, so the secret itself is never in a file.
  std::string out;
  for (size_t i = 0; i < url.size();) {
    if (url.compare(i, 2, "${") == 0) {
      const size_t close = url.find('}', i);
      if (close != std::string::npos) {
        const std::string name = url.substr(i + 2, close - i - 2);
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) {
          std::fprintf(err, "sluice: %s: ${%s} is not set in the environment\n", from.c_str(), name.c_str());
          return std::nullopt;
        }
        // Percent-encoded, so a password with '@', ':' or '/' cannot change the URL's shape.
        for (const unsigned char c : std::string(v)) {
          if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
          else out += fmt::format("%{:02X}", c);
        }
        i = close + 1;
        continue;
      }
    }
    out += url[i++];
  }
  return out;
}

std::optional<std::string> add_shared_spend(report::RunReport& rep, const std::string& url) {
  if (rep.llm.stages == 0) return std::nullopt;
  auto c = store::PgConnection::connect(url);
  if (!c) return c.error().message;
  store::PgLedger ledger(**c);
  auto run = ledger.settled("run:" + rep.run.id);
  auto run_all = ledger.spend("run:" + rep.run.id);
  auto day = ledger.settled("day:" + rep.llm.day);
  if (!run || !run_all || !day) return (!run ? run.error() : !run_all ? run_all.error() : day.error()).message;
  rep.llm.run_spent_usd = *run;
  rep.llm.run_reserved_usd = std::max(0.0, run_all->usd - *run);
  rep.llm.day_spent_usd = *day;
  rep.llm.shared_ledger = (*c)->display();
  return std::nullopt;
}

std::optional<std::string> resolve_state_of_file(const std::filesystem::path& pipeline_file, const std::string& flag,
                                                 std::FILE* err) {
  pipeline::Pipeline p;
  p.file = pipeline_file.string();
  if (flag.empty() && env_or("SLUICE_STATE_URL").empty()) {
    std::error_code ec;
    if (std::filesystem::exists(pipeline_file, ec)) {
      auto loaded = pipeline::load_pipeline(pipeline_file);
      p.state = loaded.pipeline.state;
    }
  }
  return resolve_shared_state(p, flag, err);
}

std::unique_ptr<store::StateStore> open_state_or_report(const std::filesystem::path& state_dir,
                                                        const std::string& url, std::FILE* err) {
  auto st = store::StateStore::open(state_dir, url);
  if (!st) {
    std::fprintf(err, "sluice: %s\n", st.error().message.c_str());
    return nullptr;
  }
  return std::move(*st);
}

SharedRunSink::SharedRunSink(engine::EventSink& inner, std::string url, std::string pipeline)
    : m_inner(inner), m_url(std::move(url)), m_pipeline(std::move(pipeline)) {}

SharedRunSink::~SharedRunSink() { (void)finish("interrupted"); }

void SharedRunSink::run_started(const store::RunRecord& run, const std::vector<int>& selected) {
  m_inner.run_started(run, selected);
  if (!m_thread.joinable()) m_thread = std::thread([this, id = run.id] { beat(id); });
}

void SharedRunSink::beat(std::string run_id) {
  auto fail = [&](const Error& e) {
    std::lock_guard lock(m_mu);
    if (!m_error) m_error = e.message;
  };
  auto conn = store::PgConnection::connect(m_url);
  if (!conn) return fail(conn.error());
  store::PgRuns runs(**conn);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (auto dead = runs.mark_dead_interrupted(now_ms); !dead) fail(dead.error());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  if (auto b = runs.begin(run_id, m_pipeline, host); !b) return fail(b.error());
  std::unique_lock lock(m_mu);
  for (;;) {
    if (m_cv.wait_for(lock, std::chrono::seconds(5), [&] { return m_stop; })) break;
    lock.unlock();
    auto h = runs.heartbeat(run_id);
    lock.lock();
    if (!h && !m_error) m_error = h.error().message;
  }
  const std::string status = m_status;
  lock.unlock();
  if (auto f = runs.finish(run_id, status); !f) fail(f.error());
}

std::optional<std::string> SharedRunSink::finish(const std::string& status) {
  {
    std::lock_guard lock(m_mu);
    if (m_stop) return m_error;
    m_stop = true;
    m_status = status;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
  std::lock_guard lock(m_mu);
  return m_error;
}

}  // namespace sluice::cli
