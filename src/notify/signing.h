#pragma once
// Standard Webhooks signatures (https://www.standardwebhooks.com): the receiver checks
// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the shared secret,
// which is given as `whsec_<base64 key>`.

#include <string>
#include <string_view>

#include "base/error.h"

namespace sluice::notify {

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Standard alphabet, padding required; an error for anything else.
[[nodiscard]] Expected<std::string> base64_decode(std::string_view text);

// The key bytes of a `whsec_...` secret (the prefix is optional, as in the reference libraries).
[[nodiscard]] Expected<std::string> webhook_key(std::string_view secret);

// "v1,<base64 signature>" for this message.
[[nodiscard]] std::string sign_webhook(std::string_view key, std::string_view id, int64_t timestamp_s,
                                       std::string_view body);

}  // namespace sluice::notify
