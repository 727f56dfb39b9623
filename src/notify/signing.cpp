#include "notify/signing.h"

#include <openssl/evp.h>

#include <fmt/format.h>

namespace sluice::notify {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Expected<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) {
    return make_error(ErrorCode::invalid_input, "not base64 (the length is not a multiple of 4)");
  }
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return make_error(ErrorCode::invalid_input, "not base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

Expected<std::string> webhook_key(std::string_view secret) {
  if (secret.starts_with("whsec_")) secret.remove_prefix(6);
  auto key = base64_decode(secret);
  if (!key || key->empty()) {
    return make_error(ErrorCode::invalid_input, "the webhook secret is not \"whsec_\" followed by a base64 key");
  }
  return key;
}

std::string sign_webhook(std::string_view key, std::string_view id, int64_t timestamp_s, std::string_view body) {
  std::string content = fmt::format("{}.{}.{}", id, timestamp_s, body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, sizeof mac, &len);
  return "v1," + base64_encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace sluice::notify
