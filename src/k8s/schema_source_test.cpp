#include "k8s/schema_source.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "base/files.h"
#include "k8s/validator.h"

namespace sluice::k8s {
namespace {

TEST(SchemaSource, TemplateVariablesLikeKubeconform) {
  TemplateVars v = template_vars("networking.k8s.io/v1", "NetworkPolicy", "1.36.0", true);
  EXPECT_EQ(v.kind, "networkpolicy");
  EXPECT_EQ(v.group, "networking.k8s.io");
  EXPECT_EQ(v.version, "v1");
  EXPECT_EQ(v.kind_suffix, "-networking-v1");
  EXPECT_EQ(v.kubernetes_version, "v1.36.0");
  EXPECT_EQ(v.strict_suffix, "-strict");
  auto s = expand_template(
      "x/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{.ResourceKind}}{{ .KindSuffix }}.json", v);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "x/v1.36.0-standalone-strict/networkpolicy-networking-v1.json");
  TemplateVars core = template_vars("v1", "Pod", "", false);
  EXPECT_EQ(core.group, "");
  EXPECT_EQ(core.kind_suffix, "-v1");
  EXPECT_EQ(core.kubernetes_version, "master");
  EXPECT_FALSE(expand_template("{{ .Bogus }}", core));
  EXPECT_FALSE(expand_template("{{ .ResourceKind", core));
}

constexpr const char* k_configmap_schema =
    R"({"type":"object","additionalProperties":false,"required":["apiVersion","kind"],"properties":{
  "apiVersion":{"type":"string"},"kind":{"type":"string"},
  "metadata":{"type":"object","properties":{"name":{"type":"string"}}},
  "data":{"type":"object","additionalProperties":{"type":"string"}}}})";

TEST(SchemaSource, DirectoryLayoutAndFirstHitWins) {
  base::TempDir a, b;
  ASSERT_TRUE(base::atomic_write(b.path() / "core" / "configmap_v1.json", k_configmap_schema));
  ASSERT_TRUE(base::atomic_write(a.path() / "apps" / "deployment_v1.json", "{}"));
  SchemaSource src({a.path().string(), b.path().string() + "/"}, "master", {}, false);
  auto cm = src.fetch("v1", "ConfigMap");
  ASSERT_TRUE(cm);
  ASSERT_TRUE(*cm);
  EXPECT_EQ((*cm)->origin, (b.path() / "core" / "configmap_v1.json").string());
  auto dep = src.fetch("apps/v1", "Deployment");
  ASSERT_TRUE(dep && *dep);
  EXPECT_EQ((*dep)->text, "{}");
  auto none = src.fetch("apps/v1", "StatefulSet");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// A real HTTP server on loopback: schemas are downloaded once, then read from the disk cache.
class HttpSchemas : public ::testing::Test {
 protected:
  void SetUp() override {
    m_server.Get("/schemas/core/configmap_v1.json", [this](const httplib::Request&, httplib::Response& res) {
      ++m_hits;
      res.set_content(k_configmap_schema, "application/json");
    });
    m_server.Get("/broken/core/configmap_v1.json", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
    });
    m_port = m_server.bind_to_any_port("127.0.0.1");
    ASSERT_GT(m_port, 0);
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    m_server.stop();
    if (m_thread.joinable()) m_thread.join();
  }
  std::string url(std::string_view path) const { return fmt::format("http://127.0.0.1:{}{}", m_port, path); }

  httplib::Server m_server;
  std::thread m_thread;
  int m_port = 0;
  std::atomic<int> m_hits{0};
};

TEST_F(HttpSchemas, DownloadedOnceAndCachedOnDisk) {
  base::TempDir cache;
  std::string cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: 1}\n";
  for (int round = 0; round < 2; ++round) {
    ValidateOptions o;
    o.schema_locations = {url("/schemas")};
    o.cache_dir = cache.path();
    auto v = Validator::create(o);
    ASSERT_TRUE(v);
    std::vector<Validator::Input> in{{"a.yaml", cm}, {"b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n"}};
    Report r = v->validate_inputs(in);
    EXPECT_TRUE(r.errors.empty());
    ASSERT_EQ(r.findings.size(), 1u) << "the downloaded schema is used";
    EXPECT_EQ(r.findings[0].rule, "type");
  }
  EXPECT_EQ(m_hits.load(), 1) << "second validator reads the disk cache";
}

TEST_F(HttpSchemas, TemplateUrlMissingAndServerErrors) {
  ValidateOptions o;
  o.schema_locations = {url("/schemas/{{ .Group }}core/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")};
  auto v = Validator::create(o);
  ASSERT_TRUE(v);
  std::vector<Validator::Input> in{{"a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
                                              "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"}};
  Report r = v->validate_inputs(in);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "missing-schema") << "404 means no schema, not a failure";

  o.schema_locations = {url("/broken")};
  v = Validator::create(o);
  ASSERT_TRUE(v);
  r = v->validate_inputs(in);
  ASSERT_EQ(r.errors.size(), 1u) << "HTTP 500 is an error (exit 2), reported once";
  EXPECT_EQ(r.errors[0].code, ErrorCode::network);
}

}  // namespace
}  // namespace sluice::k8s
