// The CLI's shared flags: kubectl's --request-timeout syntax, and an explicitly empty --lab,
// which must be an error rather than "the only lab".
#include "lab/cli/options.h"

#include <gtest/gtest.h>

namespace lab::cli {
namespace {

using std::chrono::milliseconds;

milliseconds timeout_of(const char* s) {
  auto t = parse_request_timeout(s);
  EXPECT_TRUE(t.has_value()) << s;
  return t ? *t : milliseconds(-1);
}

TEST(RequestTimeout, KubectlSyntax) {
  EXPECT_EQ(timeout_of("0"), milliseconds(0));  // no timeout
  EXPECT_EQ(timeout_of("5"), milliseconds(5000));  // a bare number is seconds
  EXPECT_EQ(timeout_of("+5"), milliseconds(5000));
  EXPECT_EQ(timeout_of("5s"), milliseconds(5000));
  EXPECT_EQ(timeout_of("1m"), milliseconds(60000));
  EXPECT_EQ(timeout_of("2h"), milliseconds(7200000));
  EXPECT_EQ(timeout_of("1m30s"), milliseconds(90000));
  EXPECT_EQ(timeout_of("1.5s"), milliseconds(1500));
  EXPECT_EQ(timeout_of(".5s"), milliseconds(500));
  EXPECT_EQ(timeout_of("300ms"), milliseconds(300));
  EXPECT_EQ(timeout_of("0s"), milliseconds(0));
  EXPECT_EQ(timeout_of("500us"), milliseconds(1));  // rounded up: still a timeout
  EXPECT_EQ(timeout_of("1\u00b5s"), milliseconds(1));
}

TEST(RequestTimeout, RefusedWithClientGosWords) {
  for (const char* bad : {"", "-1", "-1s", "5.0", "s", "1x", "1 s", "abc", "1s-", "99999999999h", "1e3s", "."}) {
    auto t = parse_request_timeout(bad);
    ASSERT_FALSE(t.has_value()) << bad;
    EXPECT_EQ(t.error().message,
              "invalid timeout value. Timeout must be a single integer in seconds, or an integer "
              "followed by a corresponding time unit (e.g. 1s | 2m | 3h)")
        << bad;
  }
}

po::variables_map parse_lab_args(const std::vector<std::string>& args) {
  po::options_description opts;
  opts.add_options()("lab", po::value<std::string>())("type", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("type", 1);
  return parse(args, opts, pos);
}

TEST(LabFlag, EmptyIsAnError) {
  EXPECT_THROW(parse_lab_args({"pods", "--lab", ""}), po::error);
  EXPECT_THROW(parse_lab_args({"pods", "--lab="}), po::error);
  try {
    parse_lab_args({"--lab", "", "pods"});
  } catch (const po::error& e) {
    EXPECT_NE(std::string(e.what()).find("--lab must name a lab"), std::string::npos) << e.what();
  }
  // Absent is fine (the only lab), and so is a name.
  EXPECT_EQ(arg(parse_lab_args({"pods"}), "lab"), "");
  EXPECT_EQ(arg(parse_lab_args({"pods", "--lab", "one"}), "lab"), "one");
}

TEST(LabFlag, EmptyPositionalLabIsAnErrorToo) {
  // `lab down ''`: the lab as a positional argument.
  po::options_description opts;
  opts.add_options()("lab", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("lab", 1);
  EXPECT_THROW(parse({""}, opts, pos), po::error);
}

TEST(RequestTimeoutFlag, EveryVerbTakesItAndABadValueIsAnError) {
  auto vm = parse_lab_args({"pods", "--request-timeout=2s"});
  EXPECT_EQ(server::client_timeout(), milliseconds(2000));
  EXPECT_THROW(parse_lab_args({"pods", "--request-timeout", "soon"}), po::error);
  vm = parse_lab_args({"pods"});  // absent: the default
  EXPECT_EQ(server::client_timeout(), milliseconds(kDefaultRequestTimeout));
  server::set_client_timeout(milliseconds(0), false);
}

}  // namespace
}  // namespace lab::cli
