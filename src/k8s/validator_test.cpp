#include "k8s/validator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include "base/testing/shared_data.h"
#include <gtest/gtest.h>

#include "base/files.h"
#include "base/strings.h"
#include "k8s/test_util.h"

namespace sluice::k8s {
namespace {

ValidateOptions base_options(const std::filesystem::path& schemas) {
  ValidateOptions o;
  o.schema_locations = {schemas.string()};
  return o;
}

std::string describe(const Finding& f) {
  return fmt::format("{} {} {}", f.severity == Severity::error ? "error" : "warning", f.rule, f.line);
}

// Each fixture states its options ("# options: strict, disable=all") and every finding it must
// produce ("# expect: error unknown-field 13"); anything else, or anything missing, fails.
TEST(ValidatorFixtures, EveryFixtureProducesExactlyItsExpectedFindings) {
  SLUICE_REQUIRE_SCHEMAS(schemas);
  size_t fixtures = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::fixtures_dir())) {
    if (entry.path().extension() != ".yaml") continue;
    ++fixtures;
    auto text = base::read_file(entry.path());
    ASSERT_TRUE(text);
    ValidateOptions o = base_options(schemas);
    std::vector<std::string> expected;
    for (std::string_view line : base::split(*text, '\n')) {
      if (line.starts_with("# options:")) {
        if (line.find("strict") != std::string_view::npos) o.strictness = Strictness::strict;
        if (line.find("disable=all") != std::string_view::npos) o.disabled_checks = {"all"};
      } else if (line.starts_with("# expect: ")) {
        expected.emplace_back(line.substr(10));
      }
    }
    auto v = Validator::create(o);
    ASSERT_TRUE(v);
    std::string name = entry.path().filename().string();
    std::vector<Validator::Input> inputs{{name, *text}};
    Report r = v->validate_inputs(inputs);
    EXPECT_TRUE(r.errors.empty()) << name;
    std::vector<std::string> got;
    for (const Finding& f : r.findings) got.push_back(describe(f));
    std::sort(got.begin(), got.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(got, expected) << "fixture " << name;
  }
  EXPECT_GE(fixtures, 15u);
}

class ValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_schemas = testing::shared_dir("k8s-schemas");
    SLUICE_REQUIRE_SHARED(!m_schemas.empty(), "SLUICE_SHARED_DIR/data/k8s-schemas");
  }
  Report run(std::string_view yaml, ValidateOptions o) {
    auto v = Validator::create(std::move(o));
    EXPECT_TRUE(v);
    std::vector<Validator::Input> in{{"in.yaml", yaml}};
    return v->validate_inputs(in);
  }
  std::filesystem::path m_schemas;
};

TEST_F(ValidatorTest, FindingCarriesPathPositionExpectedAndSuggestion) {
  ValidateOptions o = base_options(m_schemas);
  o.strictness = Strictness::strict;
  o.disabled_checks = {"all"};
  Report r = run("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    imagePulPolicy: x\n", o);
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.file, "in.yaml");
  EXPECT_EQ(f.line, 7);
  EXPECT_EQ(f.column, 5);
  EXPECT_EQ(f.path, "spec.containers[0].imagePulPolicy");
  EXPECT_EQ(f.suggestion, "imagePullPolicy");
  EXPECT_EQ(f.resource, "Pod p");
  EXPECT_TRUE(r.failed(Severity::error));
}

TEST_F(ValidatorTest, FailOnDecidesWhetherWarningsFail) {
  ValidateOptions o = base_options(m_schemas);
  Report r = run("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: nginx}\n", o);
  EXPECT_EQ(r.count(Severity::error), 0u);
  EXPECT_GT(r.count(Severity::warning), 0u);
  EXPECT_FALSE(r.failed(Severity::error));
  EXPECT_TRUE(r.failed(Severity::warning));
}

TEST_F(ValidatorTest, DisableChecksOneByOne) {
  ValidateOptions o = base_options(m_schemas);
  o.disabled_checks = {"resources", "run-as-non-root"};
  Report r = run("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: nginx}\n", o);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "image-tag");
}

TEST_F(ValidatorTest, MissingSchemasIgnoredOrSkipped) {
  const char* yaml = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n";
  ValidateOptions o = base_options(m_schemas);
  EXPECT_EQ(run(yaml, o).count(Severity::error), 1u);
  o.missing_schemas = MissingSchemas::ignore;
  Report r = run(yaml, o);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.skipped, 1u);
  o.missing_schemas = MissingSchemas::error;
  o.skip_kinds = {"Widget"};
  r = run(yaml, o);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.skipped, 1u);
}

TEST_F(ValidatorTest, DuplicateObjectsAcrossFiles) {
  auto v = Validator::create(base_options(m_schemas));
  ASSERT_TRUE(v);
  std::string cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
  std::vector<Validator::Input> in{{"a.yaml", cm}, {"b.yaml", cm}};
  Report r = v->validate_inputs(in);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].file, "b.yaml");
  EXPECT_EQ(r.findings[0].rule, "duplicate-resource");
  EXPECT_NE(r.findings[0].message.find("a.yaml:3"), std::string::npos);
  // The same validator is reusable: a second call starts from a clean slate.
  std::vector<Validator::Input> one{{"a.yaml", cm}};
  EXPECT_TRUE(v->validate_inputs(one).findings.empty());
}

TEST_F(ValidatorTest, PathsDirectoriesAndStdin) {
  base::TempDir tmp;
  ASSERT_TRUE(base::atomic_write(tmp.path() / "sub" / "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"));
  ASSERT_TRUE(base::atomic_write(tmp.path() / "b.json", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}})"));
  ASSERT_TRUE(base::atomic_write(tmp.path() / "notes.txt", "not: yaml: at all: ["));
  auto v = Validator::create(base_options(m_schemas));
  ASSERT_TRUE(v);
  std::vector<std::string> paths{tmp.path().string(), "-"};
  Report r = v->validate_paths(paths, std::string_view("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"));
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.files, 3u) << "notes.txt is not a manifest extension";
  EXPECT_EQ(r.resources, 3u);
  std::vector<std::string> missing{(tmp.path() / "nope.yaml").string()};
  r = v->validate_paths(missing);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code, ErrorCode::not_found);
}

TEST(ValidatorCreate, RejectsBadOptions) {
  ValidateOptions o;
  auto v = Validator::create(o);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("--schema-location"), std::string::npos);
  o.schema_locations = {"/definitely/not/here"};
  EXPECT_FALSE(Validator::create(o));
  o.schema_locations = {"/tmp/{{ .Nope }}.json"};
  EXPECT_FALSE(Validator::create(o));
  o.schema_locations = {"/tmp"};
  o.disabled_checks = {"image-tags"};
  v = Validator::create(o);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("did you mean \"image-tag\""), std::string::npos);
}

TEST(ValidatorCreate, BadSchemaFileIsAnErrorNotAFinding) {
  base::TempDir tmp;
  ASSERT_TRUE(base::atomic_write(tmp.path() / "core" / "configmap_v1.json", "{\"$ref\": \"x\"}"));
  ValidateOptions o;
  o.schema_locations = {tmp.path().string()};
  auto v = Validator::create(o);
  ASSERT_TRUE(v);
  std::string cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
  std::vector<Validator::Input> in{{"a.yaml", cm}};
  Report r = v->validate_inputs(in);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("$ref"), std::string::npos);
}

}  // namespace
}  // namespace sluice::k8s
