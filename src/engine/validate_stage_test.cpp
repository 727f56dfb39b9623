#include "engine/validate_stage.h"

#include <gtest/gtest.h>

#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;

namespace {

struct TextOutput final : OutputSink {
  std::string text;
  void write(std::string_view b) override { text.append(b); }
};

// A strict schema for ConfigMap v1, enough to tell a good manifest from a bad one without
// ../shared.
const char* k_configmap_schema = R"({
  "type": "object",
  "required": ["apiVersion", "kind", "metadata"],
  "additionalProperties": false,
  "properties": {
    "apiVersion": {"type": "string"}, "kind": {"type": "string"},
    "metadata": {"type": "object", "properties": {"name": {"type": "string"}}},
    "data": {"type": "object", "additionalProperties": {"type": "string"}}
  }
})";

const char* k_pipeline = R"(version: 1
stages:
  good:
    validate: { kubernetes: good, schema_location: schemas, strict: true }
  bad:
    validate: { kubernetes: bad, schema_location: schemas, strict: true }
  other:
    validate: { kubernetes: good, schema_location: schemas }
)";

StageOutcome run_stage(Workspace& ws, ValidateStageExecutor& exec, size_t index, TextOutput& out) {
  CancelToken cancel;
  std::vector<std::string> env;
  StageContext ctx{ws.pipeline, ws.pipeline.stages.at(index), ws.dir.path(), env, "run-1", 1,
                   std::chrono::milliseconds(0), std::chrono::milliseconds(100), out, cancel,
                   [](std::string_view) { return std::nullopt; }};
  return exec.execute(ctx);
}

}  // namespace

TEST(ValidateStageExecutor, PassesFailsAndNamesFilesRelativeToTheWorkspace) {
  Workspace ws;
  ws.write("schemas/core/configmap_v1.json", k_configmap_schema);
  ws.write("good/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n");
  ws.write("bad/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {k: 3}\nextra: 1\n");
  ASSERT_TRUE(ws.load(k_pipeline));
  ValidateStageExecutor exec(ws.dir.path() / "cache");
  TextOutput good_out, bad_out;
  auto good = run_stage(ws, exec, 0, good_out);
  EXPECT_EQ(good.status, OutcomeStatus::success) << good.reason << good_out.text;
  ASSERT_TRUE(good.details.has_value());
  EXPECT_NE(good.details->find("\"resources\":1"), std::string::npos) << *good.details;

  auto bad = run_stage(ws, exec, 1, bad_out);
  EXPECT_EQ(bad.status, OutcomeStatus::failed);
  EXPECT_NE(bad.reason.find("error"), std::string::npos) << bad.reason;
  EXPECT_NE(bad_out.text.find("bad/cm.yaml:"), std::string::npos) << bad_out.text;
  EXPECT_EQ(bad_out.text.find(ws.dir.path().string()), std::string::npos) << "absolute paths: " << bad_out.text;
}

TEST(ValidateStageExecutor, StagesWithTheSameOptionsShareOneValidatorPerRun) {
  Workspace ws;
  ws.write("schemas/core/configmap_v1.json", k_configmap_schema);
  ws.write("good/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  ws.write("bad/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
  ASSERT_TRUE(ws.load(k_pipeline));
  ValidateStageExecutor exec(ws.dir.path() / "cache");
  TextOutput out;
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(run_stage(ws, exec, 0, out).status, OutcomeStatus::success);
    EXPECT_EQ(run_stage(ws, exec, 1, out).status, OutcomeStatus::success);
  }
  EXPECT_EQ(exec.validators_built(), 1u);  // `good` and `bad` differ only in the files checked
  EXPECT_EQ(run_stage(ws, exec, 2, out).status, OutcomeStatus::success);
  EXPECT_EQ(exec.validators_built(), 2u);  // `other` is lenient: other options, its own validator
}

TEST(ValidateStageExecutor, AMissingSchemaLocationFailsTheStageWithTheReason) {
  Workspace ws;
  ws.write("good/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  ASSERT_TRUE(ws.load(k_pipeline));
  ValidateStageExecutor exec(ws.dir.path() / "cache");
  TextOutput out;
  auto r = run_stage(ws, exec, 0, out);
  EXPECT_EQ(r.status, OutcomeStatus::failed);
  EXPECT_NE(r.reason.find("schemas"), std::string::npos) << r.reason;
  EXPECT_EQ(exec.validators_built(), 0u);
}
