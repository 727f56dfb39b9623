#include "base/duration.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using sluice::base::format_duration;
using sluice::base::parse_duration;

TEST(Duration, ParsesUnitsAndCompounds) {
  EXPECT_EQ(*parse_duration("500ms"), 500ms);
  EXPECT_EQ(*parse_duration("30s"), 30s);
  EXPECT_EQ(*parse_duration("10m"), 10min);
  EXPECT_EQ(*parse_duration("1h30m"), 90min);
  EXPECT_EQ(*parse_duration("1.5s"), 1500ms);
}

TEST(Duration, RejectsBareNumbersAndUnknownUnits) {
  EXPECT_FALSE(parse_duration("10").has_value());
  EXPECT_FALSE(parse_duration("").has_value());
  auto r = parse_duration("5 parsecs");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("\"5 parsecs\""), std::string::npos) << r.error().message;
  EXPECT_FALSE(parse_duration("m").has_value());
}

TEST(Duration, Formats) {
  EXPECT_EQ(format_duration(350ms), "350ms");
  EXPECT_EQ(format_duration(4200ms), "4.2s");
  EXPECT_EQ(format_duration(150s), "2m30s");
  EXPECT_EQ(format_duration(3723s), "1h02m03s");
}
