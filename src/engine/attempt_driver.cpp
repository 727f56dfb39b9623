#include "engine/attempt_driver.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/stage_env.h"

namespace sluice::engine {

bool should_retry(const pipeline::Stage& stage, int attempt, const StageOutcome& o, bool cancelled) {
  if (cancelled || attempt > stage.retries) return false;
  if (o.status == OutcomeStatus::success || o.status == OutcomeStatus::cancelled) return false;
  if (stage.retry_on.empty()) return true;
  if (o.status == OutcomeStatus::timeout) return stage.retry_on.timeout;
  const auto& codes = stage.retry_on.exit_codes;
  return o.exit_code && std::find(codes.begin(), codes.end(), *o.exit_code) != codes.end();
}

std::string retry_banner(int attempt, std::string_view why, int retries) {
  return fmt::format("\n--- sluice: attempt {} failed ({}); retrying, attempt {} of {} ---\n", attempt, why,
                     attempt + 1, retries + 1);
}

namespace {

// Runs a worker-kind attempt. An exception (an allocation that failed on hostile input, say) must
// not escape the worker thread: that would terminate sluice without stopping the stages that
// run beside it. It fails this stage instead, and the run cleans up as after any failure.
StageOutcome execute_guarded(StageExecutor& exec, StageContext& ctx) {
  try {
    return exec.execute(ctx);
  } catch (const std::bad_alloc&) {
    return {OutcomeStatus::failed, std::nullopt, "internal error: out of memory", std::nullopt};
  } catch (const std::exception& e) {
    return {OutcomeStatus::failed, std::nullopt, fmt::format("internal error: {}", e.what()), std::nullopt};
  }
}

}  // namespace

struct AttemptDriver::Active {
  StageExecutor* exec = nullptr;
  bool polled = false;
  std::vector<std::string> env;
  int attempt = 1;
  std::unique_ptr<StageOutput> output;
  std::unique_ptr<StageAttempt> running;  // the polled attempt in progress
  const pipeline::Stage* resolved = nullptr;
};

AttemptDriver::AttemptDriver(DriverSetup setup)
    : m_pipeline(setup.pipeline),
      m_workspace(std::move(setup.workspace)),
      m_run_id(std::move(setup.run_id)),
      m_filters(setup.filters),
      m_sink(setup.sink),
      m_events(setup.events),
      m_active(setup.pipeline.stages.size()),
      m_pool(std::max(1, setup.jobs)) {}

AttemptDriver::~AttemptDriver() = default;

StageContext AttemptDriver::context_of(int i, Active& a) {
  const auto& stage = a.resolved != nullptr ? *a.resolved : m_pipeline.stages[static_cast<size_t>(i)];
  const auto& env = a.env;
  return StageContext{m_pipeline,
                      stage,
                      m_workspace,
                      env,
                      m_run_id,
                      a.attempt,
                      stage.timeout,
                      m_pipeline.defaults.kill_grace,
                      *a.output,
                      m_cancel,
                      [&env](std::string_view name) { return env_lookup(env, name); }};
}

void AttemptDriver::start(int i, StageExecutor* exec, std::vector<std::string> env, std::filesystem::path log_path,
                          const pipeline::Stage* resolved) {
  auto a = std::make_unique<Active>();
  a->resolved = resolved;
  a->exec = exec;
  a->polled = exec != nullptr && exec->pollable();
  a->env = std::move(env);
  a->output = std::make_unique<StageOutput>(i, std::move(log_path), m_filters, m_mail, a->polled ? &m_sink : nullptr,
                                            m_pipeline.stages[static_cast<size_t>(i)]);
  if (!a->polled) ++m_workers;
  m_active[static_cast<size_t>(i)] = std::move(a);
  launch(i);
}

void AttemptDriver::launch(int i) {
  Active& a = *m_active[static_cast<size_t>(i)];
  if (!a.polled) {
    submit(i);
    return;
  }
  StageContext ctx = context_of(i, a);
  auto started = a.exec->start(ctx);
  if (!started) {
    attempt_ended(i, {OutcomeStatus::failed, std::nullopt, started.error().message, std::nullopt});
    return;
  }
  a.running = std::move(*started);
  m_events.process_group_changed(i, a.running->process_group());
  m_polled.push_back(i);
}

void AttemptDriver::submit(int i) {
  Active* a = m_active[static_cast<size_t>(i)].get();
  a->output->set_direct(nullptr);  // the worker writes: its output goes through the mailbox
  m_pool.submit([this, i, a] {
    StageOutcome outcome;
    if (a->exec == nullptr) {
      const auto kind = m_pipeline.stages[static_cast<size_t>(i)].kind;
      outcome = {OutcomeStatus::failed, std::nullopt,
                 fmt::format("this sluice cannot run \"{}\" stages", pipeline::to_string(kind)), std::nullopt};
    } else {
      StageContext ctx = context_of(i, *a);
      outcome = execute_guarded(*a->exec, ctx);
    }
    m_mail.post({Message::Type::done, i, {}, a->attempt, std::move(outcome)});
  });
}

void AttemptDriver::attempt_ended(int i, StageOutcome outcome) {
  Active& a = *m_active[static_cast<size_t>(i)];
  const auto& stage = m_pipeline.stages[static_cast<size_t>(i)];
  if (a.polled) {
    a.running.reset();
    m_events.process_group_changed(i, std::nullopt);  // the attempt left nothing running
  }
  a.output->set_direct(&m_sink);  // from here on the scheduler thread writes
  if (a.exec != nullptr && should_retry(stage, a.attempt, outcome, m_cancel.cancelled())) {
    std::string why = outcome.reason.empty() ? "failed" : outcome.reason;
    a.output->write(retry_banner(a.attempt, why, stage.retries));
    ++a.attempt;
    m_events.attempt_retrying(i, a.attempt, why);
    launch(i);
    return;
  }
  a.output->finish();
  AttemptsEnded ended{a.attempt, std::move(outcome), a.output->wrote()};
  if (!a.polled) --m_workers;
  m_active[static_cast<size_t>(i)].reset();
  m_events.stage_ended(i, std::move(ended));
}

std::optional<AttemptDriver::Clock::time_point> AttemptDriver::add_poll_fds(std::vector<pollfd>& fds) {
  m_owners.clear();
  m_first_fd = fds.size();
  std::optional<Clock::time_point> wake;
  for (int i : m_polled) {
    const auto& attempt = *m_active[static_cast<size_t>(i)]->running;
    int own[StageAttempt::k_max_fds];
    const int n = attempt.fds(own);
    for (int k = 0; k < n; ++k) fds.push_back({own[k], POLLIN, 0});
    m_owners.emplace_back(i, n);
    if (auto d = attempt.deadline(); d && (!wake || *d < *wake)) wake = d;
  }
  return wake;
}

bool AttemptDriver::advance(const std::vector<pollfd>& fds, Clock::time_point now) {
  // Walks the attempts laid out before the wait: one that ends may start its next attempt
  // (appended to m_polled), which waits for the next round.
  bool ended = false;
  size_t at = m_first_fd;
  for (const auto& [i, n] : m_owners) {
    short revents[StageAttempt::k_max_fds] = {};
    bool ready_now = false;
    for (int k = 0; k < n; ++k) {
      revents[k] = fds[at + static_cast<size_t>(k)].revents;
      ready_now = ready_now || revents[k] != 0;
    }
    at += static_cast<size_t>(n);
    auto& a = m_active[static_cast<size_t>(i)];
    if (!a || !a->running) continue;
    auto d = a->running->deadline();
    if (!ready_now && !(d && *d <= now)) continue;
    if (auto outcome = a->running->advance(revents, now)) {
      m_polled.erase(std::find(m_polled.begin(), m_polled.end(), i));
      attempt_ended(i, std::move(*outcome));
      ended = true;
    }
  }
  return ended;
}

bool AttemptDriver::deliver() {
  bool ended = false;
  for (auto& m : m_mail.take()) {
    if (m.type == Message::Type::output) {
      m_sink.stage_output(m_pipeline.stages[static_cast<size_t>(m.stage)], m.text);
      continue;
    }
    attempt_ended(m.stage, std::move(m.outcome));
    ended = true;
  }
  return ended;
}

void AttemptDriver::cancel_all(Clock::time_point now) {
  m_cancel.cancel();
  for (int i : m_polled) m_active[static_cast<size_t>(i)]->running->cancel(now);
}

}  // namespace sluice::engine
