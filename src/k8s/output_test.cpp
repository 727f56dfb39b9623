#include "k8s/output.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sluice::k8s {
namespace {

Report sample() {
  Report r;
  r.files = 1;
  r.resources = 1;
  r.findings.push_back(Finding{Severity::error, "unknown-field", "deploy.yaml", 12, 7, "Deployment web",
                               "spec.replicaz", "unknown field \"replicaz\" (did you mean \"replicas\"?)",
                               "a known field", "replicaz", "replicas"});
  r.findings.push_back(Finding{Severity::warning, "image-tag", "deploy.yaml", 20, 18, "Deployment web",
                               "spec.template.spec.containers[0].image", "image \"nginx\" has <no> tag & more",
                               "", "", ""});
  return r;
}

TEST(Output, Text) {
  std::string t = render_report(sample(), OutputFormat::text, Severity::error);
  EXPECT_NE(t.find("deploy.yaml:12:7: error: spec.replicaz: unknown field \"replicaz\" (did you mean \"replicas\"?) "
                   "[unknown-field] (Deployment web)\n"),
            std::string::npos);
  EXPECT_NE(t.find("invalid: 1 file, 1 resource checked, 0 skipped: 1 error, 1 warning"), std::string::npos);
}

TEST(Output, Json) {
  auto j = nlohmann::json::parse(render_report(sample(), OutputFormat::json, Severity::error));
  EXPECT_FALSE(j["valid"].get<bool>());
  EXPECT_EQ(j["summary"]["errors"], 1);
  EXPECT_EQ(j["findings"][0]["suggestion"], "replicas");
  EXPECT_EQ(j["findings"][0]["line"], 12);
  EXPECT_EQ(j["findings"][1]["severity"], "warning");
  Report empty;
  EXPECT_TRUE(nlohmann::json::parse(render_report(empty, OutputFormat::json, Severity::warning))["valid"].get<bool>());
}

TEST(Output, Sarif) {
  auto j = nlohmann::json::parse(render_report(sample(), OutputFormat::sarif, Severity::error));
  EXPECT_EQ(j["version"], "2.1.0");
  const auto& res = j["runs"][0]["results"];
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0]["ruleId"], "unknown-field");
  EXPECT_EQ(res[0]["level"], "error");
  EXPECT_EQ(res[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 12);
  EXPECT_EQ(res[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "deploy.yaml");
  EXPECT_EQ(j["runs"][0]["tool"]["driver"]["rules"].size(), 2u);
}

TEST(Output, JunitEscapesAndCountsFailuresAtFailOn) {
  std::string x = render_report(sample(), OutputFormat::junit, Severity::error);
  EXPECT_NE(x.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(x.find("&lt;no&gt; tag &amp; more"), std::string::npos);
  EXPECT_EQ(x.find("<no>"), std::string::npos);
  x = render_report(sample(), OutputFormat::junit, Severity::warning);
  EXPECT_NE(x.find("failures=\"2\""), std::string::npos);
}

TEST(Output, ParseFormat) {
  EXPECT_EQ(parse_output_format("sarif"), OutputFormat::sarif);
  EXPECT_FALSE(parse_output_format("xml"));
}

}  // namespace
}  // namespace sluice::k8s
