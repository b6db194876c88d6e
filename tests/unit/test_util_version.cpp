// Vendor firmware versions compared field by field, numbers as numbers.

#include "scanner/util/version.hpp"

#include <doctest/doctest.h>

using namespace fleetcert;

TEST_SUITE("util.version")
{
  TEST_CASE("numeric fields compare as numbers")
  {
    CHECK(compare_versions("2.57", "2.61") < 0);
    CHECK(compare_versions("2.61", "2.57") > 0);
    CHECK(compare_versions("2.9", "2.10") < 0);
    CHECK(compare_versions("2.60", "2.61") < 0);
    CHECK(compare_versions("1.0.11.23", "1.0.9.99") > 0);
    CHECK(compare_versions("1.0.11.23", "1.0.11.23") == 0);
    CHECK(compare_versions("4.0.9.0434", "4.0.0") > 0);
    CHECK(compare_versions("3.3.5", "4.0.0") < 0);
    CHECK(compare_versions("007", "7") == 0);
    CHECK(compare_versions("123456789012345678901234567890", "99") > 0);
  }

  TEST_CASE("missing fields count as zero")
  {
    CHECK(compare_versions("2.57", "2.57.0") == 0);
    CHECK(compare_versions("2.57", "2.57.1") < 0);
    CHECK(compare_versions("4", "4.0.0") == 0);
    CHECK(compare_versions("", "0") == 0);
    CHECK(compare_versions("", "1") < 0);
  }

  TEST_CASE("fields with letters compare run by run")
  {
    CHECK(compare_versions("83.V2.43.0", "83.V2.57") < 0);
    CHECK(compare_versions("83.V2.61.1", "83.V2.57") > 0);
    CHECK(compare_versions("83.V10.1", "83.V9.1") > 0);
    CHECK(compare_versions("V2.43", "v2.43") == 0);
    CHECK(compare_versions("1.0rc1", "1.0rc2") < 0);
    CHECK(compare_versions("abc", "abd") < 0);
    SUBCASE("a number sorts before text in the same place")
    {
      CHECK(compare_versions("1.5", "1.beta") < 0);
      CHECK(compare_versions("1.beta", "1.5") > 0);
    }
    SUBCASE("separators are interchangeable")
    {
      CHECK(compare_versions("6.4.3-5018", "6.4.3.5018") == 0);
      CHECK(compare_versions("96.86.0.70", "96_86_0_70") == 0);
    }
  }
}
