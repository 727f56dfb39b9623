// The verdict guard, sample combination, strict-schema rules and the reference-check default.
#include <gtest/gtest.h>

#include "base/yaml.h"
#include "llm/config.h"
#include "llm/schema.h"
#include "llm/verdict.h"

namespace sluice::llm {
namespace {

TEST(Verdict, ParsesPassAndFailWithFindings) {
  auto v = parse_verdict("```json\n{\"verdict\": \"fail\", \"findings\": [{\"path\": \"a.py\", \"line\": 3, "
                         "\"severity\": \"error\", \"message\": \"m\"}]}\n```\n");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->value, VerdictValue::fail);
  ASSERT_EQ(v->findings.size(), 1u);
  EXPECT_EQ(v->findings[0].path, "a.py");
  EXPECT_EQ(v->findings[0].line, 3);
  EXPECT_EQ(v->findings[0].severity, "error");
  EXPECT_EQ(v->text.back(), '\n');
  auto p = parse_verdict(R"({"verdict": "pass", "findings": []})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->value, VerdictValue::pass);
}

TEST(Verdict, MalformedRepliesNameWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "the reply is empty"},
      {"LGTM", "it is not JSON"},
      {"[1]", "it is an array, not an object"},
      {R"({"findings": []})", "\"verdict\" is missing"},
      {R"({"verdict": true, "findings": []})", "\"verdict\" must be \"pass\" or \"fail\", got true"},
      {R"({"verdict": "pass"})", "\"findings\" is missing"},
      {R"({"verdict": "pass", "findings": {}})", "\"findings\" must be an array, got an object"},
      {R"({"verdict": "pass", "findings": [1]})", "findings[0] must be an object, got a number"},
      {R"({"verdict": "pass", "findings": [{"path": "a", "line": 1, "severity": "error"}]})",
       "findings[0].message is missing"},
      {R"({"verdict": "pass", "findings": [{"path": "a", "line": -1, "severity": "error", "message": "m"}]})",
       "findings[0].line must be an integer >= 0, got -1"},
      {R"({"verdict": "pass", "findings": [{"path": "a", "line": 1, "severity": "info", "message": "m"}]})",
       "findings[0].severity must be \"error\", \"warning\" or \"note\", got \"info\""},
      {R"({"verdict": "pass", "findings": [{"path": 7, "line": 1, "severity": "note", "message": "m"}]})",
       "findings[0].path must be a string"},
  };
  for (const auto& [reply, want] : cases) {
    auto v = parse_verdict(reply);
    ASSERT_FALSE(v) << reply;
    EXPECT_NE(v.error().message.find(want), std::string::npos) << reply << " -> " << v.error().message;
    EXPECT_NE(v.error().message.find("output guard: the reply is not a valid verdict"), std::string::npos);
  }
}

Verdict of(VerdictValue value) {
  Verdict v;
  v.value = value;
  v.text = std::string(to_string(value));
  return v;
}

TEST(Verdict, SamplesNeedAgreeVotes) {
  using V = VerdictValue;
  EXPECT_EQ(combine_samples({of(V::pass)}, 1).value, V::pass);
  EXPECT_EQ(combine_samples({of(V::fail)}, 1).value, V::fail);
  EXPECT_EQ(combine_samples({of(V::pass), of(V::fail), of(V::pass)}, 2).value, V::pass);
  EXPECT_EQ(combine_samples({of(V::fail), of(V::fail), of(V::pass)}, 2).value, V::fail);
  EXPECT_EQ(combine_samples({of(V::pass), of(V::fail), of(V::pass)}, 3).value, V::unstable);
  EXPECT_EQ(combine_samples({of(V::pass), of(V::fail), of(V::pass), of(V::fail), of(V::pass)}, 4).value, V::unstable);
  EXPECT_EQ(combine_samples({of(V::pass), of(V::fail), of(V::pass)}, 2).text, "pass");
}

TEST(StrictSchema, AcceptsAStrictSchema) {
  auto s = nlohmann::json::parse(R"({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
    "additionalProperties": false, "required": ["a", "b"], "properties": {
      "a": {"type": "string", "enum": ["x", "y"], "description": "d"},
      "b": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["c"],
                                       "properties": {"c": {"type": ["integer", "null"]}}}}}})");
  EXPECT_TRUE(strict_schema_problems(s).empty());
  EXPECT_FALSE(schema_to_send(s).contains("$schema"));
}

