// libFuzzer target: the registry's parsers (retention policy, ECR lifecycle policy, the
// WWW-Authenticate challenge and Link headers, RFC 3339 times, repository and tag references,
// the age read from manifest and config JSON) must never crash or hang, and
// a policy they accept must plan without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "registry/client.h"
#include "registry/inventory.h"
#include "registry/ecr.h"
#include "registry/image.h"
#include "registry/plan.h"
#include "registry/policy.h"
#include "registry/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::registry;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<Image> images(3);
  images[0].digest = "sha256:a";
  images[0].tags = {"v1", "pr-1"};
  images[0].created_ms = 1'000'000'000'000;
  images[1].digest = "sha256:b";
  images[1].children = {"sha256:c"};
  images[1].tags = {"latest"};
  images[2].digest = "sha256:c";
  if (auto p = parse_policy(in, "fuzz")) (void)make_plan("r", images, decide(*p, images, 2'000'000'000'000));
  if (auto e = parse_ecr_policy(in, "fuzz")) (void)make_plan("r", images, decide_ecr(*e, images, 2'000'000'000'000));
  (void)parse_challenge(in);
  (void)next_link({std::string(in)}, "http://h");
  (void)parse_rfc3339_ms(in);
  (void)parse_repo_ref(in);
  (void)parse_tag_ref(in);
  Image probe;
  assign_age(probe, in, in);
  return 0;
}
