// `$(VAR)` expansion: the kubelet's own test table (third_party/forked/golang/expansion
// expand_test.go), with one context and with two, and the env-builds-on-env case.
#include "lab/api/env_expand.h"

#include <gtest/gtest.h>

namespace lab::api {
namespace {

struct Case {
  const char* name;
  std::string input, expected;
};

const Case kCases[] = {
    {"whole string", "$(VAR_A)", "A"},
    {"repeat", "$(VAR_A)-$(VAR_A)", "A-A"},
    {"beginning", "$(VAR_A)-1", "A-1"},
    {"middle", "___$(VAR_B)___", "___B___"},
    {"end", "___$(VAR_C)", "___C"},
    {"compound", "$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"},
    {"escape & expand", "$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"},
    {"compound escape", "$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)"},
    {"mixed in escapes", "f000-$$VAR_A", "f000-$VAR_A"},
    {"backslash escape ignored", "foo\\$(VAR_C)bar", "foo\\Cbar"},
    {"backslash escape ignored 2", "foo\\\\$(VAR_C)bar", "foo\\\\Cbar"},
    {"lots of backslashes", "foo\\\\\\\\$(VAR_A)bar", "foo\\\\\\\\Abar"},
    {"nested var references", "$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))"},
    {"nested var references second type", "$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"},
    {"value is a reference", "$(VAR_REF)", "$(VAR_A)"},
    {"value is a reference x 2", "%%$(VAR_REF)--$(VAR_REF)%%", "%%$(VAR_A)--$(VAR_A)%%"},
    {"empty var", "foo$(VAR_EMPTY)bar", "foobar"},
    {"unterminated expression", "foo$(VAR_Awhoops!", "foo$(VAR_Awhoops!"},
    {"expression without operator", "f00__(VAR_A)__", "f00__(VAR_A)__"},
    {"shell special vars pass through", "$?_boo_$!", "$?_boo_$!"},
    {"bare operators are ignored", "$VAR_A", "$VAR_A"},
    {"undefined vars are passed through", "$(VAR_DNE)", "$(VAR_DNE)"},
    {"multiple (even) operators, var undefined", "$$$$$$(BIG_MONEY)", "$$$(BIG_MONEY)"},
    {"multiple (even) operators, var defined", "$$$$$$(VAR_A)", "$$$(VAR_A)"},
    {"multiple (odd) operators, var undefined", "$$$$$$$(GOOD_ODDS)", "$$$$(GOOD_ODDS)"},
    {"multiple (odd) operators, var defined", "$$$$$$$(VAR_A)", "$$$A"},
    {"missing open expression", "$VAR_A)", "$VAR_A)"},
    {"shell syntax ignored", "${VAR_A}", "${VAR_A}"},
    {"trailing incomplete expression not consumed", "$(VAR_B)_______$(A", "B_______$(A"},
    {"trailing incomplete expression, no content, is not consumed", "$(VAR_C)_______$(", "C_______$("},
    {"operator at end of input string is preserved", "$(VAR_A)foobarzab$", "Afoobarzab$"},
    {"shell escaped incomplete expr", "foo-\\$(VAR_A", "foo-\\$(VAR_A"},
    {"lots of $( in middle", "--$($($($($--", "--$($($($($--"},
    {"lots of $( in beginning", "$($($($($--foo$(", "$($($($($--foo$("},
    {"lots of $( at end", "foo0--$($($($(", "foo0--$($($($("},
    {"escaped operators in variable names are not escaped", "$(foo$$var)", "$(foo$$var)"},
    {"newline not expanded", "\n", "\n"},
    // Beyond the table: the empty input, a lone `$`, an empty name.
    {"empty input", "", ""},
    {"lone operator", "$", "$"},
    {"empty reference", "$()", "$()"},
};

void run_table(const std::vector<const EnvMap*>& contexts) {
  for (const auto& c : kCases) EXPECT_EQ(expand_env(c.input, contexts), c.expected) << c.name;
}

TEST(EnvExpand, KubeletTableOneContext) {
  EnvMap ctx{{"VAR_A", "A"}, {"VAR_B", "B"}, {"VAR_C", "C"}, {"VAR_REF", "$(VAR_A)"}, {"VAR_EMPTY", ""}};
  run_table({&ctx});
}

TEST(EnvExpand, KubeletTableTwoContexts) {
  EnvMap first{{"VAR_A", "A"}, {"VAR_EMPTY", ""}};
  EnvMap second{{"VAR_B", "B"}, {"VAR_C", "C"}, {"VAR_REF", "$(VAR_A)"}};
  run_table({&first, &second});
}

TEST(EnvExpand, FirstContextWins) {
  EnvMap first{{"X", "declared"}}, second{{"X", "service"}, {"Y", "y"}};
  EXPECT_EQ(expand_env("$(X)/$(Y)", {&first, &second}), "declared/y");
}

// TestMapReference: each entry is expanded against the ones before it, in order.
TEST(EnvExpand, MapReference) {
  EnvMap declared{{"FOO", "bar"}, {"ZOO", "$(FOO)-1"}, {"BLU", "$(ZOO)-2"}};
  EnvMap service;
  for (const char* name : {"FOO", "ZOO", "BLU"}) declared[name] = expand_env(declared[name], {&declared, &service});
  EXPECT_EQ(declared, (EnvMap{{"FOO", "bar"}, {"ZOO", "bar-1"}, {"BLU", "bar-1-2"}}));
}

}  // namespace
}  // namespace lab::api
