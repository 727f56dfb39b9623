// sluice run | plan | graph | runs | report: the pipeline commands.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include "base/duration.h"
#include "base/files.h"
#include "base/process.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/prune.h"
#include "cli/run_outputs.h"
#include "cli/review_cli.h"
#include "cli/run_facts.h"
#include "cli/run_view.h"
#include "cli/shared_state.h"
#include "cli/stage_kinds.h"
#include "cli/terminal.h"
#include "engine/leftovers.h"
#include "engine/llm_sections.h"
#include "engine/plan.h"
#include "engine/process_stage.h"
#include "engine/registry_push.h"
#include "engine/runner.h"
#include "engine/step_cache.h"
#include "notify/config.h"
#include "pipeline/graph.h"
#include "pipeline/loader.h"
#include "report/report.h"
#include "store/state_layout.h"
#include "store/state_store.h"

extern char** environ;

namespace sluice::cli {
namespace fs = std::filesystem;

namespace {

struct PipelineArgs {
  std::string file = "sluice.yml";
};

fs::path workspace_of(const std::string& file) {
  std::error_code ec;
  fs::path abs = fs::absolute(file, ec);
  return abs.parent_path();
}

// Loads the pipeline and its `llm:` and `notify:` sections or prints every diagnostic of all, in
// file order; nullopt means exit 2. `llm` and `notify_rules` (optional) receive the parsed sections.
std::optional<pipeline::Pipeline> load_or_report(const std::string& file,
                                                 std::shared_ptr<const engine::LlmSections>* llm = nullptr,
                                                 std::vector<notify::Rule>* notify_rules = nullptr,
                                                 const std::vector<std::string>& param_flags = {}) {
  pipeline::LoadOptions lo;
  if (auto flags = parse_param_flags(param_flags)) {
    lo.params = std::move(*flags);
  } else {
    std::fprintf(stderr, "sluice: %s\n", flags.error().message.c_str());
    return std::nullopt;
  }
  // The first thing a newcomer meets: say what to do, not only that open() failed.
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    fs::path where = fs::absolute(file, ec).parent_path();
    std::fprintf(stderr,
                 "sluice: no %s in %s\n"
                 "  sluice run -f FILE   use a pipeline file by another name\n"
                 "  sluice -C DIR run    run in the directory that holds sluice.yml\n"
                 "  sluice init          write a starter sluice.yml for the project here\n",
                 fs::path(file).filename().c_str(), where.c_str());
    return std::nullopt;
  }
  auto r = pipeline::load_pipeline(file, lo);
  auto sections = std::make_shared<engine::LlmSections>(engine::parse_llm_sections(r.pipeline, r.diagnostics));
  engine::check_push_targets(r.pipeline, r.diagnostics);
  auto rules = r.pipeline.notify ? notify::parse_rules(*r.pipeline.notify, file, r.diagnostics) : std::vector<notify::Rule>{};
  if (notify_rules) *notify_rules = std::move(rules);
  std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(), [](const auto& a, const auto& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  if (llm) *llm = std::move(sections);
  if (!r.ok()) {
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    if (detect_terminal().ci_kind == CiKind::github) ci::github_load_errors(r.diagnostics, stdout);
    std::fprintf(stderr, "sluice: %zu error%s in %s; nothing was run\n", r.diagnostics.size(),
                 r.diagnostics.size() == 1 ? "" : "s", file.c_str());
    return std::nullopt;
  }
  return std::move(r.pipeline);
}

// A stage log's content for JUnit failure details (logs are already redacted).
std::optional<std::string> read_log(const std::string& path) {
  auto t = base::read_file(path);
  return t ? std::optional<std::string>(std::move(*t)) : std::nullopt;
}

std::vector<std::string> current_env() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

void add_file_option(CLI::App* cmd, PipelineArgs& a) {
  cmd->add_option("-f,--file", a.file, "Pipeline file")->capture_default_str();
}

// The state backend `url` names ("" the workspace's SQLite database in `dir`).
std::unique_ptr<store::StateStore> open_store_or_report(const fs::path& dir, const std::string& url = "") {
  return open_state_or_report(dir, url, stderr);
}

// The signals that stop a run: its stages are cancelled (SIGTERM, SIGKILL after the grace),
// every child is reaped, and sluice exits 130 (141 for SIGPIPE).
constexpr int k_stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
constexpr int k_exit_output_closed = 128 + SIGPIPE;

// Whether `sig` is among the signals waiting on the signalfd (the scheduler only polls it);
// drains it.
bool pending_signal_was(int sfd, int sig) {
  bool seen = false;
  signalfd_siginfo info{};
  while (::read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (static_cast<int>(info.ssi_signo) == sig) seen = true;
  }
  return seen;
}

// How long `runs --reap` gives leftovers between SIGTERM and SIGKILL (the default kill_grace).
constexpr std::chrono::milliseconds k_reap_grace{5000};

// Stops what SIGKILLed runs in this workspace left running; says what it stopped on `out`.
// Returns false (after saying why) when the state database cannot be read.
bool reap_and_report(const fs::path& state_dir, const std::string& state_url, std::chrono::milliseconds grace,
                     std::FILE* out) {
  auto st = open_store_or_report(state_dir, state_url);
  if (!st) return false;
  auto reaped = engine::reap_leftovers(*st, grace);
  if (!reaped) {
    std::fprintf(stderr, "sluice: %s\n", reaped.error().message.c_str());
    return false;
  }
  for (const auto& g : *reaped) {
    std::fprintf(out, "sluice: stopped %d leftover process%s of interrupted run %s, stage \"%s\" (process group %lld)\n",
                 g.processes, g.processes == 1 ? "" : "es", g.run_id.c_str(), g.stage.c_str(),
                 static_cast<long long>(g.pgid));
  }
  return true;
}

struct RunArgs {
  PipelineArgs p;
  int jobs = 0;
  bool keep_going = false;
  bool cancel_on_failure = false;
  bool no_cache = false;
  std::vector<std::string> only;
  std::string json_path, junit_path, sarif_path;
  std::string output = "block";
  StageKindArgs kinds;
  ReportFiles files;
  std::string notify_flush = "2s";
  std::vector<std::string> params;  // -p NAME=VALUE
  std::string since;                // --since REF: the base `changes:` compares HEAD with
  std::string state;  // --state URL
};

int do_run(const RunArgs& a, int argc_jobs_default) {
  // The stop signals are blocked before anything else, so that a Ctrl-C in the first
  // milliseconds (while the pipeline loads) stops the run like any other: exit 130, not death by
  // the default action. Blocked before any thread starts, so every thread inherits the mask.
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : k_stop_signals) sigaddset(&mask, sig);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  std::shared_ptr<const engine::LlmSections> llm;
  std::vector<notify::Rule> notify_rules;
  auto p = load_or_report(a.p.file, &llm, &notify_rules, a.params);
  if (!p) return k_exit_usage;
  auto notify_flush = base::parse_duration(a.notify_flush);
  if (!notify_flush) {
    std::fprintf(stderr, "sluice: --notify-flush: %s\n", notify_flush.error().message.c_str());
    return k_exit_usage;
  }
  auto selected = engine::select_stages(*p, a.only);
  if (!selected) {
    std::fprintf(stderr, "sluice: %s\n", selected.error().message.c_str());
    return k_exit_usage;
  }
  auto review = plan_review_or_report(*p, *llm, workspace_of(a.p.file));
  if (!review) return k_exit_usage;
  OutputMode mode = a.output == "stream" ? OutputMode::stream : a.output == "quiet" ? OutputMode::quiet : OutputMode::block;

