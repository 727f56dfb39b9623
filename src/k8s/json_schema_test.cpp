#include "k8s/json_schema.h"

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/files.h"
#include "k8s/test_util.h"

namespace sluice::k8s {
namespace {

std::vector<SchemaIssue> check(std::string_view schema, std::string_view yaml,
                               Strictness strictness = Strictness::strict) {
  auto s = CompiledSchema::compile(schema, "test");
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  auto docs = base::yaml::parse(yaml, "in.yaml");
  EXPECT_TRUE(docs.has_value());
  std::vector<SchemaIssue> out;
  if (s && docs) (void)s->validate(docs->at(0).root, strictness, "", out);
  return out;
}

// Regression (fuzz_k8s_document): a bad \u escape near the end read past the schema text.
TEST(JsonSchema, BadUnicodeEscapeIsAnErrorNotAnOverread) {
  const std::string text = std::string("{\"\\r\0\0\0\0\\t\\\\\\u", 14) + std::string(40, ':');
  auto s = CompiledSchema::compile(text.substr(0, text.size()), "fuzz");
  EXPECT_FALSE(s.has_value());
  auto s2 = CompiledSchema::compile("{\"a\\ud800\\u12", "fuzz");
  EXPECT_FALSE(s2.has_value());
}

TEST(JsonSchema, TypesFollowYamlScalarsAndQuoting) {
  constexpr std::string_view schema = R"({"type":"object","properties":{
    "s":{"type":"string"},"i":{"type":"integer"},"n":{"type":"number"},"b":{"type":["boolean","null"]}}})";
  EXPECT_TRUE(check(schema, "s: hello\ni: 3\nn: 1.5\nb: ~\n").empty());
  EXPECT_TRUE(check(schema, "n: 2\n").empty()) << "an integer is a number";
  auto issues = check(schema, "s: 1\ni: \"3\"\nb: yes\n");
  ASSERT_EQ(issues.size(), 2u);  // "yes" is a YAML 1.1 boolean, as kubectl reads it
  EXPECT_EQ(issues[0].path, "s");
  EXPECT_EQ(issues[0].expected, "string");
  EXPECT_EQ(issues[0].got, "integer");
  EXPECT_EQ(issues[0].mark.line, 1);
  EXPECT_EQ(issues[0].mark.column, 4);
  EXPECT_EQ(issues[1].path, "i");
  EXPECT_TRUE(check(schema, "s: !!str 1\n").empty()) << "explicit tags win";
}

TEST(JsonSchema, UnknownFieldsAreReportedWithClosestName) {
  constexpr std::string_view schema =
      R"({"type":"object","additionalProperties":false,"properties":{"imagePullPolicy":{"type":"string"}}})";
  auto issues = check(schema, "imagePulPolicy: Always\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].kind, SchemaIssue::Kind::unknown_field);
  EXPECT_EQ(issues[0].suggestion, "imagePullPolicy");
  EXPECT_NE(issues[0].message.find("did you mean \"imagePullPolicy\""), std::string::npos);
  // Lenient: still reported, but the value counts as valid (e.g. inside oneOf).
  auto s = CompiledSchema::compile(schema, "t");
  auto docs = base::yaml::parse("zzz: 1\n", "in");
  std::vector<SchemaIssue> out;
  EXPECT_FALSE(s->validate(docs->at(0).root, Strictness::lenient, "", out));
  EXPECT_EQ(out.size(), 1u);
}

TEST(JsonSchema, IntOrStringFoldsTheOneOf) {
  constexpr std::string_view schema =
      R"({"properties":{"p":{"oneOf":[{"type":"string"},{"type":"integer"}]},"q":{"x-kubernetes-int-or-string":true}}})";
  auto s = CompiledSchema::compile(schema, "t");
  ASSERT_TRUE(s);
  const SchemaNode& p = s->nodes()[static_cast<size_t>(s->root().property("p"))];
  EXPECT_TRUE(p.int_or_string);
  EXPECT_TRUE(p.one_of.empty());
  EXPECT_TRUE(check(schema, "p: 80\nq: http\n").empty());
  auto issues = check(schema, "p: [1]\nq: true\n");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].expected, "integer or string");
}

