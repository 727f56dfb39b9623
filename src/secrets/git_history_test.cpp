// The git history scanner: the patch parser on hand-written git output, and scan_git on real
// repositories made by the test with the git binary.
#include "secrets/git_history.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "base/files.h"
#include "secrets/test_support.h"

extern char** environ;

namespace sluice::secrets {
namespace {

struct Got {
  std::string commit, author, path, text;
  std::vector<size_t> lines;
};

std::vector<Got> parse(std::string_view out, size_t split = 0) {
  std::vector<Got> got;
  GitPatchParser p([&](const AddedLines& a) {
    got.push_back({std::string(a.commit), std::string(a.author), std::string(a.path), std::string(a.text), *a.lines});
  });
  if (split == 0) {
    p.feed(out);
  } else {
    for (size_t i = 0; i < out.size(); i += split) p.feed(out.substr(i, split));
  }
  p.finish();
  return got;
}

const char* k_log =
    "\x1e" "bbbb\x1f" "Bob\x1f" "bob@example.com\x1f" "2026-01-02T00:00:00+00:00\n"
    "\n"
    "diff --git a/src/app.py b/src/app.py\n"
    "index 1111111..2222222 100644\n"
    "--- a/src/app.py\n"
    "+++ b/src/app.py\n"
    "@@ -3 +3,2 @@ def main():\n"
    "-    old = 1\n"
    "+    token = \"x\"\n"
    "++++ not a header\n"
    "@@ -10,0 +12 @@\n"
    "+tail\n"
    "\\ No newline at end of file\n"
    "diff --git a/logo.png b/logo.png\n"
    "new file mode 100644\n"
    "index 0000000..3333333\n"
    "Binary files /dev/null and b/logo.png differ\n"
    "diff --git a/gone.txt b/gone.txt\n"
    "deleted file mode 100644\n"
    "--- a/gone.txt\n"
    "+++ /dev/null\n"
    "@@ -1 +0,0 @@\n"
    "-bye\n"
    "\x1e" "aaaa\x1f" "Ann\x1f" "ann@example.com\x1f" "2026-01-01T00:00:00+00:00\n"
    "\n"
    "diff --git \"a/caf\\303\\251 \\\"x\\\".txt\" \"b/caf\\303\\251 \\\"x\\\".txt\"\n"
    "new file mode 100644\n"
    "--- /dev/null\n"
    "+++ \"b/caf\\303\\251 \\\"x\\\".txt\"\n"
    "@@ -0,0 +1,2 @@\n"
    "+one\n"
    "+two\n";

TEST(GitPatchParser, AddedLinesWithFileLineNumbersPerCommitAndFile) {
  for (size_t split : {size_t{0}, size_t{1}, size_t{7}}) {
    const auto got = parse(k_log, split);
    ASSERT_EQ(got.size(), 2u) << "split " << split;
    EXPECT_EQ(got[0].commit, "bbbb");
    EXPECT_EQ(got[0].author, "Bob");
    EXPECT_EQ(got[0].path, "src/app.py");
    EXPECT_EQ(got[0].text, "    token = \"x\"\n+++ not a header\ntail\n");
    EXPECT_EQ(got[0].lines, (std::vector<size_t>{3, 4, 12}));
    EXPECT_EQ(got[1].commit, "aaaa");
    EXPECT_EQ(got[1].path, "caf\xc3\xa9 \"x\".txt");
    EXPECT_EQ(got[1].text, "one\ntwo\n");
    EXPECT_EQ(got[1].lines, (std::vector<size_t>{1, 2}));
  }
}

TEST(GitPatchParser, KeepsGitMessagesForErrors) {
  GitPatchParser p([](const AddedLines&) {});
  p.feed("fatal: bad revision 'nope'\n");
  p.finish();
  ASSERT_EQ(p.other_lines().size(), 1u);
  EXPECT_EQ(p.other_lines()[0], "fatal: bad revision 'nope'");
}

TEST(GitCommand, RangeIsNeverReadAsAnOption) {
  GitScanOptions o;
  o.repo = "/r";
  o.range = "main..feature";
  const auto argv = git_command(o);
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[argv.size() - 3], "--end-of-options");
  EXPECT_EQ(argv[argv.size() - 2], "main..feature");
  o.range = "--output=/tmp/x";
  auto sc = testing::default_scanner();
  auto r = scan_git(*sc, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("must not start with '-'"), std::string::npos);
}

// A real repository, built with the git binary.
class GitRepo {
 public:
  GitRepo() {
    for (char** e = environ; e && *e; ++e) {
      const std::string_view kv(*e);
      if (kv.substr(0, 4) == "GIT_") continue;  // never inherit a caller's GIT_DIR / GIT_INDEX_FILE
      m_env.emplace_back(kv);
    }
    m_env.emplace_back("GIT_CONFIG_GLOBAL=/dev/null");
    m_env.emplace_back("GIT_CONFIG_NOSYSTEM=1");
    git("init -q -b main");
  }
  const std::filesystem::path& path() const { return m_dir.path(); }
  const std::vector<std::string>& env() const { return m_env; }
  void write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories((path() / rel).parent_path());
    std::ofstream(path() / rel, std::ios::binary) << text;
  }
  void git(const std::string& args) {
    std::string cmd = "cd '" + path().string() + "' && env -i";
    for (const auto& e : m_env) {
      if (e.rfind("PATH=", 0) == 0 || e.rfind("HOME=", 0) == 0 || e.rfind("GIT_", 0) == 0) cmd += " '" + e + "'";
    }
    cmd += " git -c user.name=Tester -c user.email=tester@example.com " + args + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  void commit(const std::string& message, const std::string& date) {
    git("add -A");
    git("commit -q -m '" + message + "' --date='" + date + "'");
  }

 private:
  base::TempDir m_dir{"sluice-git"};
  std::vector<std::string> m_env;
};

// Fake, format-valid tokens (random characters, never real credentials).
const std::string k_pat = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7xY9zA1cD3fG5";
const std::string k_akid = "AKIAQWERTYUIOPASDF23";

TEST(ScanGit, FindsASecretAddedThenRemovedWithCommitAuthorAndLine) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git not installed";
  GitRepo repo;
  repo.write("README.md", "# demo\n");
  repo.commit("init", "2026-01-01T10:00:00Z");
  repo.write("src/config.py", "import os\n\nTOKEN = \"" + k_pat + "\"\n");
  repo.commit("add config", "2026-01-02T10:00:00Z");
  repo.write("src/config.py", "import os\n\nTOKEN = os.environ[\"TOKEN\"]\n");
  repo.write("deploy.sh", "echo ok\nexport AWS_ACCESS_KEY_ID=" + k_akid + "  # sluice:allow\n");
  repo.commit("remove token", "2026-01-03T10:00:00Z");