  // Signals become events on a file descriptor the scheduler polls; children get a clean mask.
  // SIGQUIT (Ctrl-\\) stops a run like SIGTERM. SIGPIPE too: a write to a closed stdout
  // (`sluice run | head`) then fails with EPIPE instead of killing sluice before it has stopped
  // its stages; the run is cancelled and sluice exits 141 (128 + SIGPIPE), as a killed writer
  // would. Every thread writing stdout (the scheduler, the status ticker) blocks it.
  // Blocked since the start of do_run: a signal that came while the pipeline loaded is pending
  // and reads from this fd like any later one.
  int sfd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  base::become_subreaper();
  // However sluice ends abnormally (an exception nothing catches, a thread left joinable), the
  // stages must not outlive it: they are its children (or reparented to it) until then.
  std::set_terminate([] {
    base::kill_remaining_children();
    std::abort();
  });

  engine::RunOptions opts;
  opts.workspace = workspace_of(a.p.file);
  opts.state_dir = store::StateLayout::of_workspace(opts.workspace).dir();
  opts.jobs = a.jobs > 0 ? a.jobs : argc_jobs_default;
  opts.keep_going = a.keep_going;
  opts.cancel_on_failure = a.cancel_on_failure;
  opts.no_cache = a.no_cache;
  opts.only = a.only;
  opts.base_env = current_env();
  auto facts = gather_run_facts(*p, opts.workspace, opts.base_env, a.since, opts.state_dir);
  if (!facts) {
    std::fprintf(stderr, "sluice: %s\n", facts.error().message.c_str());
    return k_exit_usage;
  }
  opts.facts = std::move(*facts);
  std::error_code self_ec;
  fs::path self = fs::read_symlink("/proc/self/exe", self_ec);
  if (!self_ec) opts.base_env.push_back("SLUICE_BIN=" + self.string());
  opts.interrupt_fd = sfd;
  opts.review = &*review;
  opts.on_pending = resolve_on_pending(p->review);
  if (review->any()) opts.actor = resolve_actor(opts.workspace);
  opts.options_text = fmt::format("-j {}{}{}{}", opts.jobs, a.keep_going ? " --keep-going" : "",
                                  a.no_cache ? " --no-cache" : "", a.cancel_on_failure ? " --cancel-on-failure" : "");

