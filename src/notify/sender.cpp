#include "notify/sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "notify/signing.h"

namespace sluice::notify {

namespace {
int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

struct Job {
  Delivery d;
  Outcome out;
  int64_t enqueued_ms = 0;
  int64_t next_at_ms = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  bool done = false;
};

bool retryable_status(long code) { return code == 408 || code == 429 || code >= 500; }
}  // namespace

struct Sender::Impl {
  SenderOptions opt;
  CURLM* multi = nullptr;
  std::mutex mu;
  std::vector<Delivery> incoming;
  bool stopping = false;
  int64_t deadline_ms = 0;
  std::vector<std::unique_ptr<Job>> jobs;  // owned by the worker until it ends
  std::thread worker;
  std::mt19937_64 rng{std::random_device{}()};

  void start(Job& j) {
    j.easy = curl_easy_init();
    ++j.out.attempts;
    j.headers = curl_slist_append(nullptr, "Content-Type: application/json");
    if (!j.d.signing_key.empty()) {
      int64_t ts = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      j.headers = curl_slist_append(j.headers, ("webhook-id: " + j.d.id).c_str());
      j.headers = curl_slist_append(j.headers, fmt::format("webhook-timestamp: {}", ts).c_str());
      j.headers = curl_slist_append(
          j.headers, ("webhook-signature: " + sign_webhook(j.d.signing_key, j.d.id, ts, j.d.body)).c_str());
    }
    curl_easy_setopt(j.easy, CURLOPT_URL, j.d.url.c_str());
    curl_easy_setopt(j.easy, CURLOPT_POST, 1L);
    curl_easy_setopt(j.easy, CURLOPT_POSTFIELDS, j.d.body.data());
    curl_easy_setopt(j.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(j.d.body.size()));
    curl_easy_setopt(j.easy, CURLOPT_HTTPHEADER, j.headers);
    curl_easy_setopt(j.easy, CURLOPT_USERAGENT, "sluice");
    curl_easy_setopt(j.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j.easy, CURLOPT_TIMEOUT_MS, static_cast<long>(opt.attempt_timeout.count()));
    curl_easy_setopt(j.easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt.connect_timeout.count()));
    curl_easy_setopt(j.easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(j.easy, CURLOPT_PRIVATE, &j);
    curl_multi_add_handle(multi, j.easy);
  }

  void release(Job& j) {
    if (j.easy) {
      curl_multi_remove_handle(multi, j.easy);
      curl_easy_cleanup(j.easy);
      j.easy = nullptr;
    }
    curl_slist_free_all(j.headers);
    j.headers = nullptr;
  }

  void settle(Job& j, const std::string& outcome, const std::string& error) {
    j.done = true;
    j.out.outcome = outcome;
    j.out.error = error;
    j.out.elapsed_ms = steady_ms() - j.enqueued_ms;
  }

  void completed(Job& j, CURLcode rc) {
    long code = 0;
    curl_easy_getinfo(j.easy, CURLINFO_RESPONSE_CODE, &code);
    release(j);
    j.out.http_status = static_cast<int>(code);
    std::string error;
    bool retry = false;
    if (rc != CURLE_OK) {
      // curl_easy_strerror names the failure without the URL (which may hold a token).
      error = curl_easy_strerror(rc);
      retry = true;
    } else if (code >= 200 && code < 300) {
      settle(j, "delivered", "");
      return;
    } else if (code == 410) {
      settle(j, "gone", "HTTP 410: the receiver asked to stop");
      return;
    } else {
      error = fmt::format("HTTP {}", code);
      retry = retryable_status(code);
    }
    if (!retry || j.out.attempts >= opt.max_attempts) {
      settle(j, "failed", error);
      return;
    }
    // Full jitter: anywhere between 0 and the doubled backoff, so receivers are not hit in step.
    int64_t cap = opt.first_backoff.count() << std::min(j.out.attempts - 1, 10);
    j.out.error = error;
    j.next_at_ms = steady_ms() + std::uniform_int_distribution<int64_t>(cap / 2, cap)(rng);
  }

  void run() {
    while (true) {
      bool stop;
      int64_t deadline;
      {
        std::lock_guard lock(mu);
        for (auto& d : incoming) {
          auto j = std::make_unique<Job>();
          j->out.channel = d.channel;
          j->out.event = d.event;
          j->out.target = d.target;
          j->enqueued_ms = steady_ms();
          j->next_at_ms = j->enqueued_ms;
          j->d = std::move(d);
          jobs.push_back(std::move(j));
        }
        incoming.clear();
        stop = stopping;
        deadline = deadline_ms;
      }
      int64_t now = steady_ms();
      bool all_done = std::all_of(jobs.begin(), jobs.end(), [](const auto& j) { return j->done; });
      if (stop && all_done) break;
      if (stop && now >= deadline) {
        for (auto& j : jobs) {
          if (j->done) continue;
          release(*j);
          settle(*j, "abandoned", j->out.error.empty() ? "no answer before the flush bound"
                                                       : "no answer before the flush bound; last: " + j->out.error);
        }
        break;
      }
      int64_t wake = now + 200;
      for (auto& j : jobs) {
        if (j->done || j->easy) continue;
        if (j->next_at_ms <= now) start(*j);
        else wake = std::min(wake, j->next_at_ms);
      }
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Job* j = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &j);
        if (j) completed(*j, msg->data.result);
      }
      if (stop && std::all_of(jobs.begin(), jobs.end(), [](const auto& j) { return j->done; })) continue;
      if (stop) wake = std::min(wake, deadline);
      int timeout = static_cast<int>(std::clamp<int64_t>(wake - steady_ms(), 0, 200));
      curl_multi_poll(multi, nullptr, 0, timeout, nullptr);
    }
  }
};

Sender::Sender(SenderOptions options) : m(std::make_unique<Impl>()) {
  m->opt = options;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  m->multi = curl_multi_init();
  m->worker = std::thread([this] { m->run(); });
}

Sender::~Sender() {
  if (m->worker.joinable()) (void)finish(std::chrono::milliseconds(0));
  curl_multi_cleanup(m->multi);
}

void Sender::enqueue(Delivery d) {
  {
    std::lock_guard lock(m->mu);
    m->incoming.push_back(std::move(d));
  }
  curl_multi_wakeup(m->multi);
}

std::vector<Outcome> Sender::finish(std::chrono::milliseconds bound) {
  {
    std::lock_guard lock(m->mu);
    m->stopping = true;
    m->deadline_ms = steady_ms() + bound.count();
  }
  curl_multi_wakeup(m->multi);
  if (m->worker.joinable()) m->worker.join();
  std::vector<Outcome> out;
  for (auto& j : m->jobs) out.push_back(j->out);
  m->jobs.clear();
  return out;
}

Expected<void> record_outcomes(store::Database& db, const std::string& run_id, const std::vector<Outcome>& outcomes,
                               int64_t now_ms) {
  if (outcomes.empty()) return {};
  auto q = db.prepare(
      "INSERT INTO notifications(run_id, channel, event, target, outcome, attempts, http_status, error, elapsed_ms, "
      "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!q) return tl::unexpected(q.error());
  for (const auto& o : outcomes) {
    q->reset();
    q->bind(1, run_id).bind(2, o.channel).bind(3, o.event).bind(4, o.target).bind(5, o.outcome).bind(6, o.attempts);
    q->bind(7, o.http_status).bind(8, o.error).bind(9, o.elapsed_ms).bind(10, now_ms);
    if (auto r = q->run(); !r) return r;
  }
  return {};
}

}  // namespace sluice::notify
