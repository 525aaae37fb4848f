// base64_encode/base64_decode against Go's encoding/base64.StdEncoding: round trips, RFC 4648's
// vectors, and the exact offsets Go reports for bad input (kube-apiserver's "illegal base64 data at
// input byte N").
#include "lab/base/base64.h"

#include <gtest/gtest.h>

namespace lab {
namespace {

std::string error_of(std::string_view text) {
  auto r = base64_decode(text);
  return r ? "(decoded)" : r.error().message;
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    auto d = base64_decode(encoded);
    ASSERT_TRUE(d.has_value()) << encoded;
    EXPECT_EQ(*d, plain);
  }
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    auto d = base64_decode(base64_encode(all.substr(0, n)));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, all.substr(0, n));
  }
  EXPECT_EQ(base64_encode("\xff\xfe\xfd"), "//79");
}

TEST(Base64, NewlinesAreSkippedAsGoSkipsThem) {
  auto d = base64_decode("Zm9v\nYmFy\r\n");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, "foobar");
  d = base64_decode("Zm\n8=");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, "fo");
}

TEST(Base64, ErrorOffsetsAreGos) {
  // Values Go's decoder gives for the same text (base64.StdEncoding.DecodeString).
  EXPECT_EQ(error_of("billy"), "illegal base64 data at input byte 4");   // kubernetes#31548
  EXPECT_EQ(error_of("bil"), "illegal base64 data at input byte 0");     // short quantum, no padding
  EXPECT_EQ(error_of("admin"), "illegal base64 data at input byte 4");   // kubernetes#7817
  EXPECT_EQ(error_of("ab!d"), "illegal base64 data at input byte 2");    // a character outside the alphabet
  EXPECT_EQ(error_of("Zg="), "illegal base64 data at input byte 3");     // "==" cut short
  EXPECT_EQ(error_of("Zg=x"), "illegal base64 data at input byte 2");    // '=' then not '='
  EXPECT_EQ(error_of("Z==="), "illegal base64 data at input byte 1");    // padding after one character
  EXPECT_EQ(error_of("Zm8=Zm8="), "illegal base64 data at input byte 4"); // data after the padding
  EXPECT_EQ(error_of("Zm9v Zm9v"), "illegal base64 data at input byte 4"); // a space is no newline
  EXPECT_EQ(error_of("<foo>"), "illegal base64 data at input byte 0");
  EXPECT_TRUE(base64_decode("Zm8=").has_value());
  EXPECT_EQ(base64_decode("x").error().reason, Reason::Invalid);
}

TEST(Base64Url, RawUrlEncodingOnlyInItsCanonicalSpelling) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");  // '+' '/' of the standard alphabet, no padding
  EXPECT_EQ(base64url_decode("-_8"), std::optional<std::string>("\xfb\xff"));
  EXPECT_EQ(base64url_decode("Zm8"), std::optional<std::string>("fo"));
  EXPECT_FALSE(base64url_decode("Zm8="));  // padding
  EXPECT_FALSE(base64url_decode("+/8"));   // the standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9"));   // unused bits not zero: another spelling of "fo"
  EXPECT_FALSE(base64url_decode("Z"));
}

}  // namespace
}  // namespace lab
