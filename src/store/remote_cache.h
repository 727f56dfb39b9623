#pragma once
// A client of the Bazel HTTP remote cache protocol: GET/HEAD/PUT <url>/ac/<sha256> for action
// results and <url>/cas/<sha256> for content blobs, over libcurl. The same URL works with
// bazel-remote (started with --disable_http_ac_validation: sluice's action results are JSON,
// not Bazel's protobuf, as ccache's are), nginx WebDAV, BuildBuddy, or an S3 gateway.
//
// A remote cache is an optimisation, never a dependency: every failure is a miss (counted in
// stats()), a blob whose SHA-256 differs from its name is `corrupted`, and after a few
// consecutive connection failures the cache turns itself off for the rest of the process, so a
// stopped server costs misses, not time. Uploads go through a bounded background queue
// (retried with backoff); flush() waits for it at most a given time and drops the rest.
// Writes happen only when `write` is set (trusted runs); reads never need it.
//
// Thread-safety: every method may be called from any thread (each request has its own curl
// handle; the queue and counters are synchronised).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>

#include "base/error.h"

namespace sluice::store {

struct RemoteCacheOptions {
  std::string url;  // http(s)://host[:port][/prefix]; may hold user:password@ (masked in messages)
  bool write = false;             // remote_write / SLUICE_CACHE_WRITE=1
  std::string bearer_token;       // SLUICE_CACHE_TOKEN
  std::string basic_user;         // SLUICE_CACHE_USER
  std::string basic_password;     // SLUICE_CACHE_PASSWORD
  std::string hmac_key;           // SLUICE_CACHE_HMAC_KEY: sign action results, verify on read
  std::chrono::milliseconds connect_timeout{1500};
  std::chrono::milliseconds timeout{60000};
  size_t queue_bytes = 512u << 20;  // pending upload bytes beyond which uploads are dropped
  int retries = 3;                  // per upload, after the first try
  int breaker = 3;                  // consecutive connection failures that turn the cache off
};

struct RemoteCacheStats {
  int64_t hits = 0;        // action results found (and verified)
  int64_t misses = 0;      // not found, or unreadable
  int64_t errors = 0;      // requests that failed (connection, 5xx, timeout)
  int64_t corrupted = 0;   // blobs whose content did not match their name, bad signatures
  int64_t uploaded = 0;    // PUTs that succeeded
  int64_t skipped = 0;     // blobs the server already had (HEAD)
  int64_t dropped = 0;     // uploads given up: queue full, retries spent, or left at flush
  int64_t bytes_down = 0;
  int64_t bytes_up = 0;
  bool disabled = false;   // turned off by consecutive connection failures
};

// The platform a cached output was made on (OS, architecture, libc and its version), part of
// every remote key: "Linux x86_64 glibc-2.36". A Debian runner never restores an Alpine output.
[[nodiscard]] std::string platform_tag();

// `url` with any password (user:password@) replaced by "***", for messages and logs.
[[nodiscard]] std::string mask_url(std::string_view url);

// HMAC-SHA256 of `data` under `key`, lowercase hex.
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view data);

class RemoteCache {
 public:
  // Fails (invalid_input) when the URL is not http:// or https://.
  [[nodiscard]] static Expected<std::unique_ptr<RemoteCache>> open(RemoteCacheOptions options);
  ~RemoteCache();  // stops the upload thread; pending uploads are dropped (call flush() first)
  RemoteCache(const RemoteCache&) = delete;
  RemoteCache& operator=(const RemoteCache&) = delete;

  [[nodiscard]] bool writable() const { return m_opt.write; }
  [[nodiscard]] const std::string& display_url() const { return m_display; }

  enum class Got { hit, miss, corrupted };
  struct Fetched {
    Got got = Got::miss;
    std::string data;     // hit: the content
    std::string problem;  // corrupted: what was wrong
  };
  // GET /ac/<key>. With an HMAC key, a result whose signature is missing or wrong is corrupted.
  [[nodiscard]] Fetched get_action(const std::string& key);
  // GET /cas/<sha256>; the content is verified against its name.
  [[nodiscard]] Fetched get_blob(const std::string& sha256);

  // Queue uploads (nothing when not writable). A blob is read from `file` when its turn comes,
  // checked against its name, HEADed and PUT only when the server lacks it (or when this
  // process found the server's copy corrupted: then it is overwritten). Actions are signed
  // with the HMAC key when one is set. Order is kept: queue the blobs before their action.
  void put_blob_file(const std::string& sha256, const std::filesystem::path& file);
  void put_action(const std::string& key, std::string value);

  // Waits until the queue is empty or `budget` has passed; what is left is dropped (counted).
  // Returns the number dropped at this flush.
  int64_t flush(std::chrono::milliseconds budget);
  [[nodiscard]] RemoteCacheStats stats() const;

 private:
  explicit RemoteCache(RemoteCacheOptions options);
  struct Upload {
    bool blob = false;
    std::string name;  // sha256 or action key
    std::filesystem::path file;
    std::string value;
    size_t bytes = 0;
  };
  struct Response {
    long status = 0;   // 0: no HTTP response (connection failed, timeout)
    std::string body;
    std::string error;
  };
  Response request(const char* method, const std::string& path, const std::string* body, size_t max_bytes);
  void note_transport(const Response& r);
  bool upload_one(const Upload& u);
  void worker();
  void enqueue(Upload u);

  RemoteCacheOptions m_opt;
  std::string m_base;     // url without a trailing slash
  std::string m_display;  // masked
  std::atomic<int> m_conn_failures{0};
  std::atomic<bool> m_disabled{false};
  std::atomic<bool> m_abort{false};  // flush's budget ran out: abandon the transfer in flight
  mutable std::mutex m_mu;
  std::condition_variable m_cv;       // work queued, or stop
  std::condition_variable m_idle_cv;  // queue drained
  std::deque<Upload> m_queue;
  size_t m_queued_bytes = 0;
  bool m_busy = false;
  bool m_stop = false;
  RemoteCacheStats m_stats;  // guarded by m_mu
  // Blobs found corrupted on the server (guarded by m_mu): an upload of one overwrites it
  // instead of trusting HEAD, so a writer with the right content repairs the cache.
  std::unordered_set<std::string> m_bad_blobs;
  std::thread m_thread;      // started on the first upload
};

}  // namespace sluice::store
