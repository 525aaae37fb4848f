// Unit tests for netns/cidr: parsing, printing, containment, overlap and sub-allocation.
// Pure logic, no root: the address planner relies on every edge case here.
#include "netns/cidr.h"

#include <gtest/gtest.h>

namespace lab::net {
namespace {

Ipv4 ip(std::string_view s) { return Ipv4::parse(s).value(); }
Cidr cidr(std::string_view s) { return Cidr::parse(s).value(); }

TEST(Ipv4, ParsesAndPrints) {
  auto a = Ipv4::parse("10.244.1.5");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value, 0x0af40105u);
  EXPECT_EQ(a->str(), "10.244.1.5");
  EXPECT_EQ(ip("0.0.0.0").value, 0u);
  EXPECT_EQ(ip("255.255.255.255").value, 0xffffffffu);
  EXPECT_EQ(ip("10.0.0.255").plus(1).str(), "10.0.1.0");
}

TEST(Ipv4, RejectsMalformed) {
  for (const char* bad : {"", "10.0.0", "10.0.0.1.2", "10.0.0.256", "10.0.0.-1", "10..0.1",
                          "10.0.0.1 ", " 10.0.0.1", "a.b.c.d", "10.0.0.01", "10.0.0.1/24",
                          "1e1.0.0.1", "10.0.0."}) {
    auto r = Ipv4::parse(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find("invalid IPv4 address"), std::string::npos) << bad;
      EXPECT_NE(r.error().message.find("expected e.g. 10.0.0.1"), std::string::npos) << bad;
      EXPECT_EQ(r.error().code, 0);
    }
  }
}

TEST(Ipv4, Orders) {
  EXPECT_LT(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_LT(ip("9.255.255.255"), ip("10.0.0.0"));
  EXPECT_EQ(ip("1.2.3.4"), ip("1.2.3.4"));
}

TEST(Cidr, ParsesAndPrints) {
  auto c = Cidr::parse("10.244.0.0/16");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->base.str(), "10.244.0.0");
  EXPECT_EQ(c->prefix, 16);
  EXPECT_EQ(c->str(), "10.244.0.0/16");
  EXPECT_EQ(c->size(), 65536u);
  EXPECT_EQ(c->first().str(), "10.244.0.0");
  EXPECT_EQ(c->last().str(), "10.244.255.255");
  EXPECT_EQ(c->at(1).str(), "10.244.0.1");
}

TEST(Cidr, EdgePrefixes) {
  auto all = cidr("0.0.0.0/0");
  EXPECT_EQ(all.size(), uint64_t{1} << 32);
  EXPECT_EQ(all.last().str(), "255.255.255.255");
  EXPECT_TRUE(all.contains(ip("8.8.8.8")));
  auto one = cidr("10.0.0.7/32");
  EXPECT_EQ(one.size(), 1u);
  EXPECT_EQ(one.first(), one.last());
  EXPECT_TRUE(one.contains(ip("10.0.0.7")));
  EXPECT_FALSE(one.contains(ip("10.0.0.8")));
}

TEST(Cidr, HostBitsSetIsAnErrorInWords) {
  auto r = Cidr::parse("10.0.0.1/16");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "invalid CIDR \"10.0.0.1/16\": host bits set; expected e.g. 10.0.0.0/16");
}

TEST(Cidr, RejectsMalformed) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08",
                          "10.0.0/8", "10.0.0.0/16/2", "10.0.0.0/ 16", "/16", ""}) {
    auto r = Cidr::parse(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find("invalid CIDR"), std::string::npos) << bad;
    }
  }
}

TEST(Cidr, Contains) {
  auto c = cidr("10.244.1.0/24");
  EXPECT_TRUE(c.contains(ip("10.244.1.0")));
  EXPECT_TRUE(c.contains(ip("10.244.1.255")));
  EXPECT_FALSE(c.contains(ip("10.244.2.0")));
  EXPECT_FALSE(c.contains(ip("10.244.0.255")));
}

TEST(Cidr, Overlaps) {
  EXPECT_TRUE(cidr("10.0.0.0/8").overlaps(cidr("10.244.0.0/16")));
  EXPECT_TRUE(cidr("10.244.0.0/16").overlaps(cidr("10.0.0.0/8")));
  EXPECT_TRUE(cidr("10.96.0.0/12").overlaps(cidr("10.100.0.0/16")));
  EXPECT_FALSE(cidr("10.96.0.0/12").overlaps(cidr("10.244.0.0/16")));
  EXPECT_FALSE(cidr("10.244.1.0/24").overlaps(cidr("10.244.2.0/24")));
  EXPECT_TRUE(cidr("0.0.0.0/0").overlaps(cidr("192.0.2.0/24")));
  EXPECT_TRUE(cidr("255.255.255.255/32").overlaps(cidr("255.0.0.0/8")));
}

TEST(Cidr, Subnet) {
  auto pods = cidr("10.244.0.0/16");
  EXPECT_EQ(pods.subnet(24, 3).value().str(), "10.244.3.0/24");
  EXPECT_EQ(pods.subnet(24, 0).value().str(), "10.244.0.0/24");
  EXPECT_EQ(pods.subnet(24, 255).value().str(), "10.244.255.0/24");
  EXPECT_EQ(pods.subnet(16, 0).value(), pods);
  EXPECT_EQ(cidr("0.0.0.0/0").subnet(1, 1).value().str(), "128.0.0.0/1");
  EXPECT_EQ(cidr("10.0.0.0/30").subnet(32, 3).value().str(), "10.0.0.3/32");

  auto out = pods.subnet(24, 256);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("only 256 /24 blocks"), std::string::npos);
  EXPECT_FALSE(pods.subnet(8, 0));
  EXPECT_FALSE(pods.subnet(33, 0));
}

TEST(Ipv4Range, ParsesAndPrints) {
  auto r = Ipv4Range::parse("172.18.255.200-172.18.255.250");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->str(), "172.18.255.200-172.18.255.250");
  EXPECT_EQ(r->size(), 51u);
  EXPECT_TRUE(r->contains(ip("172.18.255.200")));
  EXPECT_TRUE(r->contains(ip("172.18.255.250")));
  EXPECT_FALSE(r->contains(ip("172.18.255.251")));
  auto single = Ipv4Range::parse("10.0.0.1-10.0.0.1");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->size(), 1u);
}

TEST(Ipv4Range, Rejects) {
  for (const char* bad : {"172.18.255.250-172.18.255.200", "172.18.255.200", "1.2.3.4-",
                          "-1.2.3.4", "1.2.3.4-1.2.3.x", "1.2.3.0/24"}) {
    auto r = Ipv4Range::parse(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find("invalid address range"), std::string::npos) << bad;
    }
  }
}

TEST(Ipv4Range, OverlapsCidr) {
  auto r = Ipv4Range::parse("172.18.255.200-172.18.255.250").value();
  EXPECT_TRUE(r.overlaps(cidr("172.18.0.0/16")));
  EXPECT_TRUE(r.overlaps(cidr("172.18.255.250/32")));
  EXPECT_FALSE(r.overlaps(cidr("172.18.255.251/32")));
  EXPECT_FALSE(r.overlaps(cidr("172.18.254.0/24")));
}

}  // namespace
}  // namespace lab::net
