// libFuzzer target: the YAML document builder must never crash, leak or hang on any bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = sluice::base::yaml::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  (void)r;
  return 0;
}
