#include "store/remote_cache.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/utsname.h>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include <algorithm>

#include "base/files.h"
#include "base/hash.h"

namespace sluice::store {

std::string platform_tag() {
  struct utsname u {};
  std::string os = "unknown", arch = "unknown";
  if (::uname(&u) == 0) {
    os = u.sysname;
    arch = u.machine;
  }
#if defined(__GLIBC__)
  std::string libc = std::string("glibc-") + gnu_get_libc_version();
#else
  std::string libc = "musl";  // the only other libc sluice builds against
#endif
  return fmt::format("{} {} {}", os, arch, libc);
}

std::string mask_url(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t host_start = scheme + 3;
  const size_t path = url.find('/', host_start);
  const std::string_view authority = url.substr(host_start, path == std::string_view::npos ? url.npos : path - host_start);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const std::string_view userinfo = authority.substr(0, at);
  const size_t colon = userinfo.find(':');
  std::string out(url.substr(0, host_start));
  out += colon == std::string_view::npos ? std::string(userinfo) : std::string(userinfo.substr(0, colon)) + ":***";
  out += url.substr(host_start + at);
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
  return base::to_hex(std::string_view(reinterpret_cast<const char*>(out), len));
}

namespace {
struct Sink {
  std::string* out;
  size_t max;
  bool overflow = false;
};

size_t on_data(char* ptr, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t bytes = size * n;
  if (s->out->size() + bytes > s->max) {
    s->overflow = true;
    return 0;  // aborts the transfer
  }
  s->out->append(ptr, bytes);
  return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The signed form of an action result: the key binds the value to its place.
std::string signed_text(const std::string& key, std::string_view value) { return key + "\n" + std::string(value); }
constexpr std::string_view k_sig_prefix = "sluice-hmac-sha256:";
}  // namespace

Expected<std::unique_ptr<RemoteCache>> RemoteCache::open(RemoteCacheOptions options) {
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0)
    return make_error(ErrorCode::invalid_input,
                      fmt::format("cache.remote: \"{}\" is not an http:// or https:// URL", mask_url(options.url)));
  static const bool k_init = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!k_init) return make_error(ErrorCode::internal, "libcurl failed to initialise");
  return std::unique_ptr<RemoteCache>(new RemoteCache(std::move(options)));
}

RemoteCache::RemoteCache(RemoteCacheOptions options) : m_opt(std::move(options)) {
  m_base = m_opt.url;
  while (!m_base.empty() && m_base.back() == '/') m_base.pop_back();
  m_display = mask_url(m_base);
}

