#pragma once
// Signed approvals with OpenSSH's own tool (`ssh-keygen -Y sign/verify`, namespace
// "sluice-approval"): sluice holds no key material and implements no cryptography. The signed
// text names the gated stage, the content hash, the actor and the decision, not the run, so a
// signed approval holds for the same bytes on a later run, as an unsigned one does.

#include <string>
#include <vector>

#include "base/error.h"

namespace sluice::review {

inline constexpr const char* k_signature_namespace = "sluice-approval";

// The exact bytes that are signed.
[[nodiscard]] std::string approval_payload(const std::string& stage, const std::string& hash,
                                           const std::string& actor, const std::string& decision);

// Signs `payload` with the private key file `key` (its .pub beside it, or an agent-held key).
// `env`: the child's environment ("KEY=value", needs PATH). Returns the armored signature.
[[nodiscard]] Expected<std::string> ssh_sign(const std::string& key, const std::string& payload,
                                             const std::vector<std::string>& env);

// Verifies `signature` over `payload` for `principal` against an allowed_signers file.
// An error names why (ssh-keygen's own words).
[[nodiscard]] Expected<void> ssh_verify(const std::string& allowed_signers,
                                        const std::string& principal, const std::string& payload,
                                        const std::string& signature,
                                        const std::vector<std::string>& env);

}  // namespace sluice::review