  auto state_url = resolve_shared_state(*p, a.state, stderr);
  if (!state_url) {
    ::close(sfd);
    return k_exit_usage;
  }
  // With shared state the run, its stages and the step-cache index are in PostgreSQL.
  opts.state_url = *state_url;
  // Leftovers of SIGKILLed runs first: they may hold what this run is about to use. Shared state
  // that cannot be opened (a wrong password, say) means the run cannot be recorded: exit 2 now.
  if (!state_url->empty()) {
    if (!reap_and_report(opts.state_dir, *state_url, p->defaults.kill_grace, stderr)) {
      ::close(sfd);
      return k_exit_usage;
    }
  } else if (fs::exists(store::StateLayout(opts.state_dir).database())) {
    (void)reap_and_report(opts.state_dir, *state_url, p->defaults.kill_grace, stderr);
  }

  bool remote_bad = false;
  auto remote = opts.no_cache ? nullptr : open_remote_cache(*p, stderr, remote_bad);
  if (remote_bad) {
    ::close(sfd);
    return k_exit_usage;
  }
  opts.remote_cache = remote.get();
  StageKindArgs kind_args = a.kinds;
  kind_args.state_url = *state_url;
  // Gates record and read approvals where the state is: with PostgreSQL, an approval given on
  // another machine releases a gate here (docs/review.md).
  std::unique_ptr<store::ReviewStore> shared_reviews;
  if (!state_url->empty() && review->any()) {
    shared_reviews = open_review_store(*state_url, nullptr, stderr);
    if (!shared_reviews) {
      ::close(sfd);
      return k_exit_usage;
    }
    opts.review_store = shared_reviews.get();
  }
  kind_args.remote_cache = remote.get();
  if (llm && llm->config && llm->config->shared_cache && !remote)
    std::fprintf(stderr, "sluice: warning: llm.cache is shared but no remote cache is configured (cache.remote); "
                         "LLM responses are cached in this workspace only\n");
  auto kinds = make_stage_kinds(*p, llm, kind_args, opts.workspace, opts.state_dir, stderr);
  if (!kinds) {
    ::close(sfd);
    return k_exit_usage;
  }
  TerminalInfo term = detect_terminal();
  if (term.ci_kind == CiKind::github) ci::github_masks(values_to_mask(*p, notify_rules), stdout);
  RunView view(*p, term, mode, stdout);
  std::atomic<bool> done{false};
  std::thread ticker;
  if (view.live()) {
    ticker = std::thread([&] {
      while (!done.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        view.tick();
      }
    });
  }
  // With the shared ledger the run is also recorded there, with a heartbeat (docs/scale-out.md).
  std::optional<SharedRunSink> shared_run;
  if (!state_url->empty()) shared_run.emplace(view, *state_url, p->file);
  engine::EventSink& sink = shared_run ? static_cast<engine::EventSink&>(*shared_run) : view;
  // Notifications and the OTLP export leave from a background queue; budget_exceeded during the run.
  std::optional<notify::Sender> sender;
  if (!notify_rules.empty() || !a.files.otlp_endpoint.empty()) sender.emplace();
  auto redact = [&](std::string_view t) { return kinds->redact(t); };
  std::optional<NotifyingSink> notifying;
  if (sender) notifying.emplace(sink, notify_rules, *sender, redact);
  engine::Runner runner(*p, opts, kinds->executors(), kinds->filters(),
                        notifying ? static_cast<engine::EventSink&>(*notifying) : sink);
  auto result = runner.run();
  std::optional<std::string> shared_problem;
  if (shared_run)
    shared_problem = shared_run->finish(result ? std::string(store::to_string(result->run.status)) : "failed");
  done = true;
  if (ticker.joinable()) ticker.join();
  view.clear_status();
  if (shared_problem)
    std::fprintf(stderr, "sluice: warning: the run's record in the shared state: %s\n", shared_problem->c_str());
  int killed = base::kill_remaining_children();
  const bool output_closed = result && result->interrupted && pending_signal_was(sfd, SIGPIPE);
  ::close(sfd);
  if (!result) {
    std::fprintf(stderr, "sluice: %s\n", kinds->redact(result.error().message).c_str());
    return k_exit_usage;
  }
  if (killed > 0) std::fprintf(stderr, "sluice: killed %d leftover process%s\n", killed, killed == 1 ? "" : "es");
  for (const auto& w : kinds->warnings()) std::fprintf(stderr, "sluice: warning: %s\n", kinds->redact(w).c_str());

