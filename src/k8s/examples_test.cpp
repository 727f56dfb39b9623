// The real-world corpus: every file of ../shared/data/k8s-examples is classified exactly as
// tests/fixtures/k8s/examples-expected.txt says (invalid files with their error rule ids; all
// other files valid), validated one file at a time in strict mode without best-practice checks.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "base/files.h"
#include "base/strings.h"
#include "k8s/test_util.h"
#include "k8s/validator.h"

namespace sluice::k8s {
namespace {

TEST(Examples, ClassificationMatchesTheCommittedList) {
  SLUICE_REQUIRE_SCHEMAS(schemas);
  auto examples = testing::shared_dir("k8s-examples");
  if (examples.empty()) GTEST_SKIP() << "SLUICE_SHARED_DIR/data/k8s-examples not found; skipping";
  auto list = base::read_file(testing::fixtures_dir() / "examples-expected.txt");
  ASSERT_TRUE(list);
  std::map<std::string, std::string> expected;  // file -> "rule,rule"
  std::set<std::string> must_be_valid;
  for (std::string_view line : base::split(*list, '\n')) {
    if (line.starts_with("# VALID\t")) {
      must_be_valid.insert(std::string(base::split(line, '\t')[1]));
      continue;
    }
    if (line.empty() || line.starts_with('#')) continue;
    auto cols = base::split(line, '\t');
    ASSERT_EQ(cols.size(), 3u) << line;
    expected[std::string(cols[0])] = std::string(cols[1]);
  }
  ValidateOptions o;
  o.schema_locations = {schemas.string()};
  o.strictness = Strictness::strict;
  o.disabled_checks = {"all"};
  auto v = Validator::create(o);
  ASSERT_TRUE(v);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(examples)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(std::filesystem::relative(e.path(), examples).string());
    }
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files.size(), 248u);
  size_t invalid = 0;
  for (const std::string& rel : files) {
    std::vector<std::string> one{(examples / rel).string()};
    Report r = v->validate_paths(one);
    EXPECT_TRUE(r.errors.empty()) << rel;
    std::set<std::string> rules;
    for (const Finding& f : r.findings) {
      if (f.severity == Severity::error) rules.insert(f.rule);
    }
    std::string got = base::join(std::vector<std::string>(rules.begin(), rules.end()), ",");
    auto it = expected.find(rel);
    if (it == expected.end()) {
      EXPECT_EQ(got, "") << rel << " should be valid; first finding: "
                         << (r.findings.empty() ? "" : r.findings[0].message);
    } else {
      ++invalid;
      EXPECT_EQ(got, it->second) << rel;
      expected.erase(it);
    }
    if (must_be_valid.erase(rel) > 0) {
      EXPECT_EQ(got, "") << rel;
    }
  }
  EXPECT_TRUE(expected.empty()) << "listed but not found: " << expected.begin()->first;
  EXPECT_TRUE(must_be_valid.empty()) << "VALID entry not found: " << *must_be_valid.begin();
  EXPECT_EQ(invalid, 33u);
}

}  // namespace
}  // namespace sluice::k8s
