#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/yaml.h"
#include "notify/config.h"
#include "notify/payload.h"
#include "notify/sender.h"
#include "notify/signing.h"
#include "store/state_store.h"

using namespace sluice;
using namespace sluice::notify;
using namespace std::chrono_literals;

namespace {
// A real HTTP server on 127.0.0.1 with a handler per test.
class Receiver {
 public:
  explicit Receiver(httplib::Server::Handler h) {
    m_server.Post("/hook", std::move(h));
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Receiver() {
    m_server.stop();
    m_thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/hook"; }

 private:
  httplib::Server m_server;
  std::thread m_thread;
  int m_port = 0;
};

Delivery delivery(const std::string& url) {
  Delivery d;
  d.channel = "webhook";
  d.event = "failure";
  d.target = "HOOK_URL";
  d.url = url;
  d.body = R"({"type":"run.failure"})";
  d.id = "msg_1";
  return d;
}

SenderOptions fast() {
  SenderOptions o;
  o.first_backoff = 20ms;
  return o;
}
}  // namespace

// The example of the Standard Webhooks specification (and its reference libraries' tests).
TEST(Signing, MatchesTheSpecificationExample) {
  auto key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(sign_webhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Signing, Base64RoundTripsAndRefusesJunk) {
  for (const std::string& s : std::vector<std::string>{"a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(webhook_key("whsec_not base64!").has_value());
  EXPECT_FALSE(webhook_key("").has_value());
}

TEST(Config, ParsesTheIssueExampleAndReportsMistakes) {
  auto docs = base::yaml::parse(R"(- { on: [failure, awaiting_approval, budget_exceeded], slack: { webhook_env: SLACK_WEBHOOK } }
- { on: [success, failure], webhook: { url_env: HOOK_URL, secret_env: HOOK_SECRET } }
)", "n.yml");
  ASSERT_TRUE(docs.has_value());
  base::Diagnostics diags;
  auto rules = parse_rules((*docs)[0].root, "n.yml", diags);
  EXPECT_TRUE(diags.empty());
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].channel, Channel::slack);
  EXPECT_EQ(rules[0].url_env, "SLACK_WEBHOOK");
  EXPECT_TRUE(rules[0].wants(Event::budget_exceeded));
  EXPECT_FALSE(rules[0].wants(Event::success));
  EXPECT_EQ(rules[1].secret_env, "HOOK_SECRET");

  auto bad = base::yaml::parse("- { on: [failur], webhook: { url: X } }\n- { on: [success] }\n", "n.yml");
  ASSERT_TRUE(bad.has_value());
  diags.clear();
  (void)parse_rules((*bad)[0].root, "n.yml", diags);
  ASSERT_GE(diags.size(), 3u);
  std::string all;
  for (const auto& d : diags) all += d.to_string() + "\n";
  EXPECT_NE(all.find("unknown event \"failur\""), std::string::npos) << all;
  EXPECT_NE(all.find("n.yml:1:"), std::string::npos) << all;
  EXPECT_NE(all.find("exactly one of \"slack\" and \"webhook\""), std::string::npos) << all;
}

TEST(Payload, SlackAndWebhookAreRedacted) {
  RunSummary s;
  s.event = Event::failure;
  s.pipeline = "demo";
  s.seq = 3;
  s.status = "failed";
  s.failed = {"deploy: exit code 1 token=hunter2"};
  auto redact = [](std::string_view t) {
    std::string out(t);
    for (size_t p; (p = out.find("hunter2")) != std::string::npos;) out.replace(p, 7, "[REDACTED]");
    return out;
  };
  auto slack = nlohmann::json::parse(slack_payload(s, redact));
  EXPECT_NE(slack["text"].get<std::string>().find("demo run 3 failed"), std::string::npos);
  EXPECT_TRUE(slack["blocks"].is_array());
  auto hook = webhook_payload(s, redact, 1'700'000'000'000);
  EXPECT_EQ(slack_payload(s, redact).find("hunter2"), std::string::npos);
  EXPECT_EQ(hook.find("hunter2"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(hook)["type"], "run.failure");
}

TEST(Sender, DeliversASignedRequestTheReceiverVerifies) {
  auto key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  std::atomic<bool> verified{false};
  Receiver r([&](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.get_header_value("webhook-id");
    int64_t ts = std::stoll(req.get_header_value("webhook-timestamp"));
    verified = req.get_header_value("webhook-signature") == sign_webhook(*key, id, ts, req.body) && id == "msg_1";
    res.status = 204;
  });
  Sender s(fast());
  auto d = delivery(r.url());
  d.signing_key = *key;
  s.enqueue(d);
  auto out = s.finish(5s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].outcome, "delivered");
  EXPECT_EQ(out[0].http_status, 204);
  EXPECT_TRUE(verified.load());
}

TEST(Sender, RetriesA500ThenGivesUp) {
  std::atomic<int> hits{0};
  Receiver r([&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 500;
  });
  Sender s(fast());
  s.enqueue(delivery(r.url()));
  auto out = s.finish(5s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].outcome, "failed");
  EXPECT_EQ(out[0].attempts, 4);
  EXPECT_EQ(hits.load(), 4);
  EXPECT_EQ(out[0].error, "HTTP 500");
}

TEST(Sender, StopsOn410) {
  std::atomic<int> hits{0};
  Receiver r([&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 410;
  });
  Sender s(fast());
  s.enqueue(delivery(r.url()));
  auto out = s.finish(5s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].outcome, "gone");
  EXPECT_EQ(hits.load(), 1);
}

TEST(Sender, ASlowReceiverCostsTheFlushBoundAtMost) {
  Receiver r([&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(3s);
    res.status = 200;
  });
  Sender s(fast());
  s.enqueue(delivery(r.url()));
  auto t0 = std::chrono::steady_clock::now();
  auto out = s.finish(300ms);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 600ms);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].outcome, "abandoned");
}

TEST(Sender, AnUnreachableReceiverFailsWithoutTheUrlInTheError) {
  Sender s(fast());
  s.enqueue(delivery("http://127.0.0.1:1/hook?token=secret"));
  auto out = s.finish(3s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].outcome, "failed");
  EXPECT_EQ(out[0].error.find("secret"), std::string::npos);
}

TEST(Sender, OutcomesAreRecordedInTheStateDatabase) {
  base::TempDir dir;
  auto st = store::StateStore::open(dir.path());
  ASSERT_TRUE(st.has_value());
  Outcome o{"webhook", "failure", "HOOK_URL", "gone", 1, 410, "HTTP 410: the receiver asked to stop", 12};
  ASSERT_TRUE(record_outcomes((*st)->db(), "run-1", {o}, 1000).has_value());
  auto q = (*st)->db().prepare("SELECT run_id, target, outcome, attempts, http_status FROM notifications");
  ASSERT_TRUE(q.has_value());
  ASSERT_TRUE(*q->step());
  EXPECT_EQ(q->column_text(0), "run-1");
  EXPECT_EQ(q->column_text(1), "HOOK_URL");
  EXPECT_EQ(q->column_text(2), "gone");
  EXPECT_EQ(q->column_int(3), 1);
  EXPECT_EQ(q->column_int(4), 410);
}
