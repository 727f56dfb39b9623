#include "base/process.h"

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <string>

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
