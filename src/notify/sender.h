#pragma once
// The background queue notifications (and the OTLP export) leave through. enqueue() never
// touches the network; one worker thread drives every delivery at once over libcurl's multi
// interface, retrying with exponential backoff and full jitter on network errors, 408, 429 and
// 5xx, never on 410 (the receiver asks to stop). finish() waits at most its bound, then abandons
// what is still in flight: a slow, failing or unreachable receiver delays the caller by that
// bound at most and never fails it.
//
// Thread-safety: enqueue() from any thread; finish() once, from the owner.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "store/database.h"

namespace sluice::notify {

struct Delivery {
  std::string channel;  // slack | webhook | otlp
  std::string event;
  std::string target;   // what reports show: the env variable naming the URL, never the URL
  std::string url;
  std::string body;
  std::string signing_key;  // raw key bytes (notify::webhook_key); empty: not signed
  std::string id;           // webhook-id (also the idempotency key across retries)
};

struct Outcome {
  std::string channel, event, target;
  std::string outcome;  // delivered | failed | gone | abandoned
  int attempts = 0;
  int http_status = 0;  // the last response's status; 0 when none came
  std::string error;    // empty when delivered
  int64_t elapsed_ms = 0;
};

struct SenderOptions {
  int max_attempts = 4;
  std::chrono::milliseconds first_backoff{250};  // doubled per retry, full jitter
  std::chrono::milliseconds attempt_timeout{10000};
  std::chrono::milliseconds connect_timeout{3000};
};

class Sender {
 public:
  explicit Sender(SenderOptions options = {});
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  void enqueue(Delivery d);
  // Waits until every delivery has an outcome or `bound` has passed, abandons the rest, stops
  // the worker and returns the outcomes in enqueue order.
  [[nodiscard]] std::vector<Outcome> finish(std::chrono::milliseconds bound);

 private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

// Writes outcomes to the state database's `notifications` table (schema v4).
[[nodiscard]] Expected<void> record_outcomes(store::Database& db, const std::string& run_id,
                                             const std::vector<Outcome>& outcomes, int64_t now_ms);

}  // namespace sluice::notify
