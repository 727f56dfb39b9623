#include "refs/extract.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::refs {
namespace {

std::vector<std::string> names(const std::vector<Reference>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.name);
  return out;
}

using V = std::vector<std::string>;

TEST(ExtractPython, ImportsWithPositions) {
  auto refs = extract_python("import os, sys as system\nfrom a.b import (c,\n  d)\n  import x.y.z\n");
  ASSERT_EQ(names(refs), (V{"os", "sys", "a.b", "x.y.z"}));
  EXPECT_EQ(refs[0].line, 1);
  EXPECT_EQ(refs[0].column, 8);
  EXPECT_EQ(refs[2].line, 2);
  EXPECT_EQ(refs[2].column, 6);
  EXPECT_EQ(refs[3].line, 4);
  EXPECT_EQ(refs[3].column, 10);
}

TEST(ExtractPython, RelativeImports) {
  auto refs = extract_python("from . import a, b as c\nfrom ..pkg import x\nfrom .m import (y)\n");
  EXPECT_EQ(names(refs), (V{".a", ".b", "..pkg", ".m"}));
  EXPECT_TRUE(refs[0].member);
  EXPECT_FALSE(refs[2].member);
}

TEST(ExtractPython, StringsAndCommentsAreNotImports) {
  const char* src = R"PY(
# import fake_one
s = "import fake_two"
t = '''
import fake_three
from fake_four import x
'''
u = f"{'import fake_five'} {x!r:>{width}}"
v = rb'\d import fake_six'
raise ValueError("x") from err
y = (yield from gen())
import real
)PY";
  EXPECT_EQ(names(extract_python(src)), (V{"real"}));
}

TEST(ExtractPython, DunderImportAndImportModuleLiterals) {
  auto refs = extract_python("m = __import__(\"json\")\nimportlib.import_module('yaml')\nimport_module(name)\n");
  EXPECT_EQ(names(refs), (V{"json", "yaml"}));
}

TEST(ExtractPython, OptionalImportsInTryExceptImportErrorAreSkipped) {
  const char* src =
      "try:\n    import simplejson as json\nexcept ImportError:\n    import json\n"
      "try:\n    import must_exist\nexcept ValueError:\n    pass\n"
      "try: import ujson\nexcept (ImportError, AttributeError): ujson = None\n";
  EXPECT_EQ(names(extract_python(src)), (V{"json", "must_exist"}));
}

TEST(ExtractPython, LineContinuationAndSemicolons) {
  EXPECT_EQ(names(extract_python("import a; import \\\n  b\nif x: import c\n")), (V{"a", "b", "c"}));
}

TEST(ExtractJavaScript, StaticDynamicRequireExport) {
  const char* src = R"JS(
import def, { a, b as c } from "pkg-a";
import * as ns from '@scope/pkg/sub';
import "./side-effect.css";
import type { T } from "types-only";
export { x } from "./reexport.js";
export * from "star-pkg";
const fs = require("fs");
const lazy = await import("node:path");
import foo = require("ts-style");
)JS";
  EXPECT_EQ(names(extract_javascript(src)),
            (V{"pkg-a", "@scope/pkg/sub", "./side-effect.css", "types-only", "./reexport.js", "star-pkg", "fs",
               "node:path", "ts-style"}));
}

TEST(ExtractJavaScript, StringsCommentsTemplatesRegexesAreNot) {
  const char* src = R"JS(
// import x from "fake1";
/* require("fake2") */
const s = 'import y from "fake3"';
const t = `require("fake4") ${ require("real1") } import("fake5")`;
const r = /import z from "fake6"/g;
const d = a / b / require("real2");
obj.import("fake7"); x.require2("fake8");
import.meta.url;
)JS";
  EXPECT_EQ(names(extract_javascript(src)), (V{"real1", "real2"}));
}

TEST(ExtractJavaScript, DynamicImportWithVariableIsSkipped) {
  EXPECT_TRUE(extract_javascript("import(name); require(`x${y}`); require('a' + b);").empty());
}

TEST(ExtractGo, SingleAndBlock) {
  const char* src = R"GO(package main

import "fmt"
import (
	"os"
	str "strings"
	_ "github.com/lib/pq" // driver
	. "example.com/dot"
	/* "commented/out" */
)

var s = "import \"fake\""
var r = `import (
	"fake2"
)`
)GO";
  auto refs = extract_go(src);
  EXPECT_EQ(names(refs), (V{"fmt", "os", "strings", "github.com/lib/pq", "example.com/dot"}));
  EXPECT_EQ(refs[0].line, 3);
  EXPECT_EQ(refs[0].column, 9);
}

