// Label selectors as `-l` takes them.
#include <gtest/gtest.h>

#include "lab/api/labels.h"

using lab::api::Selector;
using Json = nlohmann::json;

TEST(Selector, EqualityAndSets) {
  Json labels = {{"run", "my-nginx"}, {"tier", "web"}};
  auto match = [&](const char* s) {
    auto sel = Selector::parse(s);
    EXPECT_TRUE(sel) << s;
    return sel->matches(labels);
  };
  EXPECT_TRUE(match("run=my-nginx"));
  EXPECT_TRUE(match("run==my-nginx,tier=web"));
  EXPECT_FALSE(match("run=other"));
  EXPECT_TRUE(match("run!=other"));
  EXPECT_TRUE(match("tier in (web, db)"));
  EXPECT_FALSE(match("tier notin (web)"));
  EXPECT_TRUE(match("run"));
  EXPECT_FALSE(match("!run"));
  EXPECT_TRUE(match("!missing"));
  EXPECT_TRUE(match(""));
}

TEST(Selector, MatchLabelsAndNoLabels) {
  auto sel = Selector::from_match_labels(Json{{"run", "my-nginx"}});
  EXPECT_TRUE(sel.matches(Json{{"run", "my-nginx"}, {"pod-template-hash", "x"}}));
  EXPECT_FALSE(sel.matches(Json()));
}

// Objects stored before validation existed may hold labels that are not strings: they never
// match, and nothing throws.
TEST(Selector, LabelsThatAreNotStrings) {
  auto sel = Selector::from_match_labels(Json{{"run", 5}});
  EXPECT_FALSE(sel.matches(Json{{"run", "5"}}));
  EXPECT_FALSE(sel.empty());
  auto run = Selector::from_match_labels(Json{{"run", "web"}});
  EXPECT_FALSE(run.matches(Json{{"run", 5}}));
  EXPECT_FALSE(run.matches(Json{{"run", nullptr}}));
  EXPECT_TRUE(Selector::parse("run!=web")->matches(Json{{"run", Json::array()}}));
}

TEST(Selector, BadSyntax) {
  EXPECT_FALSE(Selector::parse("a in b"));
  EXPECT_FALSE(Selector::parse("a=b,,c"));
}

// The API server's messages, from k8s.io/apimachinery/pkg/labels: a selector that does not parse
// is refused, never read as "everything" (`delete -l '!!!'` deleted every pod).
namespace {
std::string error_of(const std::string& text) {
  auto sel = Selector::parse(text);
  return sel ? "(no error)" : sel.error().message;
}
}  // namespace

TEST(Selector, RefusedWithApimachineryWords) {
  EXPECT_EQ(error_of("!!!"), "unable to parse requirement: found '!', expected: identifier");
  EXPECT_EQ(Selector::parse("!!!").error().reason, lab::Reason::BadRequest);
  EXPECT_EQ(error_of("!"), "unable to parse requirement: found '', expected: identifier");
  EXPECT_EQ(error_of("a=b,"), "found '', expected: identifier after ','");
  EXPECT_EQ(error_of("a=b,,c"), "found ',', expected: identifier after ','");
  EXPECT_EQ(error_of(",a"), "found ',', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(error_of("a=b c"), "found 'c', expected: ',' or 'end of string'");
  EXPECT_EQ(error_of("!a=b"), "found '=', expected: ',' or 'end of string'");
  EXPECT_EQ(error_of("a b"), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(error_of("a in b"), "unable to parse requirement: found 'b' expected: '('");
  EXPECT_EQ(error_of("a in (b"), "unable to parse requirement: found '', expected: ',' or ')'");
  EXPECT_EQ(error_of("a in (="), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  EXPECT_EQ(error_of("a in (b,=)"), "unable to parse requirement: found '=', expected: ',', or identifier");
  EXPECT_EQ(error_of("a=="), "(no error)");  // "a" equals ""
  EXPECT_EQ(error_of("a=(b)"), "unable to parse requirement: found '(', expected: identifier");
}

TEST(Selector, KeysAndValuesAreValidated) {
  EXPECT_EQ(error_of("a/b/c"),
            "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of "
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. "
            "'example.com/MyName')");
  EXPECT_EQ(error_of("-a"),
            "unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of alphanumeric "
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
            "or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  EXPECT_EQ(error_of("Example.com/a"),
            "unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a lowercase RFC 1123 "
            "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with "
            "an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  EXPECT_EQ(error_of("/a"), "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty");
  EXPECT_EQ(error_of(std::string(64, 'k')),
            "unable to parse requirement: <nil>: Invalid value: \"" + std::string(64, 'k') +
                "\": name part must be no more than 63 characters");
  EXPECT_EQ(error_of("a=" + std::string(64, 'v')),
            "unable to parse requirement: values[0][a]: Invalid value: \"" + std::string(64, 'v') +
                "\": must be no more than 63 characters");
  EXPECT_EQ(error_of("a=-v"),
            "unable to parse requirement: values[0][a]: Invalid value: \"-v\": a valid label must be an empty "
            "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  EXPECT_EQ(error_of("a>x"),
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value "
            "must be an integer");
  // Both problems of one value, as NewRequirement aggregates them.
  EXPECT_NE(error_of("a<-x").find("unable to parse requirement: [values[0]: Invalid value: \"-x\": for 'Gt'"),
            std::string::npos);
  EXPECT_EQ(error_of("app.kubernetes.io/name=web,x.y/Z_1 in (a,b)"), "(no error)");
  // Bytes that are not printable are escaped in the message, as Go's %q does.
  EXPECT_EQ(error_of("a\x01"), "unable to parse requirement: <nil>: Invalid value: \"a\\x01\": name part must "
                               "consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
                               "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
                               "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  // A NUL is refused like any other byte a key cannot hold (Go's lexer stopped there).
  auto nul = Selector::parse(std::string_view("a\0,b", 4));
  ASSERT_FALSE(nul);
  EXPECT_NE(nul.error().message.find("\\x00"), std::string::npos);
}

TEST(Selector, GrammarAsApimachineryReadsIt) {
  Json labels = {{"run", "my-nginx"}, {"tier", "web"}, {"replicas", "3"}, {"in", "notin"}};
  auto match = [&](const char* s) {
    auto sel = Selector::parse(s);
    EXPECT_TRUE(sel) << s << ": " << (sel ? "" : sel.error().message);
    return sel && sel->matches(labels);
  };
  EXPECT_TRUE(match("  run = my-nginx ,  tier==web "));
  EXPECT_TRUE(match("replicas>2"));
  EXPECT_FALSE(match("replicas>3"));
  EXPECT_TRUE(match("replicas<4"));
  EXPECT_FALSE(match("run>2"));     // not a number: no match
  EXPECT_FALSE(match("missing<9"));  // absent: no match
  EXPECT_TRUE(match("in in (notin)"));  // keywords are values where values are expected
  EXPECT_TRUE(match("tier in (,web)"));
  EXPECT_TRUE(match("missing notin ()"));
  EXPECT_TRUE(match("missing!=x"));
  EXPECT_FALSE(match("missing="));  // equality needs the label, even to ""
  EXPECT_FALSE(match("missing in ()"));
  EXPECT_TRUE(match("   "));
}

TEST(Selector, RequirementsSortedByKey) {
  auto sel = Selector::parse("z=1,a in (c,b,b)");
  ASSERT_TRUE(sel);
  ASSERT_EQ(sel->requirements().size(), 2u);
  EXPECT_EQ(sel->requirements()[0].key, "a");
  EXPECT_EQ(sel->requirements()[0].values, (std::vector<std::string>{"b", "c"}));
}