TEST(JsonSchema, RequiredEnumPatternRangesFormats) {
  constexpr std::string_view schema = R"({"type":"object","required":["name"],"properties":{
    "name":{"type":"string","pattern":"^[a-z]+$","maxLength":5},
    "mode":{"type":"string","enum":["Always","Never"]},
    "n":{"type":"integer","format":"int32","minimum":1,"maximum":10},
    "items":{"type":"array","maxItems":1,"items":{"type":"string"}},
    "ts":{"type":"string","format":"date-time"},
    "data":{"type":"string","format":"byte"},
    "ip":{"type":"string","format":"ipv4"}}})";
  EXPECT_TRUE(check(schema, "name: abc\nmode: Never\nn: 10\nts: 2024-01-02T03:04:05Z\ndata: aGk=\nip: 10.0.0.1\n").empty());
  auto issues = check(schema, "mode: Allways\n");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].kind, SchemaIssue::Kind::required);
  EXPECT_EQ(issues[1].kind, SchemaIssue::Kind::enum_value);
  EXPECT_EQ(issues[1].suggestion, "Always");
  issues = check(schema, "name: ABCDEFG\nn: 0\nitems: [a, b]\nts: yesterday\ndata: '!!'\nip: 1.2.3\n");
  std::vector<SchemaIssue::Kind> kinds;
  for (const auto& i : issues) kinds.push_back(i.kind);
  using K = SchemaIssue::Kind;
  EXPECT_EQ(kinds, (std::vector<K>{K::range, K::pattern, K::range, K::range, K::format, K::format, K::format}));
  EXPECT_EQ(check(schema, "name: a\nn: 4294967296\n").size(), 2u) << "int32 overflow and maximum";
}

TEST(JsonSchema, CombinatorsAnyOfOneOfNot) {
  constexpr std::string_view schema = R"({"properties":{
    "a":{"anyOf":[{"format":"ipv4"},{"format":"ipv6"}]},
    "o":{"oneOf":[{"type":"string","maxLength":3},{"type":"string","minLength":2}]},
    "t":{"not":{"enum":["IPAddress"]}}}})";
  EXPECT_TRUE(check(schema, "a: ::1\no: abcd\nt: Hostname\n").empty());
  auto issues = check(schema, "a: nope\no: ab\nt: IPAddress\n");
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues[0].kind, SchemaIssue::Kind::one_of);
  EXPECT_EQ(issues[1].kind, SchemaIssue::Kind::one_of);  // "ab" matches both oneOf forms
  EXPECT_EQ(issues[2].kind, SchemaIssue::Kind::not_schema);
}

TEST(JsonSchema, QuantityPathsAcceptNumbers) {
  constexpr std::string_view schema = R"({"properties":{"resources":{"properties":{
    "limits":{"additionalProperties":{"type":"string"}}}},"name":{"type":"string"}}})";
  EXPECT_TRUE(check(schema, "resources: {limits: {cpu: 1, memory: 0.5}}\n").empty());
  auto issues = check(schema, "resources: {limits: {cpu: 1x}}\nname: 1\n");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].kind, SchemaIssue::Kind::quantity);
  EXPECT_EQ(issues[0].path, "resources.limits.cpu");
  EXPECT_EQ(issues[1].kind, SchemaIssue::Kind::type) << "numbers stay wrong outside quantities";
}

TEST(JsonSchema, PathsQuoteKeysWithDots) {
  constexpr std::string_view schema =
      R"({"properties":{"labels":{"additionalProperties":{"type":"string"}},"list":{"items":{"type":"string"}}}})";
  auto issues = check(schema, "labels: {app.kubernetes.io/name: 1}\nlist: [a, 2]\n");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].path, "labels[\"app.kubernetes.io/name\"]");
  EXPECT_EQ(issues[1].path, "list[1]");
}

TEST(JsonSchema, RejectsUnsupportedKeywordsAndBadJson) {
  EXPECT_FALSE(CompiledSchema::compile(R"({"$ref":"#/definitions/x"})", "t"));
  EXPECT_FALSE(CompiledSchema::compile(R"({"patternProperties":{}})", "t"));
  EXPECT_FALSE(CompiledSchema::compile(R"({"type":"string")", "t"));
  EXPECT_FALSE(CompiledSchema::compile(R"js({"pattern":"(?<=x)"})js", "t")) << "RE2 has no lookbehind";
  EXPECT_FALSE(CompiledSchema::compile(R"({"type":"object"} x)", "t"));
  auto e = CompiledSchema::compile(R"({"type": "string", "description": "\u00e9\ud83d\ude00", "x": [1, {"a": null}]})", "t");
  EXPECT_TRUE(e) << "descriptions and unknown keywords are skipped";
}

TEST(JsonSchema, EverySharedSchemaCompiles) {
  SLUICE_REQUIRE_SCHEMAS(dir);
  size_t count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    auto text = base::read_file(entry.path());
    ASSERT_TRUE(text);
    auto s = CompiledSchema::compile(*text, entry.path().string());
    EXPECT_TRUE(s) << s.error().message;
    ++count;
  }
  EXPECT_GT(count, 200u);
}

}  // namespace
}  // namespace sluice::k8s
