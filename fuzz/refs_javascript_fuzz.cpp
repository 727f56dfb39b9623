// libFuzzer target: the javascript reference extractor must never crash, hang or read out of
// bounds on any bytes, and every reference it reports must lie inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "refs/extract.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& r : sluice::refs::extract_javascript(text)) {
    if (r.line < 1 || r.column < 1 || r.name.size() > size) std::abort();
  }
  return 0;
}