  report::RunReport rep = report::build_report(result->run, result->stages);
  if (auto st = store::StateStore::open(opts.state_dir)) (void)report::add_ledger_spend(rep, (*st)->db());
  // With the shared ledger the spend against the limits is PostgreSQL's, every runner's.
  if (!state_url->empty()) (void)add_shared_spend(rep, *state_url);
  // Built only when asked for (JUnit reads every stage's log).
  auto write_out = [&](const std::string& path, const std::function<std::string()>& text) {
    if (path.empty()) return true;
    auto w = base::atomic_write(path, text());
    if (!w) std::fprintf(stderr, "sluice: %s\n", w.error().message.c_str());
    return w.has_value();
  };
  // The run's result goes out now, in the background, while the rest is written.
  if (sender) {
    std::vector<std::string> notes = notifying->warnings();
    auto budget = notifying->budget_sent() ? BudgetEvent::already_sent : BudgetEvent::include;
    for (auto& d : run_notifications(notify_rules, rep, redact, notes, budget)) sender->enqueue(std::move(d));
    for (const auto& n : notes) std::fprintf(stderr, "sluice: warning: %s\n", n.c_str());
    if (!a.files.otlp_endpoint.empty()) sender->enqueue(otlp_delivery(a.files.otlp_endpoint, rep));
  }
  bool wrote = write_out(a.json_path, [&] { return report::to_json(rep); });
  wrote = write_out(a.junit_path, [&] { return report::to_junit(rep, read_log); }) && wrote;
  wrote = write_out(a.sarif_path, [&] { return report::to_sarif(rep); }) && wrote;
  write_ci_outputs(term, *p, rep, read_log, a.junit_path);