RemoteCache::~RemoteCache() {
  {
    std::lock_guard lock(m_mu);
    m_stop = true;
    if (m_busy) m_abort = true;  // never wait out a slow upload's timeout on the way out
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

RemoteCache::Response RemoteCache::request(const char* method, const std::string& path, const std::string* body,
                                           size_t max_bytes) {
  Response r;
  if (m_disabled.load()) {
    r.error = "the remote cache was turned off after repeated connection failures";
    return r;
  }
  CURL* c = curl_easy_init();
  if (c == nullptr) {
    r.error = "curl_easy_init failed";
    return r;
  }
  const std::string url = m_base + path;
  Sink sink{&r.body, max_bytes};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Expect:");
  std::string auth;
  if (!m_opt.bearer_token.empty()) {
    auth = "Authorization: Bearer " + m_opt.bearer_token;
    headers = curl_slist_append(headers, auth.c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_opt.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(m_opt.timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &m_abort);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  if (!m_opt.basic_user.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, m_opt.basic_user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, m_opt.basic_password.c_str());
  }
  const std::string m(method);
  if (m == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (m == "PUT") {
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  } else if (sink.overflow) {
    r.status = 413;  // treated as a miss: more than we are willing to hold
    r.error = fmt::format("response larger than {} bytes", max_bytes);
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  note_transport(r);
  return r;
}

void RemoteCache::note_transport(const Response& r) {
  if (r.status != 0) {
    m_conn_failures = 0;
    return;
  }
  {
    std::lock_guard lock(m_mu);
    ++m_stats.errors;
  }
  if (++m_conn_failures >= m_opt.breaker) m_disabled = true;
}

RemoteCache::Fetched RemoteCache::get_action(const std::string& key) {
  Fetched f;
  auto r = request("GET", "/ac/" + key, nullptr, 64u << 20);
  std::lock_guard lock(m_mu);
  if (r.status != 200) {
    ++m_stats.misses;
    // A refusal (bad credentials) is reported like a server error, so it does not pass for misses.
    if (r.status >= 500 || r.status == 401 || r.status == 403) ++m_stats.errors;
    return f;
  }
  m_stats.bytes_down += static_cast<int64_t>(r.body.size());
  if (!m_opt.hmac_key.empty()) {
    const size_t nl = r.body.find('\n');
    const std::string_view first = std::string_view(r.body).substr(0, nl);
    if (nl == std::string::npos || first.substr(0, k_sig_prefix.size()) != k_sig_prefix ||
        std::string(first.substr(k_sig_prefix.size())) !=
            hmac_sha256_hex(m_opt.hmac_key, signed_text(key, std::string_view(r.body).substr(nl + 1)))) {
      ++m_stats.corrupted;
      f.got = Got::corrupted;
      f.problem = fmt::format("the remote action result {} has a missing or wrong HMAC signature", key.substr(0, 12));
      return f;
    }
    f.data = r.body.substr(nl + 1);
  } else {
    // Unsigned readers accept signed results: the signature line is skipped.
    if (r.body.rfind(k_sig_prefix, 0) == 0) {
      const size_t nl = r.body.find('\n');
      f.data = nl == std::string::npos ? std::string() : r.body.substr(nl + 1);
    } else {
      f.data = std::move(r.body);
    }
  }
  ++m_stats.hits;
  f.got = Got::hit;
  return f;
}

RemoteCache::Fetched RemoteCache::get_blob(const std::string& sha256) {
  Fetched f;
  if (!is_hex64(sha256)) return f;
  auto r = request("GET", "/cas/" + sha256, nullptr, size_t{4} << 30);
  std::lock_guard lock(m_mu);
  if (r.status != 200) {
    if (r.status >= 500) ++m_stats.errors;
    return f;
  }
  m_stats.bytes_down += static_cast<int64_t>(r.body.size());
  if (base::sha256_hex(r.body) != sha256) {
    ++m_stats.corrupted;
    m_bad_blobs.insert(sha256);
    f.got = Got::corrupted;
    f.problem = fmt::format("the remote cache's blob {} does not match its SHA-256", sha256.substr(0, 12));
    return f;
  }
  f.got = Got::hit;
  f.data = std::move(r.body);
  return f;
}

void RemoteCache::enqueue(Upload u) {
  if (!m_opt.write) return;
  std::lock_guard lock(m_mu);
  if (m_stop || m_disabled.load() || m_queued_bytes + u.bytes > m_opt.queue_bytes) {
    ++m_stats.dropped;
    return;
  }
  m_queued_bytes += u.bytes;
  m_queue.push_back(std::move(u));
  if (!m_thread.joinable()) m_thread = std::thread([this] { worker(); });
  m_cv.notify_one();
}

void RemoteCache::put_blob_file(const std::string& sha256, const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  enqueue(Upload{true, sha256, file, {}, ec ? 0 : static_cast<size_t>(size)});
}

void RemoteCache::put_action(const std::string& key, std::string value) {
  if (!m_opt.hmac_key.empty())
    value = std::string(k_sig_prefix) + hmac_sha256_hex(m_opt.hmac_key, signed_text(key, value)) + "\n" + value;
  const size_t bytes = value.size();
  enqueue(Upload{false, key, {}, std::move(value), bytes});
}

bool RemoteCache::upload_one(const Upload& u) {
  if (u.blob) {
    bool bad = false;
    {
      std::lock_guard lock(m_mu);
      bad = m_bad_blobs.count(u.name) > 0;
    }
    auto head = bad ? Response{} : request("HEAD", "/cas/" + u.name, nullptr, 0);
    if (head.status == 200) {
      std::lock_guard lock(m_mu);
      ++m_stats.skipped;
      return true;
    }
    auto content = base::read_file(u.file);
    // Gone (pruned) or changed since it was queued: nothing trustworthy to upload.
    if (!content || base::sha256_hex(*content) != u.name) return true;
    auto put = request("PUT", "/cas/" + u.name, &*content, 1u << 20);
    if (put.status < 200 || put.status >= 300) return false;
    std::lock_guard lock(m_mu);
    ++m_stats.uploaded;
    m_stats.bytes_up += static_cast<int64_t>(content->size());
    return true;
  }
  auto put = request("PUT", "/ac/" + u.name, &u.value, 1u << 20);
  if (put.status < 200 || put.status >= 300) return false;
  std::lock_guard lock(m_mu);
  ++m_stats.uploaded;
  m_stats.bytes_up += static_cast<int64_t>(u.value.size());
  return true;
}

void RemoteCache::worker() {
  std::unique_lock lock(m_mu);
  for (;;) {
    m_cv.wait(lock, [&] { return m_stop || !m_queue.empty(); });
    if (m_queue.empty()) return;  // stopping
    Upload u = std::move(m_queue.front());
    m_queue.pop_front();
    m_busy = true;
    lock.unlock();
    bool ok = false;
    for (int attempt = 0; attempt <= m_opt.retries && !ok; ++attempt) {
      if (attempt > 0) {
        std::unique_lock wait_lock(m_mu);
        // Backoff 100, 200, 400 ms; a stop (destructor) cuts it short.
        if (m_cv.wait_for(wait_lock, std::chrono::milliseconds(100 << (attempt - 1)), [&] { return m_stop; })) break;
      }
      if (m_disabled.load()) break;
      ok = upload_one(u);
    }
    lock.lock();
    if (!ok) ++m_stats.dropped;
    m_queued_bytes -= std::min(m_queued_bytes, u.bytes);
    m_busy = false;
    if (m_queue.empty()) m_idle_cv.notify_all();
    if (m_stop) {
      m_stats.dropped += static_cast<int64_t>(m_queue.size());
      m_queue.clear();
      m_idle_cv.notify_all();
      return;
    }
  }
}

int64_t RemoteCache::flush(std::chrono::milliseconds budget) {
  std::unique_lock lock(m_mu);
  m_idle_cv.wait_for(lock, budget, [&] { return m_queue.empty() && !m_busy; });
  const auto left = static_cast<int64_t>(m_queue.size()) + (m_busy ? 1 : 0);
  m_stats.dropped += static_cast<int64_t>(m_queue.size());
  m_queue.clear();
  m_queued_bytes = 0;
  m_stop = true;
  if (m_busy) m_abort = true;  // the transfer in flight is abandoned, so joining is quick
  m_cv.notify_all();
  return left;
}

RemoteCacheStats RemoteCache::stats() const {
  std::lock_guard lock(m_mu);
  RemoteCacheStats s = m_stats;
  s.disabled = m_disabled.load();
  return s;
}

}  // namespace sluice::store
