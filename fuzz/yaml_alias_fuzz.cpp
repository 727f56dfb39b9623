// libFuzzer target: alias-heavy YAML. The fuzz bytes choose the shape of nested anchors and
// aliases (levels, fan-out, block or flow style, where a scalar goes) and add free text, so the
// fuzzer spends its time on the expansion bound rather than on finding the '&' and '*' syntax.
// Whatever the input, the document built must stay within the documented bound: at most
// 100,000 nodes copied through aliases plus the nodes written out (fewer than the input bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/yaml.h"

namespace {

size_t count(const sluice::base::yaml::Node& n) {
  size_t c = 1;
  for (const auto& i : n.items) c += count(i);
  for (const auto& e : n.entries) c += count(e.key) + count(e.value);
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int levels = 1 + data[0] % 12;
  const int fan = 1 + data[1] % 12;
  const bool flow = data[2] & 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  std::string y = flow ? "a0: &a0 [x]\n" : "a0: &a0\n  - x\n";
  for (int l = 1; l <= levels; ++l) {
    y += "a" + std::to_string(l) + ": &a" + std::to_string(l);
    y += flow ? " [" : "\n";
    for (int k = 0; k < fan; ++k) {
      std::string alias = "*a" + std::to_string(l - 1);
      if (flow) {
        y += (k ? ", " : "") + alias;
      } else {
        y += "  - " + alias + "\n";
      }
    }
    if (flow) y += "]\n";
  }
  y += rest;
  auto docs = sluice::base::yaml::parse(y, "fuzz");
  if (docs) {
    size_t nodes = 0;
    for (const auto& d : *docs) nodes += count(d.root);
    if (nodes > 100'000 + 2 * y.size() + 16) std::abort();
  }
  return 0;
}
