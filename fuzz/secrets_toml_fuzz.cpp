// libFuzzer target: the gitleaks / sluice rule loaders and the scanner build must return errors,
// never crash, on any bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "secrets/rule_loader.h"
#include "secrets/scanner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rules = sluice::secrets::load_rules_auto(text, "fuzz.toml");
  if (rules && rules->rules.size() <= 8) {
    auto sc = sluice::secrets::Scanner::create(std::move(*rules));
    if (sc) (void)(*sc)->scan(text, "fuzz.toml");
  }
  return 0;
}
