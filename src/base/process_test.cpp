#include "base/process.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "base/files.h"

using namespace sluice::base;

namespace {
std::string drain(Child& c) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{c.output_fd(), POLLIN, 0};
    ::poll(&p, 1, 5000);
    ssize_t n = ::read(c.output_fd(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}
}  // namespace

TEST(Process, MergesOutputAndReportsExitCode) {
  auto c = spawn({{"sh", "-c", "echo out; echo err >&2; exit 3"}, {"PATH=/usr/bin:/bin"}, {}});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  std::string out = drain(*c);
  EXPECT_NE(out.find("out"), std::string::npos);
  EXPECT_NE(out.find("err"), std::string::npos);
  EXPECT_EQ(c->wait(), 3);
}

TEST(Process, RunCapturedCollectsOutputAndCode) {
  auto r = run_captured({{"sh", "-c", "echo out; echo err >&2; exit 4"}, {"PATH=/usr/bin:/bin"}, {}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->output, "out\nerr\n");
  EXPECT_EQ(r->code, 4);
  EXPECT_FALSE(r->timed_out);
}

TEST(Process, RunCapturedKillsTheGroupPastItsLimit) {
  // A grandchild holding the pipe open must not keep the caller waiting past the limit.
  auto started = std::chrono::steady_clock::now();
  auto r = run_captured({{"sh", "-c", "echo begun; sleep 30 & sleep 30"}, {"PATH=/usr/bin:/bin"}, {}},
                        std::chrono::milliseconds(300));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->output, "begun\n");
  EXPECT_EQ(r->code, 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST(Process, OwnProcessGroupAndSignalExit) {
  auto c = spawn({{"sh", "-c", "sleep 30 & sleep 30; echo never"}, {"PATH=/usr/bin:/bin"}, {}});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(::getpgid(c->pid()), c->pid());
  c->signal_group(SIGKILL);
  EXPECT_EQ(c->wait(), 128 + SIGKILL);
}

TEST(Process, EnvironmentIsExactlyTheGivenOne) {
  auto c = spawn({{"sh", "-c", "echo \"[$FOO][$HOME]\""}, {"PATH=/usr/bin:/bin", "FOO=bar"}, {}});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(drain(*c), "[bar][]\n");
  EXPECT_EQ(c->wait(), 0);
}

TEST(Process, MissingProgramIsAnError) {
  auto c = spawn({{"definitely-not-a-program-xyz"}, {"PATH=/usr/bin:/bin"}, {}});
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("definitely-not-a-program-xyz"), std::string::npos);
}

TEST(Process, TheChildsPathDecidesAndARememberedProgramThatMovedIsLookedUpAgain) {
  sluice::base::TempDir dir("sluice-path-test");
  const auto a = dir.path() / "a";
  const auto b = dir.path() / "b";
  std::filesystem::create_directories(a);
  std::filesystem::create_directories(b);
  auto tool = [](const std::filesystem::path& at, const std::string& says) {
    ASSERT_TRUE(atomic_write(at, "#!/bin/sh\necho " + says + "\n").has_value());
    ::chmod(at.c_str(), 0755);
  };
  const std::string path = "PATH=" + a.string() + ":" + b.string() + ":/usr/bin:/bin";
  tool(a / "sluice-path-probe", "from-a");
  tool(b / "sluice-path-probe", "from-b");
  auto first = spawn({{"sluice-path-probe"}, {path}, {}});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(drain(*first), "from-a\n");
  EXPECT_EQ(first->wait(), 0);
  // The lookup for this PATH is remembered; when that program goes away the next spawn looks
  // again instead of failing.
  std::filesystem::remove(a / "sluice-path-probe");
  auto second = spawn({{"sluice-path-probe"}, {path}, {}});
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(drain(*second), "from-b\n");
  EXPECT_EQ(second->wait(), 0);
  // Another PATH is another lookup.
  auto only_b = spawn({{"sluice-path-probe"}, {"PATH=" + b.string()}, {}});
  ASSERT_TRUE(only_b.has_value());
  EXPECT_EQ(drain(*only_b), "from-b\n");
  EXPECT_EQ(only_b->wait(), 0);
}