  GitScanOptions o;
  o.repo = repo.path();
  o.env = repo.env();
  auto sc = testing::default_scanner();
  auto r = scan_git(*sc, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commits, 3u);
  ASSERT_EQ(r->findings.size(), 1u) << "the removed secret is found; the allowed one is not";
  const Finding& f = r->findings[0];
  EXPECT_EQ(f.rule_id, "github-pat");
  EXPECT_EQ(f.path, "src/config.py");
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 10u);
  EXPECT_EQ(f.secret, k_pat);
  EXPECT_EQ(f.author, "Tester");
  EXPECT_EQ(f.email, "tester@example.com");
  EXPECT_EQ(f.date.substr(0, 10), "2026-01-02");
  EXPECT_EQ(f.commit.size(), 40u);
  EXPECT_EQ(f.fingerprint, finding_fingerprint("github-pat", k_pat, "src/config.py"));

  // gitleaks' allowlist `commits` (rule and global), by full hash or abbreviation.
  for (const std::string& listed : {f.commit, f.commit.substr(0, 7)}) {
    auto allow = testing::scanner_from("[[rules]]\nid = \"gh\"\nregex = '''ghp_[A-Za-z0-9]{36}'''\n"
                                       "[[rules.allowlists]]\ncommits = [\"" + listed + "\"]\n");
    ASSERT_TRUE(allow);
    auto allowed = scan_git(*allow, o);
    ASSERT_TRUE(allowed) << allowed.error().message;
    EXPECT_TRUE(allowed->findings.empty()) << listed;
  }
  auto other = testing::scanner_from("[[rules]]\nid = \"gh\"\nregex = '''ghp_[A-Za-z0-9]{36}'''\n"
                                     "[allowlist]\ncommits = [\"0000000000\"]\n");
  ASSERT_TRUE(other);
  auto not_allowed = scan_git(*other, o);
  ASSERT_TRUE(not_allowed);
  EXPECT_EQ(not_allowed->findings.size(), 1u);
  EXPECT_EQ(other->scan("x ghp_aB3dE5gH7jK9mN1pQ3sT5vW7xY9zA1cD3fG5").size(), 1u) << "a file scan has no commit";

  // A range: only the last commit, which adds no reportable secret.
  o.range = "HEAD~1..HEAD";
  r = scan_git(*sc, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commits, 1u);
  EXPECT_TRUE(r->findings.empty());
  o.inline_allow = InlineAllow::ignore;
  r = scan_git(*sc, o);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].rule_id, "aws-access-key-id");
  EXPECT_EQ(r->findings[0].line, 2u);
}

TEST(ScanGit, StagedChangesForAPreCommitHook) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git not installed";
  GitRepo repo;
  repo.write("a.txt", "clean\n");
  repo.commit("init", "2026-01-01T10:00:00Z");
  repo.write("a.txt", "clean\nGITHUB_TOKEN=" + k_pat + "\n");
  repo.write("b.txt", "not staged " + k_pat + "\n");
  repo.git("add a.txt");
  GitScanOptions o;
  o.repo = repo.path();
  o.env = repo.env();
  o.staged = true;
  auto r = scan_git(*testing::default_scanner(), o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].path, "a.txt");
  EXPECT_EQ(r->findings[0].line, 2u);
  EXPECT_TRUE(r->findings[0].commit.empty());
}

TEST(ScanGit, ErrorsCarryGitsMessage) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git not installed";
  GitRepo repo;
  repo.write("a.txt", "x\n");
  repo.commit("init", "2026-01-01T10:00:00Z");
  GitScanOptions o;
  o.repo = repo.path();
  o.env = repo.env();
  o.range = "no-such-branch";
  auto r = scan_git(*testing::default_scanner(), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no-such-branch"), std::string::npos) << r.error().message;
  base::TempDir not_a_repo;
  o.repo = not_a_repo.path();
  o.range.clear();
  r = scan_git(*testing::default_scanner(), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a git repository"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace sluice::secrets
