#pragma once
// The two pieces a worker-kind stage (llm, validate) needs: a bounded pool of threads that
// runs its attempts, and the mailbox through which those threads hand output and outcomes back
// to the scheduler thread (an eventfd it polls with everything else).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/stage_executor.h"

namespace sluice::engine {

// A message from a worker thread to the scheduler.
struct Message {
  enum class Type { output, done } type = Type::output;
  int stage = 0;
  std::string text;  // output: the (redacted) bytes
  int attempt = 0;   // done: the attempt that ended
  StageOutcome outcome;
};

// Thread-safe: post() from any thread; take() and fd() from the scheduler thread.
class Mailbox {
 public:
  Mailbox();
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;
  void post(Message m);
  // Everything posted so far, in posting order; clears the eventfd.
  [[nodiscard]] std::deque<Message> take();
  // Readable while messages wait.
  [[nodiscard]] int fd() const { return m_fd; }

 private:
  std::mutex m_mu;
  std::deque<Message> m_queue;
  int m_fd;
};

// At most `size` threads, started on demand and reused: a thread per stage costs a clone and
// fresh stack pages each time, which a 2000-stage pipeline of quick commands notices.
// The destructor waits for the jobs already submitted. submit() is for one thread.
class WorkerPool {
 public:
  explicit WorkerPool(int size) : m_size(size) {}
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  void submit(std::function<void()> job);

 private:
  void loop();
  int m_size;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_jobs;
  std::vector<std::thread> m_threads;
  int m_idle = 0;
  bool m_stop = false;
};

}  // namespace sluice::engine