  int ok = 0, failed = 0, skipped = 0, advisory = 0, awaiting = 0, unstable = 0;
  for (const auto& s : result->stages) {
    if (s.status == store::StageStatus::success) ++ok;
    else if (s.status == store::StageStatus::failed) ++failed;
    else if (s.status == store::StageStatus::failed_advisory) ++advisory;
    else if (s.status == store::StageStatus::awaiting_approval) ++awaiting;
    else if (s.status == store::StageStatus::unstable) ++unstable;
    else ++skipped;
  }
  std::printf("sluice: %s in %s: %d succeeded (%d cached), %d failed%s%s%s, %d skipped or cancelled; critical path %s\n",
              std::string(store::to_string(result->run.status)).c_str(),
              base::format_duration(std::chrono::milliseconds(result->run.duration_ms.value_or(0))).c_str(), ok,
              rep.cache_hits, failed,
              advisory > 0 ? fmt::format(", {} failed (advisory)", advisory).c_str() : "",
              unstable > 0 ? fmt::format(", {} unstable", unstable).c_str() : "",
              awaiting > 0 ? fmt::format(", {} awaiting approval", awaiting).c_str() : "", skipped,
              base::join(rep.critical_path, " -> ").c_str());
  if (awaiting > 0) {
    if (shared_reviews) {
      print_awaiting(*shared_reviews, result->run.id, stdout);
    } else if (auto st = store::StateStore::open(opts.state_dir)) {
      store::SqliteReviewStore local((*st)->db());
      print_awaiting(local, result->run.id, stdout);
    }
  }
  std::fflush(stdout);
  // A slow or dead receiver costs the run the flush bound at most, never its result.
  if (sender || a.files.any_file()) {
    auto st = open_store_or_report(opts.state_dir, *state_url);
    if (sender) settle_notifications(sender->finish(*notify_flush), st.get(), rep, stderr);
    if (st && !a.files.html.empty()) (void)report::add_llm_calls(rep, st->db());
    auto prev = st && !a.files.html.empty() ? previous_report(*st, rep) : std::nullopt;
    wrote = write_report_files(a.files, rep, prev ? &*prev : nullptr, read_log) && wrote;
  }
  // Uploads went on in the background during the run; what is left gets a bounded wait.
  if (remote) finish_remote_cache(*remote, stderr);
  // After the summary, so pruning never delays the run's result; an interrupted run prunes nothing.
  if (p->cache.any() && !result->interrupted) auto_prune(opts.state_dir, *state_url, p->cache, stderr);
  // The base of the next run's `changes:` when neither --since nor the CI gives one.
  if (result->run.status == store::RunStatus::success && opts.only.empty()) {
    record_success_commit(opts.workspace, opts.base_env, opts.state_dir);
  }
  if (output_closed) return k_exit_output_closed;
  if (result->interrupted) return k_exit_interrupted;
  if (result->run.status == store::RunStatus::unstable) return k_exit_unstable;
  if (result->run.status == store::RunStatus::awaiting_approval) return k_exit_awaiting_approval;
  if (result->run.status != store::RunStatus::success) return k_exit_failed;
  return wrote ? k_exit_ok : k_exit_usage;
}

std::string plan_text(const pipeline::Stage& s, const engine::PlannedStage& ps) {
  using Action = engine::PlannedStage::Action;
  switch (ps.action) {
    case Action::cached:
      return fmt::format("cached ({})", ps.key.substr(0, 12));
    case Action::cannot_hash:
      return fmt::format("run (cannot hash inputs: {})", ps.problem);
    case Action::not_cached:
      return s.kind == pipeline::StageKind::run ? "run (not cached: no inputs; add inputs or cache: true)" : "run";
    case Action::no_cache:
      return "run (--no-cache)";
    case Action::after_upstream:
      return fmt::format("run unless \"{}\" reproduces its outputs (key depends on it)", ps.upstream);
    case Action::miss:
      break;
    case Action::condition_false:
      return fmt::format("skip (condition false: {})", ps.why);
    case Action::need_skipped:
      return fmt::format("skip (needs \"{}\", which is skipped; if: always() would run it)", ps.upstream);
  }
  return fmt::format("run (no cache entry for {})", ps.key.substr(0, 12));
}

struct PlanArgs {
  PipelineArgs p;
  std::vector<std::string> only;
  bool no_cache = false;
  std::vector<std::string> params;
  std::string since;
  std::string state;  // --state URL
};

int do_plan(const PlanArgs& pa) {
  const PipelineArgs& a = pa.p;
  const auto& only = pa.only;
  const bool no_cache = pa.no_cache;
  std::shared_ptr<const engine::LlmSections> llm;
  auto p = load_or_report(a.file, &llm, nullptr, pa.params);
  if (!p) return k_exit_usage;
  auto review = plan_review_or_report(*p, *llm, workspace_of(a.file));
  if (!review) return k_exit_usage;
  auto selected = engine::select_stages(*p, only);
  if (!selected) {
    std::fprintf(stderr, "sluice: %s\n", selected.error().message.c_str());
    return k_exit_usage;
  }
  fs::path ws = workspace_of(a.file);
  const auto layout = store::StateLayout::of_workspace(ws);
  auto state_url = resolve_shared_state(*p, pa.state, stderr);
  if (!state_url) return k_exit_usage;
  auto st = open_store_or_report(layout.dir(), *state_url);
  if (!st) return k_exit_usage;
  engine::StepCache cache(*st, ws, layout.cas());
  if (auto r = cache.load(); !r) {
    std::fprintf(stderr, "sluice: %s\n", r.error().message.c_str());
    return k_exit_usage;
  }
  auto facts = gather_run_facts(*p, ws, current_env(), pa.since, layout.dir());
  if (!facts) {
    std::fprintf(stderr, "sluice: %s\n", facts.error().message.c_str());
    return k_exit_usage;
  }
  // What the conditions read, once, above the table.
  if (!p->param_values.empty()) {
    std::vector<std::string> kv;
    for (const auto& [k, v] : p->param_values) kv.push_back(k + "=" + v);
    std::printf("params: %s\n", base::join(kv, ", ").c_str());
  }
  bool conditional = false;
  size_t matrices = 0;
  std::string last_group;
  for (const auto& s : p->stages) {
    conditional = conditional || s.condition || !s.changes.empty();
    if (!s.matrix_of.empty() && s.matrix_of != last_group) ++matrices;
    last_group = s.matrix_of;
  }
  if (matrices > 0) std::printf("matrix: %zu stage%s expanded into one stage per combination\n", matrices, matrices == 1 ? "" : "s");
  if (conditional) {
    std::printf("git: branch %s, tag %s, event %s; changes since %s\n", facts->branch.empty() ? "-" : facts->branch.c_str(),
                facts->tag.empty() ? "-" : facts->tag.c_str(), facts->event.empty() ? "-" : facts->event.c_str(),
                facts->changes_base.c_str());
  }
  if (!p->param_values.empty() || matrices > 0 || conditional) std::printf("\n");
  size_t w = 5;
  for (const auto& s : p->stages) w = std::max(w, s.name.size());
  std::printf("%-*s  %-8s  %-24s  %s\n", static_cast<int>(w), "stage", "kind", "needs", "plan");
  int runs = 0, cached = 0, skips = 0;
  for (const auto& ps : engine::plan_run(*p, *selected, cache, no_cache, *facts)) {
    const auto& s = p->stages[static_cast<size_t>(ps.stage)];
    using Action = engine::PlannedStage::Action;
    const bool skip = ps.action == Action::condition_false || ps.action == Action::need_skipped;
    skip ? ++skips : ps.runs() ? ++runs : ++cached;
    std::string text = plan_text(s, ps);
    if (!skip && !ps.why.empty()) text += "; " + ps.why;
    std::string needs = base::join(s.needs, ",");
    if (needs.size() > 24) needs = fmt::format("{} stages", s.needs.size());
    std::printf("%-*s  %-8s  %-24s  %s\n", static_cast<int>(w), s.name.c_str(),
                std::string(pipeline::to_string(s.kind)).c_str(), needs.c_str(), text.c_str());
    if (const auto* g = review->gate(ps.stage)) std::printf("%-*s  review gate: %s\n", static_cast<int>(w), "", g->why.c_str());
  }
  std::printf("\n%d to run, %d cached%s; nothing was run\n", runs, cached,
              skips > 0 ? fmt::format(", {} skipped", skips).c_str() : "");
  return k_exit_ok;
}

int do_graph(const PipelineArgs& a, bool dot) {
  auto p = load_or_report(a.file);
  if (!p) return k_exit_usage;
  if (dot) {
    std::printf("digraph sluice {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (const auto& s : p->stages) {
      std::printf("  \"%s\" [label=\"%s\\n(%s)\"];\n", s.name.c_str(), s.name.c_str(),
                  std::string(pipeline::to_string(s.kind)).c_str());
    }
    for (const auto& s : p->stages) {
      for (const auto& n : s.needs) std::printf("  \"%s\" -> \"%s\";\n", n.c_str(), s.name.c_str());
    }
    std::printf("}\n");
    return k_exit_ok;
  }
  for (int i : pipeline::topological_order(*p)) {
    const auto& s = p->stages[static_cast<size_t>(i)];
    std::string extra;
    if (!s.locks.empty()) extra += fmt::format("  locks: {}", base::join(s.locks, ","));
    std::printf("%s [%s]%s%s\n", s.name.c_str(), std::string(pipeline::to_string(s.kind)).c_str(),
                s.needs.empty() ? "" : fmt::format("  <- {}", base::join(s.needs, ", ")).c_str(), extra.c_str());
  }
  return k_exit_ok;
}

// Where a run of the shared state was recorded, for `sluice runs`: "here" or its host.
std::string recorded_where(const store::StateStore& st, const store::RunRecord& r) {
  if (st.recorded_here(r)) return "here";
  return r.origin.substr(0, r.origin.find(':'));
}

int do_runs(const PipelineArgs& a, const std::string& state, int limit, bool reap) {
  fs::path ws = workspace_of(a.file);
  const auto layout = store::StateLayout::of_workspace(ws);
  auto state_url = resolve_state_of_file(a.file, state, stderr);
  if (!state_url) return k_exit_usage;
  if (state_url->empty() && !fs::exists(layout.database())) {
    std::printf("no runs recorded in %s\n", layout.dir().c_str());
    return k_exit_ok;
  }
  if (reap) {
    if (!reap_and_report(layout.dir(), *state_url, k_reap_grace, stdout)) return k_exit_usage;
    std::fflush(stdout);
  }
  auto st = open_store_or_report(layout.dir(), *state_url);
  if (!st) return k_exit_usage;
  auto runs = st->list_runs(limit);
  if (!runs) {
    std::fprintf(stderr, "sluice: %s\n", runs.error().message.c_str());
    return k_exit_usage;
  }
  // Shared state: every runner's runs, with where each was recorded (its logs are there).
  if (st->shared()) {
    std::printf("%-5s  %-26s  %-11s  %-10s  %-16s  %s\n", "run", "id", "status", "duration", "recorded", "pipeline");
  } else {
    std::printf("%-5s  %-26s  %-11s  %-10s  %s\n", "run", "id", "status", "duration", "pipeline");
  }
  for (const auto& r : *runs) {
    std::string d = r.duration_ms ? base::format_duration(std::chrono::milliseconds(*r.duration_ms)) : "-";
    if (st->shared()) {
      std::printf("%-5lld  %-26s  %-11s  %-10s  %-16s  %s\n", static_cast<long long>(r.seq), r.id.c_str(),
                  std::string(store::to_string(r.status)).c_str(), d.c_str(), recorded_where(*st, r).c_str(),
                  r.pipeline.c_str());
      continue;
    }
    std::printf("%-5lld  %-26s  %-11s  %-10s  %s\n", static_cast<long long>(r.seq), r.id.c_str(),
                std::string(store::to_string(r.status)).c_str(),
                d.c_str(), r.pipeline.c_str());
  }
  return k_exit_ok;
}

int do_report(const PipelineArgs& a, const std::string& state, const std::string& selector, const std::string& format,
              const ReportFiles& files) {
  fs::path ws = workspace_of(a.file);
  const auto layout = store::StateLayout::of_workspace(ws);
  auto state_url = resolve_state_of_file(a.file, state, stderr);
  if (!state_url) return k_exit_usage;
  if (state_url->empty() && !fs::exists(layout.database())) {
    std::fprintf(stderr, "sluice: no runs recorded in %s\n", layout.dir().c_str());
    return k_exit_usage;
  }
  auto st = open_store_or_report(layout.dir(), *state_url);
  if (!st) return k_exit_usage;
  auto run = st->find_run(selector);
  if (!run) {
    std::fprintf(stderr, "sluice: %s\n", run.error().message.c_str());
    return k_exit_usage;
  }
  if (!*run) {
    std::fprintf(stderr, "sluice: no run matches \"%s\" (see sluice runs)\n", selector.c_str());
    return k_exit_usage;
  }
  auto stages = st->stages_of((*run)->id);
  if (!stages) {
    std::fprintf(stderr, "sluice: %s\n", stages.error().message.c_str());
    return k_exit_usage;
  }
  // Logs are files of the workspace that recorded the run; another runner's are not here.
  if (!st->recorded_here(**run)) {
    std::fprintf(stderr,
                 "sluice: run %s was recorded by another runner (%s); its stage logs are there, not in this "
                 "workspace\n",
                 (*run)->id.c_str(), (*run)->origin.c_str());
  }
  auto rep = report::build_report(**run, *stages);
  if (auto r = report::add_ledger_spend(rep, st->db()); !r) {
    std::fprintf(stderr, "sluice: %s\n", r.error().message.c_str());
    return k_exit_usage;
  }
  // With a shared state the spend is the shared ledger's (every runner's), as `sluice run` shows it.
  if (rep.llm.stages > 0 && !state_url->empty()) {
    if (auto problem = add_shared_spend(rep, *state_url))
      std::fprintf(stderr, "sluice: warning: the shared ledger: %s; the spend shown is this workspace's\n",
                   problem->c_str());
  }
  if (auto r = report::add_notifications(rep, st->db()); !r) std::fprintf(stderr, "sluice: %s\n", r.error().message.c_str());
  if (auto r = report::add_llm_calls(rep, st->db()); !r) std::fprintf(stderr, "sluice: %s\n", r.error().message.c_str());
  if (files.any_file() || !files.otlp_endpoint.empty()) {
    auto prev = files.html.empty() ? std::nullopt : previous_report(*st, rep);
    if (!write_report_files(files, rep, prev ? &*prev : nullptr, read_log)) return k_exit_usage;
    if (!files.otlp_endpoint.empty()) {
      notify::Sender sender;
      sender.enqueue(otlp_delivery(files.otlp_endpoint, rep));
      auto out = sender.finish(std::chrono::seconds(15));
      if (out.empty() || out[0].outcome != "delivered") {
        std::fprintf(stderr, "sluice: --otlp-endpoint: %s\n", out.empty() ? "not sent" : out[0].error.c_str());
        return k_exit_failed;
      }
    }
    return k_exit_ok;  // the files were asked for instead of the table
  }
  if (format == "json") {
    std::fputs(report::to_json(rep).c_str(), stdout);
  } else if (format == "junit") {
    std::fputs(report::to_junit(rep, read_log).c_str(), stdout);
  } else {
    std::fputs(report::to_text(rep).c_str(), stdout);
  }
  return k_exit_ok;
}

struct GraphArgs {
  PipelineArgs p;
  bool dot = false;
};
struct RunsArgs {
  PipelineArgs p;
  int limit = 20;
  bool reap = false;
  std::string state;  // --state URL
};

struct ReportArgs {
  PipelineArgs p;
  std::string state;  // --state URL
  std::string run = "last";
  std::string format = "text";
  ReportFiles files;
};

}  // namespace

