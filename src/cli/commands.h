#pragma once
// Each command family lives in its own cmd_*.cpp and adds its subcommands to the app.
// A subcommand's callback only chooses what to run (Context::command); cli::run() runs it once
// parsing is over and sluice is in the directory -C names, and exits with what it returns.

#include <CLI/CLI.hpp>

#include <functional>

namespace sluice::cli {

struct Context {
  int exit_code = 0;             // for commands that set it as they go (tokens)
  std::function<int()> command;  // the chosen command; returns the exit code
};

// Exit codes shared by every command.
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failed = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_awaiting_approval = 3;  // a review gate holds a stage (docs/review.md)
// An AI verdict stage's samples did not agree (status unstable) and nothing failed outright.
inline constexpr int k_exit_unstable = 4;
inline constexpr int k_exit_interrupted = 130;

void add_tokens_command(CLI::App& app, Context& ctx);    // cmd_tokens.cpp
void add_secrets_commands(CLI::App& app, Context& ctx);  // cmd_secrets.cpp: scan, redact, secrets
void add_validate_command(CLI::App& app, Context& ctx);  // cmd_validate.cpp
void add_pipeline_commands(CLI::App& app, Context& ctx); // cmd_pipeline.cpp: run, plan, graph, runs, report
void add_cache_commands(CLI::App& app, Context& ctx);    // cmd_cache.cpp
void add_prune_command(CLI::App& app, Context& ctx);     // cmd_prune.cpp
void add_registry_commands(CLI::App& app, Context& ctx); // cmd_registry.cpp: registry prune
void add_refs_commands(CLI::App& app, Context& ctx);     // cmd_refs.cpp: check refs
void add_init_command(CLI::App& app, Context& ctx);      // cmd_init.cpp
void add_review_commands(CLI::App& app, Context& ctx);   // cmd_review.cpp: review, approve, reject, approvals
void add_completion_commands(CLI::App& app, Context& ctx); // cmd_completion.cpp: completion, __man
void add_doctor_command(CLI::App& app, Context& ctx);     // cmd_doctor.cpp

}  // namespace sluice::cli
