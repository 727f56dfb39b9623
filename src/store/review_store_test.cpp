#include "store/review_store.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "store/state_store.h"

using namespace sluice;
using namespace sluice::store;

namespace {

ReviewEvent ev(ReviewEventKind k, const std::string& actor) {
  ReviewEvent e;
  e.at_ms = 1000;
  e.kind = k;
  e.run_id = "r1";
  e.stage = "deploy";
  e.hash = "abc";
  e.actor = actor;
  return e;
}

TEST(ReviewStore, ChainDetectsEditedDeletedAndTruncatedRows) {
  base::TempDir dir;
  auto st = StateStore::open(dir.path() / ".sluice");
  ASSERT_TRUE(st) << st.error().message;
  ReviewStore rs((*st)->db());
  for (auto* a : {"a@x", "b@x", "c@x"})
    ASSERT_TRUE(rs.append_event(ev(ReviewEventKind::approved, a)));
  auto head = rs.chain_head();
  ASSERT_TRUE(head && *head);
  auto all = rs.events("");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_TRUE(verify_chain(*all, *head).empty());

  auto edited = *all;
  edited[1].actor = "mallory@x";
  auto p = verify_chain(edited, *head);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].id, 2);

  auto middle_gone = *all;
  middle_gone.erase(middle_gone.begin() + 1);
  EXPECT_FALSE(verify_chain(middle_gone, *head).empty());

  auto tail_gone = *all;
  tail_gone.pop_back();
  auto t = verify_chain(tail_gone, *head);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_NE(t[0].what.find("chain head"), std::string::npos);
}

TEST(ReviewStore, NewContentOutdatesPendingRequestsOfTheStage) {
  base::TempDir dir;
  auto st = StateStore::open(dir.path() / ".sluice");
  ASSERT_TRUE(st);
  ReviewStore rs((*st)->db());
  ReviewRequest r;
  r.run_id = "r1";
  r.stage = "deploy";
  r.hash = "h1";
  r.created_ms = 1;
  ASSERT_EQ(*rs.put_request(r), 0);
  r.run_id = "r2";
  r.hash = "h2";
  r.created_ms = 2;
  ASSERT_EQ(*rs.put_request(r), 1);
  EXPECT_EQ((*rs.request("r1", "deploy"))->state, ReviewState::outdated);
  EXPECT_EQ((*rs.request("r2", "deploy"))->state, ReviewState::pending);
  ASSERT_TRUE(rs.set_state("h2", ReviewState::approved));
  EXPECT_EQ((*rs.last_approved_other("deploy", "h3"))->hash, "h2");
  EXPECT_FALSE(*rs.last_approved_other("deploy", "h2"));
}

}  // namespace
