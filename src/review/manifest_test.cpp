#include "review/manifest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/files.h"
#include "base/hash.h"

namespace sluice::review {
namespace {

TEST(Manifest, CanonicalTextIsSortedAndDocumented) {
  Manifest m;
  m.pipeline_hash = "p";
  m.stages.push_back({"zeta", {{"b.yaml", "100644", "bb"}, {"a.yaml", "000000", "deleted"}}});
  m.stages.push_back({"alpha", {{"x\ny", "100755", "xx"}}});
  EXPECT_EQ(canonical_text(m),
            "sluice review manifest v1\n"
            "pipeline p\n"
            "stage alpha\n"
            "file 100755 xx x\\ny\n"
            "stage zeta\n"
            "file 000000 deleted a.yaml\n"
            "file 100644 bb b.yaml\n");
  EXPECT_EQ(content_hash(m), base::sha256_hex(canonical_text(m)));
}

TEST(Manifest, EntriesFollowBytesAndModeAndDeletion) {
  base::TempDir dir;
  ASSERT_TRUE(base::atomic_write(dir.path() / "a.yaml", "one\n"));
  std::string content;
  auto a = read_entry(dir.path(), "a.yaml", &content);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, "100644");
  EXPECT_EQ(a->sha256, base::sha256_hex("one\n"));
  EXPECT_EQ(content, "one\n");
  ::chmod((dir.path() / "a.yaml").c_str(), 0755);
  EXPECT_EQ(read_entry(dir.path(), "a.yaml", nullptr)->mode, "100755");
  auto gone = read_entry(dir.path(), "missing.yaml", nullptr);
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->deleted());
  EXPECT_EQ(gone->sha256, "deleted");
}

}  // namespace
}  // namespace sluice::review
