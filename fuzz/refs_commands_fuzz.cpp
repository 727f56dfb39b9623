// libFuzzer target: the install-command and image extractors (shell, Dockerfile, Markdown,
// YAML) must never crash or hang on any bytes; the first byte picks the file type.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "refs/extract.h"
#include "refs/image_ref.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using sluice::refs::FileType;
  constexpr FileType k_types[] = {FileType::shell, FileType::dockerfile, FileType::markdown, FileType::yaml};
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (const auto& r : sluice::refs::extract_commands(text, k_types[data[0] % 4])) {
    if (r.line < 1 || r.column < 1) std::abort();
    (void)sluice::refs::parse_image(r.name);
  }
  (void)sluice::refs::parse_image(text);
  return 0;
}
