#pragma once
// Cryptographic hashing (SHA-256 through OpenSSL) for cache keys and content addresses.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sluice::base {

// Incremental SHA-256. Not thread-safe; one object per hash being computed.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  // Adds a length-prefixed field so that ("ab","c") and ("a","bc") hash differently.
  void update_field(std::string_view data);
  // Finishes and returns the lowercase hex digest (64 chars). The object may not be reused.
  [[nodiscard]] std::string hex_digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

[[nodiscard]] std::string sha256_hex(std::string_view data);

// Lowercase hex of arbitrary bytes.
[[nodiscard]] std::string to_hex(std::string_view bytes);

}  // namespace sluice::base
