#include <gtest/gtest.h>
TEST(Build, Works) { SUCCEED(); }
