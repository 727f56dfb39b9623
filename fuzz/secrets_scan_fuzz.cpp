// libFuzzer target: the scanner (default rules) and the stream redactor must never crash, hang
// or leak on any bytes, and every finding must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "secrets/redactor.h"
#include "secrets/rule_loader.h"
#include "secrets/scanner.h"

namespace {
std::shared_ptr<const sluice::secrets::Scanner> scanner() {
  static auto s = [] {
    auto rules = sluice::secrets::default_rules();
    if (!rules) std::abort();
    auto sc = sluice::secrets::Scanner::create(std::move(*rules));
    if (!sc) std::abort();
    return *sc;
  }();
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sc = scanner();
  for (const auto& f : sc->scan(text, "fuzz.txt")) {
    if (f.end > size || f.start > f.end || text.substr(f.start, f.end - f.start) != f.secret) std::abort();
  }
  static const std::string_view k_known[] = {"known-secret-1", "multi\nline-secret"};
  static auto redactor = [] {
    std::vector<sluice::secrets::NamedValue> v;
    for (auto k : k_known) v.push_back({"K", std::string(k)});
    auto b = sluice::secrets::KnownValues::create(v);
    if (!b) std::abort();
    return std::make_shared<const sluice::secrets::Redactor>(b->values, scanner());
  }();
  sluice::secrets::StreamRedactor stream(redactor);
  std::string out;
  const size_t half = size / 2;
  out += stream.write(text.substr(0, half));
  out += stream.write(text.substr(half));
  out += stream.flush();
  if (out.find("known-secret-1") != std::string::npos && text.find("known-secret-1") != std::string::npos &&
      redactor->redact(text).find("known-secret-1") == std::string::npos) {
    std::abort();
  }
  return 0;
}
