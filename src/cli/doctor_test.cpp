#include "cli/doctor_state.h"

#include <gtest/gtest.h>

namespace sluice::cli::doctor {
namespace {

TEST(DoctorState, ParsesPostgresUrls) {
  auto u = parse_postgres_url("postgres://bob:pw@db.example:6543/ci?sslmode=require");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->user, "bob");
  EXPECT_EQ(u->host, "db.example");
  EXPECT_EQ(u->port, 6543);
  EXPECT_EQ(u->dbname, "ci");

  auto d = parse_postgres_url("postgresql:///ci");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host, "");  // the default unix socket directory
  EXPECT_EQ(d->port, 5432);

  auto s = parse_postgres_url("postgres://%2Fvar%2Frun%2Fpg/ci?port=7000");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "/var/run/pg");
  EXPECT_EQ(s->port, 7000);

  auto v6 = parse_postgres_url("postgres://[::1]:5433/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 5433);

  EXPECT_FALSE(parse_postgres_url("mysql://db/x"));
  EXPECT_FALSE(parse_postgres_url("postgres://db:notaport/x"));
  EXPECT_FALSE(parse_postgres_url("postgres://db:70000/x"));
}

TEST(DoctorState, MasksPasswords) {
  EXPECT_EQ(mask_url_password("postgres://bob:s3cret@db:5432/ci"), "postgres://bob:***@db:5432/ci");
  EXPECT_EQ(mask_url_password("postgres://bob@db/ci"), "postgres://bob@db/ci");
  EXPECT_EQ(mask_url_password("postgres://db/ci?user=a&password=s3cret&x=1"), "postgres://db/ci?user=a&password=***&x=1");
  EXPECT_EQ(mask_url_password("postgres://b:p@ss@db/ci"), "postgres://b:***@db/ci");  // '@' in the password
  EXPECT_EQ(mask_url_password("sqlite"), "sqlite");
}

TEST(Doctor, FindsPrograms) {
  EXPECT_TRUE(find_program("sh", "/nonexistent:/bin:/usr/bin"));
  EXPECT_FALSE(find_program("sh", "/nonexistent"));
  EXPECT_TRUE(find_program("/bin/sh", ""));
}

}  // namespace
}  // namespace sluice::cli::doctor
