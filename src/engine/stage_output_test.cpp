#include "engine/stage_output.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <cctype>
#include <thread>

#include "engine/test_util.h"

using namespace sluice;
using namespace sluice::engine;
using namespace sluice::engine::testing;

namespace {

// Upper-cases what it is given, holding back a trailing '!' until the next write or the flush
// (as the redactor holds back what may be the start of a secret).
struct Shout final : StreamFilter {
  std::string held;
  std::string write(std::string_view chunk) override {
    std::string s = held + std::string(chunk);
    held.clear();
    if (!s.empty() && s.back() == '!') {
      held = "!";
      s.pop_back();
    }
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
  std::string flush() override { return std::exchange(held, ""); }
};
struct ShoutFactory final : StreamFilterFactory {
  mutable int made = 0;
  std::unique_ptr<StreamFilter> make() const override {
    ++made;
    return std::make_unique<Shout>();
  }
  std::string redact(std::string_view t) const override { return std::string(t); }
};

}  // namespace

TEST(StageOutput, ASilentStageLeavesNoLogAndMakesNoFilter) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\nstages:\n  s: { run: x }\n"));
  Mailbox mail;
  RecordingSink sink;
  ShoutFactory filters;
  {
    StageOutput out(0, ws.dir.path() / "s.log", &filters, mail, &sink, ws.pipeline.stages[0]);
    out.write("");
    out.finish();
    EXPECT_FALSE(out.wrote());
  }
  EXPECT_EQ(filters.made, 0);
  EXPECT_EQ(ws.read("s.log"), "<missing>");
}

TEST(StageOutput, FilteredBytesGoToTheLogAndTheSinkInOrder) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\nstages:\n  s: { run: x }\n"));
  Mailbox mail;
  RecordingSink sink;
  ShoutFactory filters;
  StageOutput out(0, ws.dir.path() / "s.log", &filters, mail, &sink, ws.pipeline.stages[0]);
  out.write("hello!");
  out.write(" world");
  out.finish();
  EXPECT_TRUE(out.wrote());
  EXPECT_EQ(filters.made, 1);
  EXPECT_EQ(sink.output, "HELLO! WORLD");
  EXPECT_EQ(ws.read("s.log"), "HELLO! WORLD");
}

TEST(StageOutput, AWorkersOutputGoesThroughTheMailbox) {
  Workspace ws;
  ASSERT_TRUE(ws.load("version: 1\nstages:\n  s: { run: x }\n"));
  Mailbox mail;
  RecordingSink sink;
  StageOutput out(3, ws.dir.path() / "s.log", nullptr, mail, nullptr, ws.pipeline.stages[0]);
  out.write("from a worker");
  EXPECT_TRUE(sink.output.empty());
  auto msgs = mail.take();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, Message::Type::output);
  EXPECT_EQ(msgs[0].stage, 3);
  EXPECT_EQ(msgs[0].text, "from a worker");
  out.set_direct(&sink);  // the scheduler writes from here on
  out.write(", then the scheduler");
  EXPECT_EQ(sink.output, ", then the scheduler");
  EXPECT_TRUE(mail.take().empty());
}

TEST(StageOutput, LogFileNamesHaveNoSlashes) {
  EXPECT_EQ(log_file_name("build/linux"), "build_linux.log");
  EXPECT_EQ(log_file_name("lint"), "lint.log");
}

TEST(WorkerPool, RunsEveryJobOnAtMostSizeThreads) {
  std::atomic<int> done{0};
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  {
    WorkerPool pool(2);
    for (int i = 0; i < 20; ++i) {
      pool.submit([&] {
        const int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --running;
        ++done;
      });
    }
  }  // the destructor waits for the jobs
  EXPECT_EQ(done.load(), 20);
  EXPECT_LE(most.load(), 2);
}

TEST(Mailbox, IsReadableWhileMessagesWait) {
  Mailbox mail;
  pollfd p{mail.fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  mail.post({Message::Type::done, 1, {}, 2, {}});
  EXPECT_EQ(::poll(&p, 1, 0), 1);
  auto msgs = mail.take();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].attempt, 2);
  EXPECT_EQ(::poll(&p, 1, 0), 0);
}