void add_pipeline_commands(CLI::App& app, Context& ctx) {
  static constexpr const char* k_state_help =
      "Shared state: a postgres:// URL (runs, stages, the step-cache index and the LLM budget ledger "
      "shared by every runner; default: $SLUICE_STATE_URL, then the pipeline's state:), or sqlite";
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  auto ra = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand("run", "Run the pipeline");
  add_file_option(run, ra->p);
  run->add_option("-j,--jobs", ra->jobs, "Stages to run at once (default: number of cores)")->check(CLI::PositiveNumber);
  run->add_flag("--keep-going", ra->keep_going, "After a failure, still run every stage whose needs succeeded");
  run->add_flag("--cancel-on-failure", ra->cancel_on_failure, "After a failure, cancel running stages too");
  run->add_flag("--no-cache", ra->no_cache, "Run every stage even when its step cache entry is valid");
  run->add_option("--only", ra->only, "Run only these stages (and what they need)");
  run->add_option("--json", ra->json_path, "Write a JSON run summary to FILE");
  run->add_option("--junit", ra->junit_path, "Write JUnit XML to FILE");
  run->add_option("--sarif", ra->sarif_path, "Write the AI verdict stages' findings as SARIF 2.1.0 to FILE");
  run->add_option("--output", ra->output, "Stage output: block (when a stage ends), stream (prefixed lines), quiet")
      ->check(CLI::IsMember({"block", "stream", "quiet"}))
      ->capture_default_str();
  add_stage_kind_options(run, ra->kinds);
  add_report_file_options(run, ra->files);
  run->add_option("--notify-flush", ra->notify_flush,
                  "How long the run's end waits for notifications still in flight (then abandons them)")
      ->capture_default_str();
  run->add_option("-p,--param", ra->params, "Set a pipeline param: -p NAME=VALUE (repeatable)");
  run->add_option("--since", ra->since, "Base commit or branch for changes: and changed() (default: the CI's base, "
                                        "else the last successful run's commit)");
  run->add_option("--state", ra->state,
                  k_state_help);
  run->callback([&ctx, cores, ra] { ctx.command = [=] { return do_run(*ra, cores); }; });

  auto pa = std::make_shared<PlanArgs>();
  auto* plan = app.add_subcommand("plan", "Show what would run and what is cached, running nothing");
  add_file_option(plan, pa->p);
  plan->add_option("--only", pa->only, "Plan only these stages (and what they need)");
  plan->add_flag("--no-cache", pa->no_cache, "Plan as if the step cache were off");
  plan->add_option("-p,--param", pa->params, "Set a pipeline param: -p NAME=VALUE (repeatable)");
  plan->add_option("--since", pa->since, "Base commit or branch for changes: and changed()");
  plan->add_option("--state", pa->state, k_state_help);
  plan->callback([&ctx, pa] { ctx.command = [=] { return do_plan(*pa); }; });

  auto ga = std::make_shared<GraphArgs>();
  auto* graph = app.add_subcommand("graph", "Print the stage graph (Graphviz with --dot)");
  add_file_option(graph, ga->p);
  graph->add_flag("--dot", ga->dot, "Graphviz dot output");
  graph->callback([&ctx, ga] { ctx.command = [=] { return do_graph(ga->p, ga->dot); }; });

  auto rs = std::make_shared<RunsArgs>();
  auto* runs = app.add_subcommand("runs", "List recorded runs, newest first");
  add_file_option(runs, rs->p);
  runs->add_option("-n,--limit", rs->limit, "How many runs")->capture_default_str();
  runs->add_flag("--reap", rs->reap,
                 "First stop what runs killed with SIGKILL left running (SIGTERM, SIGKILL after 5s)");
  runs->add_option("--state", rs->state, k_state_help);
  runs->callback([&ctx, rs] { ctx.command = [=] { return do_runs(rs->p, rs->state, rs->limit, rs->reap); }; });

  auto rp = std::make_shared<ReportArgs>();
  auto* rep = app.add_subcommand("report", "Per-stage table, critical path and parallelism of a run");
  add_file_option(rep, rp->p);
  rep->add_option("run", rp->run, "Run number, id (prefix) or 'last'")->capture_default_str();
  rep->add_option("--format", rp->format, "text, json or junit")
      ->check(CLI::IsMember({"text", "json", "junit"}))
      ->capture_default_str();
  add_report_file_options(rep, rp->files);
  rep->add_option("--state", rp->state, k_state_help);
  rep->callback([&ctx, rp] { ctx.command = [=] { return do_report(rp->p, rp->state, rp->run, rp->format, rp->files); }; });
}

}  // namespace sluice::cli
