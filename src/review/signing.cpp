#include "review/signing.h"

#include <fmt/format.h>

#include <chrono>

#include "base/files.h"
#include "base/process.h"
#include "base/strings.h"

namespace sluice::review {
namespace {

// Runs argv with a 30 s limit; its exit code and merged stdout and stderr.
Expected<base::Captured> run_tool(std::vector<std::string> argv, const std::vector<std::string>& env) {
  base::SpawnOptions opts;
  opts.argv = std::move(argv);
  opts.env = env;
  return base::run_captured(opts, std::chrono::seconds(30));
}

std::string first_line(const std::string& s) {
  auto t = base::trim(s);
  auto nl = t.find('\n');
  return std::string(nl == std::string_view::npos ? t : t.substr(0, nl));
}

}  // namespace

std::string approval_payload(const std::string& stage, const std::string& hash,
                             const std::string& actor, const std::string& decision) {
  return fmt::format("sluice approval v1\nstage {}\nhash {}\nactor {}\ndecision {}\n", stage, hash,
                     actor, decision);
}

Expected<std::string> ssh_sign(const std::string& key, const std::string& payload,
                               const std::vector<std::string>& env) {
  base::TempDir dir("sluice-sign");
  const auto data = dir.path() / "approval";
  SLUICE_TRY(base::atomic_write(data, payload));
  auto r = run_tool(
      {"ssh-keygen", "-q", "-Y", "sign", "-f", key, "-n", k_signature_namespace, data.string()},
      env);
  if (!r)
    return make_error(ErrorCode::io,
                      fmt::format("--sign: cannot run ssh-keygen: {}", r.error().message));
  if (r->code != 0) {
    return make_error(
        ErrorCode::invalid_input,
        fmt::format("--sign {}: ssh-keygen -Y sign failed: {}", key, first_line(r->output)));
  }
  auto sig = base::read_file(data.string() + ".sig");
  if (!sig) return tl::unexpected(sig.error());
  return *sig;
}

Expected<void> ssh_verify(const std::string& allowed_signers, const std::string& principal,
                          const std::string& payload, const std::string& signature,
                          const std::vector<std::string>& env) {
  if (signature.empty()) {
    return make_error(ErrorCode::integrity,
                      fmt::format("the approval by {} is not signed", principal));
  }
  base::TempDir dir("sluice-verify");
  const auto data = dir.path() / "approval";
  const auto sig = dir.path() / "approval.sig";
  SLUICE_TRY(base::atomic_write(data, payload));
  SLUICE_TRY(base::atomic_write(sig, signature));
  // ssh-keygen reads the signed data from stdin; spawn() gives children /dev/null there.
  auto r = run_tool(
      {"sh", "-c", "exec ssh-keygen -Y verify -f \"$1\" -I \"$2\" -n \"$3\" -s \"$4\" < \"$5\"",
       "sh", allowed_signers, principal, k_signature_namespace, sig.string(), data.string()},
      env);
  if (!r)
    return make_error(ErrorCode::io, fmt::format("cannot run ssh-keygen: {}", r.error().message));
  if (r->code != 0) {
    return make_error(ErrorCode::integrity,
                      fmt::format("the signature of {} does not verify against {}: {}", principal,
                                  allowed_signers, first_line(r->output)));
  }
  return {};
}

}  // namespace sluice::review