TEST(ExtractC, IncludesOutsideCommentsStringsAndIfZero) {
  const char* src = R"C(#include <stdio.h>
  #  include "local.h"
// #include <fake1.h>
/* #include <fake2.h> */
const char* s = "\n#include <fake3.h>";
const char* r = R"x(
#include <fake4.h>
)x";
#if 0
#include <fake5.h>
#else
#include <real2.h>
#endif
#include_next <next.h>
)C";
  auto refs = extract_c(src);
  EXPECT_EQ(names(refs), (V{"stdio.h", "local.h", "real2.h", "next.h"}));
  EXPECT_TRUE(refs[1].quoted_include);
  EXPECT_EQ(refs[1].line, 2);
}

TEST(ExtractCommands, ShellInstallCommands) {
  const char* src =
      "pip install requests==2.31 'flask[async]>=3' -r requirements.txt --index-url https://x\n"
      "sudo apt-get install -y --no-install-recommends curl git=1:2.39\n"
      "npm i -D @scope/tool@^1 left-pad && npx create-thing --yes\n"
      "go install golang.org/x/tools/cmd/goimports@latest\n"
      "cargo add serde --features derive\n"
      "echo \"pip install not_a_command\" # pip install commented\n"
      "python3 -m pip install \\\n  numpy\n"
      "uv add httpx; poetry add rich; pnpm add zod; yarn add lodash; bun add hono\n";
  auto refs = extract_commands(src, FileType::shell);
  EXPECT_EQ(names(refs), (V{"requests", "flask", "curl", "git", "@scope/tool", "left-pad", "create-thing",
                            "golang.org/x/tools/cmd/goimports", "serde", "numpy", "httpx", "rich", "zod", "lodash",
                            "hono"}));
  EXPECT_EQ(refs[2].ecosystem, Ecosystem::debian);
  EXPECT_EQ(refs[9].line, 8);
}

TEST(ExtractCommands, DockerfileRunAndFrom) {
  const char* src =
      "FROM python:3.12-slim AS build\nRUN pip install --no-cache-dir fastapi \\\n    uvicorn\n"
      "# RUN pip install commented\nFROM build\nFROM --platform=linux/amd64 ghcr.io/org/app@sha256:"
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
  auto refs = extract_commands(src, FileType::dockerfile);
  EXPECT_EQ(names(refs), (V{"python:3.12-slim", "fastapi", "uvicorn",
                            "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}));
}

TEST(ExtractCommands, MarkdownFencesOnly) {
  const char* src = "Run pip install prose_is_not_code.\n\n```bash\n$ pip install real-one\n```\n\n```python\n"
                    "import os  # pip install not_shell\n```\n";
  EXPECT_EQ(names(extract_commands(src, FileType::markdown)), (V{"real-one"}));
}

TEST(ExtractCommands, YamlImagesAndRunSteps) {
  const char* src =
      "spec:\n  containers:\n    - name: app\n      image: \"nginx:1.27\"\n    - image: ${REGISTRY}/x  # templated\n"
      "steps:\n  - run: pip install pyyaml\n  # - run: npm i fake\n";
  auto refs = extract_commands(src, FileType::yaml);
  EXPECT_EQ(names(refs), (V{"nginx:1.27", "pyyaml"}));
  EXPECT_EQ(refs[0].kind, RefKind::image);
  EXPECT_EQ(refs[0].line, 4);
  EXPECT_EQ(refs[0].column, 15);
}

TEST(FileType, ByNameAndExtension) {
  EXPECT_EQ(file_type("a/b/x.py"), FileType::python);
  EXPECT_EQ(file_type("x.TSX"), FileType::javascript);
  EXPECT_EQ(file_type("Dockerfile"), FileType::dockerfile);
  EXPECT_EQ(file_type("x/Dockerfile.prod"), FileType::dockerfile);
  EXPECT_EQ(file_type("k.yaml"), FileType::yaml);
  EXPECT_EQ(file_type("a.hpp"), FileType::c);
  EXPECT_EQ(file_type("notes.txt"), FileType::other);
}

}  // namespace
}  // namespace sluice::refs
