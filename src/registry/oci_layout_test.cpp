#include "registry/oci_layout.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/files.h"

namespace sluice::registry {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Writes an OCI image layout by hand: blobs under blobs/sha256, index.json, oci-layout.
class LayoutDir {
 public:
  LayoutDir() { fs::create_directories(dir() / "blobs" / "sha256"); }
  fs::path dir() const { return m_tmp.path(); }
  std::string blob(const std::string& bytes) {
    std::string d = digest_of(bytes);
    EXPECT_TRUE(base::atomic_write(dir() / "blobs" / "sha256" / d.substr(7), bytes));
    return d;
  }
  static json desc(std::string_view media_type, const std::string& digest, size_t size) {
    return {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
  }
  // An image manifest with a config and one layer; returns its descriptor.
  json image(const std::string& arch) {
    std::string config = json{{"architecture", arch}, {"os", "linux"}}.dump();
    std::string layer = "layer of " + arch;
    json m = {{"schemaVersion", 2},
              {"mediaType", k_oci_manifest},
              {"config", desc(k_oci_config, blob(config), config.size())},
              {"layers", json::array({desc("application/vnd.oci.image.layer.v1.tar", blob(layer), layer.size())})}};
    std::string body = m.dump();
    return desc(k_oci_manifest, blob(body), body.size());
  }
  void finish(const json& entries, std::string marker = R"({"imageLayoutVersion": "1.0.0"})") {
    ASSERT_TRUE(base::atomic_write(dir() / "oci-layout", marker));
    ASSERT_TRUE(base::atomic_write(dir() / "index.json", json{{"schemaVersion", 2}, {"manifests", entries}}.dump()));
  }

 private:
  base::TempDir m_tmp;
};

std::string error_of(const Expected<OciLayout>& r) {
  EXPECT_FALSE(r.has_value());
  if (r) return "";
  EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << r.error().message;
  return r.error().message;
}

TEST(OciLayout, ReadsOneImage) {
  LayoutDir l;
  json img = l.image("amd64");
  l.finish(json::array({img}));
  auto r = read_oci_layout(l.dir());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->top.digest, img["digest"]);
  EXPECT_EQ(r->top.media_type, k_oci_manifest);
  EXPECT_EQ(digest_of(r->top.body), r->top.digest);
  EXPECT_TRUE(r->children.empty());
  EXPECT_EQ(r->blobs.size(), 2u);  // config and layer
}

TEST(OciLayout, ReadsAnIndexWithItsChildrenAndSharedBlobsOnce) {
  LayoutDir l;
  json a = l.image("amd64"), b = l.image("arm64"), again = l.image("amd64");
  EXPECT_EQ(a, again);  // same bytes, same blobs
  json idx = {{"schemaVersion", 2}, {"mediaType", k_oci_index}, {"manifests", json::array({a, b})}};
  std::string body = idx.dump();
  json top = LayoutDir::desc(k_oci_index, l.blob(body), body.size());
  top["annotations"] = {{"org.opencontainers.image.ref.name", "v1"}};
  json other = l.image("s390x");
  other["annotations"] = {{"org.opencontainers.image.ref.name", "v2"}};
  l.finish(json::array({top, other}));
  auto r = read_oci_layout(l.dir(), std::string("v1"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->top.media_type, k_oci_index);
  ASSERT_EQ(r->children.size(), 2u);
  EXPECT_EQ(r->children[1].digest, b["digest"]);
  EXPECT_EQ(r->blobs.size(), 4u);
  auto v2 = read_oci_layout(l.dir(), std::string("v2"));
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(v2->top.digest, other["digest"]);
  // Two entries and no ref: which one is ambiguous.
  EXPECT_NE(error_of(read_oci_layout(l.dir())).find("2 entries; name the one to push"), std::string::npos);
  EXPECT_NE(error_of(read_oci_layout(l.dir(), std::string("v3"))).find("no entry has the org.opencontainers.image.ref.name annotation \"v3\" (there are: v1, v2)"),
            std::string::npos);
}

TEST(OciLayout, BadLayoutsNameTheFileAndKey) {
  {
    LayoutDir l;
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find("oci-layout: missing: not an OCI image layout"), std::string::npos);
  }
  {
    LayoutDir l;
    l.finish(json::array({l.image("amd64")}), R"({"imageLayoutVersion": "2.0.0"})");
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find("oci-layout: \"imageLayoutVersion\": \"2.0.0\" is not supported"),
              std::string::npos);
  }
  {
    LayoutDir l;
    l.finish(json::array({l.image("amd64")}));
    ASSERT_TRUE(base::atomic_write(l.dir() / "index.json", "{\"manifests\": 3}"));
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find("index.json: \"manifests\": missing or not an array"),
              std::string::npos);
    ASSERT_TRUE(base::atomic_write(l.dir() / "index.json", "{not json"));
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find("index.json: not a JSON object"), std::string::npos);
  }
  {
    LayoutDir l;
    json img = l.image("amd64");
    img.erase("digest");
    l.finish(json::array({img}));
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find("index.json: \"manifests[0].digest\": missing or not a string"),
              std::string::npos);
  }
  {
    LayoutDir l;
    json img = l.image("amd64");
    img["digest"] = "sha512:abc";
    l.finish(json::array({img}));
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find("\"manifests[0].digest\": \"sha512:abc\" is not a sha256 digest"),
              std::string::npos);
  }
  {
    LayoutDir l;
    json img = l.image("amd64");
    img["size"] = img["size"].get<int>() + 1;
    l.finish(json::array({img}));
    auto msg = error_of(read_oci_layout(l.dir()));
    EXPECT_NE(msg.find("blobs/sha256/" + img["digest"].get<std::string>().substr(7) + ": size "), std::string::npos) << msg;
    EXPECT_NE(msg.find("but index.json \"manifests[0].size\" says"), std::string::npos) << msg;
  }
  {
    LayoutDir l;
    json img = l.image("amd64");
    img["mediaType"] = "application/vnd.oci.image.layer.v1.tar";
    l.finish(json::array({img}));
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find("\"manifests[0].mediaType\": \"application/vnd.oci.image.layer.v1.tar\" is not an image manifest"),
              std::string::npos);
  }
  {
    // A layer the manifest names is missing from blobs/.
    LayoutDir l;
    json img = l.image("amd64");
    l.finish(json::array({img}));
    auto r = read_oci_layout(l.dir());
    ASSERT_TRUE(r);
    fs::remove(r->blobs[0].path);
    auto msg = error_of(read_oci_layout(l.dir()));
    EXPECT_NE(msg.find(": missing (referenced by " + img["digest"].get<std::string>().substr(7)), std::string::npos) << msg;
  }
  {
    // A manifest whose bytes were edited after it was named.
    LayoutDir l;
    json img = l.image("amd64");
    l.finish(json::array({img}));
    fs::path p = l.dir() / "blobs" / "sha256" / img["digest"].get<std::string>().substr(7);
    auto body = base::read_file(p);
    ASSERT_TRUE(body);
    std::string edited = *body;
    edited[edited.size() - 2] = ' ';
    ASSERT_TRUE(base::atomic_write(p, edited));
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find(": content does not match its digest"), std::string::npos);
  }
  {
    LayoutDir l;
    l.finish(json::array());
    EXPECT_NE(error_of(read_oci_layout(l.dir())).find("index.json: \"manifests\": empty, nothing to push"),
              std::string::npos);
  }
  EXPECT_NE(error_of(read_oci_layout("/nonexistent/layout")).find("not a directory"), std::string::npos);
}

TEST(TagRef, ParsesRepositoryAndTag) {
  auto t = parse_tag_ref("127.0.0.1:5000/team/app:v1.2");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->repo.host, "127.0.0.1:5000");
  EXPECT_EQ(t->repo.name, "team/app");
  EXPECT_EQ(t->tag, "v1.2");
  EXPECT_EQ(t->display(), "127.0.0.1:5000/team/app:v1.2");
  EXPECT_FALSE(parse_tag_ref("127.0.0.1:5000/team/app"));
  EXPECT_FALSE(parse_tag_ref("127.0.0.1:5000/app:-x"));
  EXPECT_FALSE(parse_tag_ref("127.0.0.1:5000/app@sha256:abcd"));
  EXPECT_FALSE(parse_tag_ref("127.0.0.1:5000/App:v1"));
}

}  // namespace
}  // namespace sluice::registry