TEST(StrictSchema, NamesEveryProblemWithItsKeyPath) {
  auto s = nlohmann::json::parse(R"({"type": "object", "required": ["a"], "properties": {
      "a": {"type": "string", "minLength": 1},
      "b": {"type": "object", "properties": {}, "additionalProperties": true},
      "c": {"items": {"type": "string", "pattern": "x"}}}})");
  auto p = strict_schema_problems(s);
  auto has = [&](std::string_view want) {
    for (const auto& x : p)
      if (x.find(want) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("$: an object needs additionalProperties: false")) << ::testing::PrintToString(p);
  EXPECT_TRUE(has("$.properties.a.minLength: keyword not supported"));
  EXPECT_TRUE(has("$.properties.b: optional (not in required)"));
  EXPECT_TRUE(has("$.properties.b: an object needs additionalProperties: false"));
  EXPECT_TRUE(has("$.properties.c: give a type"));
  EXPECT_TRUE(has("$.properties.c.items.pattern: keyword not supported"));
  EXPECT_FALSE(strict_schema_problems(nlohmann::json::parse(R"({"type": "array", "items": {"type": "string"}})")).empty());
}

LlmStageSpec stage(std::string_view yaml) {
  auto docs = base::yaml::parse(yaml, "sluice.yml");
  EXPECT_TRUE(docs);
  auto s = parse_llm_stage((*docs)[0].root, "sluice.yml");
  EXPECT_TRUE(s) << (s ? "" : s.error()[0].to_string());
  return s ? *s : LlmStageSpec{};
}

TEST(ReferenceCheck, OnByDefaultForCodeOutputsOnly) {
  EXPECT_TRUE(checks_references(stage("{prompt: x, output: {path: app/main.py}}")));
  EXPECT_TRUE(checks_references(stage("{prompt: x, output: {path: web/index.TS}}")));
  EXPECT_TRUE(checks_references(stage("{prompt: x, output: {path: build/Dockerfile}}")));
  EXPECT_TRUE(checks_references(stage("{prompt: x, output: {path: src/x.go}}")));
  EXPECT_FALSE(checks_references(stage("{prompt: x, output: {path: notes.md}}")));
  EXPECT_FALSE(checks_references(stage("{prompt: x, output: {path: k8s/app.yaml, format: yaml}}")));
  EXPECT_FALSE(checks_references(stage("{prompt: x}")));
  EXPECT_TRUE(checks_references(stage("{prompt: x, check_references: true, output: {path: k8s/app.yaml}}")));
  EXPECT_FALSE(checks_references(stage("{prompt: x, check_references: false, output: {path: a.py}}")));
  auto s = stage("{prompt: x, references: {allow: [a, 'python:b*'], images: {allow: ['ghcr.io/x/*'], require_digest: true}}}");
  EXPECT_EQ(s.references.allow, (std::vector<std::string>{"a", "python:b*"}));
  EXPECT_EQ(s.references.image_allow, (std::vector<std::string>{"ghcr.io/x/*"}));
  EXPECT_TRUE(s.references.require_digest);
}

TEST(VerdictConfig, SamplesDefaultToAMajority) {
  auto s = stage("{prompt: x, verdict: true, samples: 5}");
  EXPECT_TRUE(s.verdict);
  EXPECT_EQ(s.samples, 5);
  EXPECT_EQ(s.agree, 3);
  auto one = stage("{prompt: x, verdict: true}");
  EXPECT_EQ(one.samples, 1);
  EXPECT_EQ(one.agree, 1);
  for (const char* bad : {"{prompt: x, samples: 3}", "{prompt: x, verdict: true, samples: 4, agree: 2}",
                          "{prompt: x, verdict: true, samples: 3, agree: 4}", "{prompt: x, verdict: true, agree: 1}",
                          "{prompt: x, verdict: yes}", "{prompt: x, verdict: true, output: {path: v.yaml, format: yaml}}"}) {
    auto docs = base::yaml::parse(bad, "sluice.yml");
    ASSERT_TRUE(docs);
    EXPECT_FALSE(parse_llm_stage((*docs)[0].root, "sluice.yml")) << bad;
  }
}

}  // namespace
}  // namespace sluice::llm
