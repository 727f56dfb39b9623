// The real-world corpus: every file of ../shared/data/k8s-examples is classified exactly as
// tests/fixtures/k8s/examples-expected.txt says (invalid files with their error rule ids,
// templates with their note; all other files valid), validated in strict mode without
// best-practice checks one file at a time and as one directory, with the same verdicts.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "base/testing/shared_data.h"
#include <gtest/gtest.h>

#include "base/files.h"
#include "base/strings.h"
#include "k8s/test_util.h"
#include "k8s/validator.h"

namespace sluice::k8s {
namespace {

// "rule,rule" of a file's errors, with "note:<rule>" for its notes.
std::string verdict(const std::vector<const Finding*>& findings) {
  std::set<std::string> rules;
  for (const Finding* f : findings) {
    if (f->severity == Severity::error) rules.insert(f->rule);
    if (f->severity == Severity::note) rules.insert("note:" + f->rule);
  }
  return base::join(std::vector<std::string>(rules.begin(), rules.end()), ",");
}

TEST(Examples, ClassificationMatchesTheCommittedList) {
  SLUICE_REQUIRE_SCHEMAS(schemas);
  auto examples = testing::shared_dir("k8s-examples");
  SLUICE_REQUIRE_SHARED(!examples.empty(), "SLUICE_SHARED_DIR/data/k8s-examples");
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
    ASSERT_EQ(cols.size(), 4u) << line;
    EXPECT_TRUE(cols[2] == "fails" || cols[2] == "cluster") << "every error must be one a dry-run gives: " << line;
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

  // The whole directory at once, as a user runs it: each file is its own apply unit.
  std::vector<std::string> dir{examples.string()};
  Report all = v->validate_paths(dir);
  EXPECT_TRUE(all.errors.empty());
  EXPECT_EQ(all.files, 248u);
  std::map<std::string, std::vector<const Finding*>> by_file;
  for (const Finding& f : all.findings) {
    by_file[std::filesystem::relative(f.file, examples).string()].push_back(&f);
    EXPECT_NE(f.rule, "duplicate-resource") << f.file << ": " << f.message;
  }

  size_t invalid = 0;
  for (const std::string& rel : files) {
    std::vector<std::string> one{(examples / rel).string()};
    Report r = v->validate_paths(one);
    EXPECT_TRUE(r.errors.empty()) << rel;
    std::vector<const Finding*> mine;
    for (const Finding& f : r.findings) mine.push_back(&f);
    std::string got = verdict(mine);
    EXPECT_EQ(verdict(by_file[rel]), got) << rel << ": the whole-directory run differs from the file alone";
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
  EXPECT_EQ(all.count(Severity::error), 29u);
  EXPECT_EQ(all.count(Severity::note), 6u);
}

}  // namespace
}  // namespace sluice::k8s
