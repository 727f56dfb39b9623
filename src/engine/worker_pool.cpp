#include "engine/worker_pool.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <utility>

namespace sluice::engine {

Mailbox::Mailbox() : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Mailbox::~Mailbox() { ::close(m_fd); }

void Mailbox::post(Message m) {
  {
    std::lock_guard lock(m_mu);
    m_queue.push_back(std::move(m));
  }
  uint64_t one = 1;
  (void)!::write(m_fd, &one, sizeof one);
}

std::deque<Message> Mailbox::take() {
  uint64_t v;
  (void)!::read(m_fd, &v, sizeof v);
  std::lock_guard lock(m_mu);
  return std::exchange(m_queue, {});
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(m_mu);
    m_stop = true;
  }
  m_cv.notify_all();
  for (auto& t : m_threads) t.join();
}

void WorkerPool::submit(std::function<void()> job) {
  std::lock_guard lock(m_mu);
  m_jobs.push_back(std::move(job));
  if (m_idle == 0 && static_cast<int>(m_threads.size()) < m_size) {
    m_threads.emplace_back([this] { loop(); });
  } else {
    m_cv.notify_one();
  }
}

void WorkerPool::loop() {
  std::unique_lock lock(m_mu);
  for (;;) {
    ++m_idle;
    m_cv.wait(lock, [this] { return m_stop || !m_jobs.empty(); });
    --m_idle;
    if (m_jobs.empty()) return;  // stopping
    auto job = std::move(m_jobs.front());
    m_jobs.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace sluice::engine
