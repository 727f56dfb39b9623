#include "base/byte_size.h"

#include <gtest/gtest.h>

using sluice::base::format_byte_size;
using sluice::base::parse_byte_size;

TEST(ByteSize, ParsesBinarySuffixes) {
  EXPECT_EQ(*parse_byte_size("4096"), 4096);
  EXPECT_EQ(*parse_byte_size("500M"), 500LL * 1024 * 1024);
  EXPECT_EQ(*parse_byte_size("2G"), 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(*parse_byte_size("1.5GiB"), 3LL * 512 * 1024 * 1024);
  EXPECT_EQ(*parse_byte_size("10kb"), 10240);
  EXPECT_EQ(*parse_byte_size("0"), 0);
}

TEST(ByteSize, RejectsWhatIsNotASize) {
  for (const char* bad : {"", "G", "2X", "-1G", "1.2.3M", "lots", "99999999T"}) {
    auto r = parse_byte_size(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message.find("invalid size"), std::string::npos) << r.error().message;
  }
  EXPECT_NE(parse_byte_size("2X").error().message.find("\"2X\""), std::string::npos);
}

TEST(ByteSize, Formats) {
  EXPECT_EQ(format_byte_size(512), "512 B");
  EXPECT_EQ(format_byte_size(1536), "1.5 KiB");
  EXPECT_EQ(format_byte_size(2LL * 1024 * 1024 * 1024), "2.0 GiB");
}
