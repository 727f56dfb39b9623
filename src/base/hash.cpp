#include "base/hash.h"

// The low-level SHA256_* calls are deprecated in OpenSSL 3 in favour of EVP, but EVP costs a
// context allocation and a provider lookup per hash, which dominated hashing the short field
// lists of step-cache keys (thousands per run). They use the same assembly block functions.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <stdexcept>

namespace sluice::base {

struct Sha256::Impl {
  SHA256_CTX ctx;
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {
  if (SHA256_Init(&m_impl->ctx) != 1)
    throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) {
  SHA256_Update(&m_impl->ctx, data.data(), data.size());
}

void Sha256::update_field(std::string_view data) {
  const uint64_t n = data.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  SHA256_Update(&m_impl->ctx, len, sizeof len);
  update(data);
}

std::string Sha256::hex_digest() {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, &m_impl->ctx);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

std::string to_hex(std::string_view bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = k_digits[b >> 4];
    out[2 * i + 1] = k_digits[b & 15];
  }
  return out;
}

}  // namespace sluice::base
